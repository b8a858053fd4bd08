/**
 * Typed decode failures: every wire decoder returns one of these instead of throwing.
 * @module
 */

/** Why a decode failed. Append only: used as the `reason` label of `hearsay_packets_dropped_total`. */
export type DecodeErrorCode =
  | 'truncated' // input ended before the structure did
  | 'malformed' // bytes that are not valid msgpack / not the expected shape
  | 'unknown-type' // message type byte not in memberlist's list
  | 'bad-field' // a field has the wrong msgpack type, range or length
  | 'too-large' // a cap from WireLimits was exceeded
  | 'crc-mismatch'
  | 'decrypt-failed'
  | 'unencrypted' // plaintext where encryption is required
  | 'label-mismatch'
  | 'compression' // LZW stream invalid or unknown algorithm
  | 'nesting'; // compound/compress nested deeper than allowed

/** A decode failure: what, where, and in which field. */
export interface DecodeError {
  readonly code: DecodeErrorCode;
  /** Human-readable detail for debug logs. */
  readonly message: string;
  /** The msgpack field (Go name, e.g. `Vsn`) or structure (e.g. `compound.lengths`) at fault. */
  readonly field?: string;
  /** Byte offset into the buffer being decoded, when known. */
  readonly offset?: number;
}

/** A decoder's result: a value or a typed error, never an exception. */
export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: DecodeError };

/** Builds a failed {@link DecodeResult}. */
export function decodeFail(code: DecodeErrorCode, message: string, field?: string, offset?: number): { ok: false; error: DecodeError } {
  const error: { code: DecodeErrorCode; message: string; field?: string; offset?: number } = { code, message };
  if (field !== undefined) error.field = field;
  if (offset !== undefined) error.offset = offset;
  return { ok: false, error };
}

/** Builds a successful {@link DecodeResult}. */
export function decodeOk<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}
