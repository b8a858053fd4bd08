/**
 * The agent's control protocol: newline-delimited JSON over a unix socket or loopback TCP.
 *
 * A client sends `{ id, command, args, token? }` lines; the agent answers each with
 * `{ id, ok: true, result }` or `{ id, ok: false, error: { code, message } }`. `monitor` answers
 * `{ id, ok: true, result: 'streaming' }` and then sends `{ id, record }` lines until the client
 * hangs up. The protocol is local (same user, same host) and versioned by `v`.
 * @module
 */
import type { StringDecoder } from 'node:string_decoder';

/** Protocol version sent in every request; the agent refuses others. */
export const RPC_VERSION = 1;
/** Longest line either side accepts, bytes: requests are tiny, a member list of 10k nodes is ~2 MB. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** The commands the agent serves. */
export type RpcCommand = 'members' | 'join' | 'leave' | 'tags' | 'keys' | 'monitor' | 'info';

/** One request line. */
export interface RpcRequest {
  readonly v: number;
  readonly id: number;
  readonly command: RpcCommand;
  readonly args?: Readonly<Record<string, unknown>>;
  /** Required on a TCP endpoint: the contents of the agent's token file. */
  readonly token?: string;
}

/** An error as sent over the wire: a stable `code` and a one-line message. */
export interface RpcError {
  /** `bad-request`, `unauthorized`, `busy`, `failed`, or a hearsay error code such as `HEARSAY_JOIN`. */
  readonly code: string;
  readonly message: string;
}

/** One response line. */
export type RpcResponse =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: RpcError }
  | { readonly id: number; readonly record: LogRecord };

/** A log or event line as the agent prints it and `monitor` streams it. */
export interface LogRecord {
  /** ISO-8601 time. */
  readonly time: string;
  readonly level: LogLevel;
  readonly msg: string;
  /** Membership event name (`join`, `fail`, …) for event lines. */
  readonly event?: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** Log levels, least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Splits a byte stream into lines. Returns the complete lines and keeps the rest for the next
 * chunk; throws when a line grows past {@link MAX_LINE_BYTES} (the caller drops the connection).
 */
export class LineSplitter {
  private partial = '';
  constructor(private readonly decoder: StringDecoder) {}

  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE_BYTES) throw new Error(`control line longer than ${MAX_LINE_BYTES} bytes`);
    return lines.filter((l) => l.length > 0);
  }
}
