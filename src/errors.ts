/**
 * hearsay's errors: one class per condition, each with a stable `code`.
 *
 * Match on `code`, not `instanceof`: two installed copies of hearsay make `instanceof` fail.
 * Misuse throws synchronously; I/O and timeouts reject promises; anomalies from peers are never
 * errors (they become metrics and debug logs).
 * @module
 */

/** Stable error codes. Append only. */
export const ErrorCode = {
  invalidOptions: 'HEARSAY_INVALID_OPTIONS',
  state: 'HEARSAY_STATE',
  join: 'HEARSAY_JOIN',
  timeout: 'HEARSAY_TIMEOUT',
  abort: 'HEARSAY_ABORT',
  metadataTooLarge: 'HEARSAY_METADATA_TOO_LARGE',
  transport: 'HEARSAY_TRANSPORT',
  remote: 'HEARSAY_REMOTE',
  payloadTooLarge: 'HEARSAY_PAYLOAD_TOO_LARGE',
  invalidArgument: 'HEARSAY_INVALID_ARGUMENT',
} as const;
/** One of the {@link ErrorCode} values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class of every error hearsay throws or rejects with. */
export class HearsayError extends Error {
  /** Stable machine-readable code; see {@link ErrorCode}. */
  readonly code: ErrorCodeValue;
  constructor(code: ErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'HearsayError';
  }
}

/**
 * Thrown synchronously by `new Hearsay()`, `Hearsay.start()` and `resolveOptions()` when an option
 * is invalid or unknown (then the message names the closest known option), and by `start()` for a
 * wildcard `bind` on a host with no private IPv4 to advertise (`field` = `advertise`). `field`
 * names the option and the message states the rule. Nothing was started.
 */
export class InvalidOptionsError extends HearsayError {
  /** The offending option's name, e.g. `probeTimeoutMs`. */
  readonly field: string;
  constructor(field: string, rule: string) {
    super(ErrorCode.invalidOptions, `invalid option "${field}": ${rule}`);
    this.name = 'InvalidOptionsError';
    this.field = field;
  }
}

/**
 * Thrown synchronously by a method given a bad argument: a payload that is not a `Uint8Array`,
 * seeds that are not a string or an array of strings, an unknown member or address to send to,
 * metadata that is not string tags or bytes, a malformed `members()` filter or `{ timeoutMs, signal }`. `parameter` names the argument and the
 * message says what to pass instead. Nothing changed and nothing was sent.
 */
export class InvalidArgumentError extends HearsayError {
  /** The offending parameter, e.g. `payload` or `seeds[1]`. */
  readonly parameter: string;
  constructor(method: string, parameter: string, rule: string) {
    super(ErrorCode.invalidArgument, `${method}(): invalid "${parameter}": ${rule}`);
    this.name = 'InvalidArgumentError';
    this.parameter = parameter;
  }
}

/**
 * Thrown synchronously when a method is called in the wrong lifecycle state: join before start,
 * any call after shutdown, `broadcast()` after `leave()`. No state changed.
 */
export class StateError extends HearsayError {
  constructor(message: string) {
    super(ErrorCode.state, message);
    this.name = 'StateError';
  }
}

/** One seed's failure inside a {@link JoinError}. */
export interface SeedFailure {
  /** The seed as given to `join()`. */
  readonly seed: string;
  /** Why contacting it failed. */
  readonly error: Error;
}

/**
 * `join()` rejects with this when no seed answered. `failures` has one entry per seed (a seed
 * that is this node's own address fails with an `InvalidArgumentError`). The node is still
 * running and may `join()` again.
 */
export class JoinError extends HearsayError {
  readonly failures: readonly SeedFailure[];
  constructor(failures: readonly SeedFailure[]) {
    const detail = failures.map((f) => `${f.seed}: ${f.error.message}`).join('; ');
    super(ErrorCode.join, `could not join through any seed (${detail || 'no seeds given'})`, {
      cause: failures[0]?.error,
    });
    this.name = 'JoinError';
    this.failures = failures;
  }
}

/** An operation did not finish within its deadline (a stream exchange, `leave`, `setMetadata`). State changes already made stand. */
export class TimeoutError extends HearsayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.timeout, message, options);
    this.name = 'TimeoutError';
  }
}

/** An operation was cancelled through its `signal` or by `shutdown()`. `cause` is `signal.reason`. */
export class AbortError extends HearsayError {
  constructor(message = 'the operation was aborted', options?: { cause?: unknown }) {
    super(ErrorCode.abort, message, options);
    this.name = 'AbortError';
  }
}

/** Thrown synchronously by `start()` / `setMetadata()` when encoded metadata exceeds the limit (512 bytes). Metadata was not changed. */
export class MetadataTooLargeError extends HearsayError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number) {
    super(
      ErrorCode.metadataTooLarge,
      `metadata encodes to ${size} bytes, over the limit of ${limit}; send fewer or shorter tags`,
    );
    this.name = 'MetadataTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

/**
 * A socket failed: bind in `start()`, a dial, or a fatal error later (then reported through
 * `closed`). `cause` is the system error.
 */
export class TransportError extends HearsayError {
  /**
   * A dial was refused: the peer's host answered that nothing listens on the port (TCP RST,
   * `ECONNREFUSED`). Not set for timeouts, unreachable hosts or networks, or resets after a
   * connection was made. The core takes it as evidence that the member's process is gone
   * (docs/architecture.md, "A refused fallback shortens the suspicion"). Default false; a custom
   * transport that cannot tell leaves it false and loses only that speed-up.
   */
  readonly refused: boolean;
  constructor(message: string, options?: { cause?: unknown; refused?: boolean }) {
    super(ErrorCode.transport, message, options);
    this.name = 'TransportError';
    this.refused = options?.refused === true;
  }
}

/** A peer answered a stream exchange with an error reply (`errResp`), or with an unexpected message. */
export class RemoteError extends HearsayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.remote, message, options);
    this.name = 'RemoteError';
  }
}

/**
 * Thrown synchronously by `broadcast()` / `send()` when a user payload can never be sent: a
 * broadcast must fit one gossip packet beside its framing, a datagram must fit one UDP datagram
 * once sealed. Nothing was queued or sent.
 */
export class PayloadTooLargeError extends HearsayError {
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number, hint: string) {
    super(ErrorCode.payloadTooLarge, `${what} is ${size} bytes, over the limit of ${limit}; ${hint}`);
    this.name = 'PayloadTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}
