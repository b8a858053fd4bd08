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
  nameConflict: 'HEARSAY_NAME_CONFLICT',
  joinRefused: 'HEARSAY_JOIN_REFUSED',
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

/** Seed failures that no retry can mend: the host must change something (see {@link JoinError}). */
const DECISIVE: ReadonlySet<string> = new Set([ErrorCode.nameConflict, ErrorCode.joinRefused]);

/**
 * `join()` rejects with this when no seed answered, or when a seed showed that this node's name
 * is taken (then even if others answered). `failures` has one entry per failed seed (a seed that
 * is this node's own address fails with an `InvalidArgumentError`). `cause` is the failure the
 * host must act on first: a {@link NameConflictError} or {@link JoinRefusedError} when there is
 * one, else the first seed's error. The node is still running and may `join()` again.
 */
export class JoinError extends HearsayError {
  readonly failures: readonly SeedFailure[];
  constructor(failures: readonly SeedFailure[]) {
    const detail = failures.map((f) => `${f.seed}: ${f.error.message}`).join('; ');
    const decisive = failures.find((f) => DECISIVE.has((f.error as Partial<HearsayError>).code ?? ''));
    super(ErrorCode.join, `could not join through any seed (${detail || 'no seeds given'})`, {
      cause: (decisive ?? failures[0])?.error,
    });
    this.name = 'JoinError';
    this.failures = failures;
  }
}

/**
 * A seed's failure in a {@link JoinError} (and its `cause`): the seed's push/pull reply lists this
 * node's name alive or suspect at another address (`holder`), and a process there answers to that
 * name (a ping naming it is acked), so the seed ignores this node's alive as a conflict and the
 * join cannot make it visible (memberlist has no equivalent: its claimant joins "successfully" and
 * stays invisible). A holder that does not answer is taken for this node's own earlier run (a
 * restart at a new address before the cluster noticed): that join goes ahead. Works with Go seeds
 * and holders too. Give this node another name, or stop the one at `holder`. Nothing from that
 * seed was merged.
 */
export class NameConflictError extends HearsayError {
  /** The contested name (this node's). */
  readonly memberName: string;
  /** `host:port` of the live member that holds the name. */
  readonly holder: string;
  constructor(memberName: string, holder: string, seed: string) {
    super(ErrorCode.nameConflict, `the name "${memberName}" is held by a live member at ${holder} (seed ${seed} lists it): start this node under another name, or stop the one at ${holder}`);
    this.name = 'NameConflictError';
    this.memberName = memberName;
    this.holder = holder;
  }
}

/**
 * A seed's failure in a {@link JoinError} (and its `cause`): an admission hook refused the join
 * exchange as a whole (the `admission` option; memberlist's `MergeDelegate`). `by: 'seed'`: the
 * seed's hook vetoed a member of this node's state (most often this node itself) and answered
 * with an error reply saying why; `by: 'self'`: this node's own hook vetoed a member of the seed's
 * reply. Nothing was merged on either side. `reason` is the hook's reason, with the member it was
 * about. A Go seed's `MergeDelegate` veto is not seen: memberlist replies before it merges.
 */
export class JoinRefusedError extends HearsayError {
  /** Whose admission hook refused: the seed's, or this node's own. */
  readonly by: 'seed' | 'self';
  /** What the hook said, and about which member. */
  readonly reason: string;
  constructor(by: 'seed' | 'self', reason: string, seed: string) {
    super(ErrorCode.joinRefused, by === 'seed' ? `seed ${seed} refused the join: ${reason}` : `this node's admission hook refused seed ${seed}'s cluster: ${reason}`);
    this.name = 'JoinRefusedError';
    this.by = by;
    this.reason = reason;
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
  /** The peer's error reply text, when it sent one (`errResp.Error`). */
  readonly reply: string | undefined;
  constructor(message: string, options?: { cause?: unknown; reply?: string }) {
    super(ErrorCode.remote, message, options);
    this.name = 'RemoteError';
    this.reply = options?.reply;
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
