/**
 * A small hand-written msgpack reader for memberlist's fixed message shapes (the writer is in
 * `writer.ts`).
 *
 * Why not a general msgpack library: memberlist needs Go's exact output (raw `str` for byte
 * fields, never `d9`/bin; keys sorted; smallest ints; reference §1.2) and raw bytes on input
 * (str must never be UTF-8 decoded for `Addr`/`Meta`/`Vsn`…), and this path runs for every
 * datagram, where a generic decoder's intermediate objects cost several times more.
 *
 * The {@link Reader} signals failure by throwing a {@link WireFault} (not an `Error`: no stack is
 * captured); only this package's decoders catch it and turn it into a `DecodeResult`, so nothing
 * escapes to callers. Every length is checked against the end of the input before it is used, so a
 * hostile count can neither loop nor allocate beyond the input.
 * @module
 */
import { copyBytes, decodeUtf8 } from './alloc.js';
import type { DecodeErrorCode } from './decode-error.js';

/** The internal failure a {@link Reader} throws; converted to a `DecodeError` at the API edge. */
export class WireFault {
  /** Same fields as a `DecodeError`. */
  constructor(
    readonly code: DecodeErrorCode,
    readonly message: string,
    readonly field: string | undefined,
    readonly offset: number,
  ) {}
}

/** A shared zero-length array (a zero-length `Uint8Array` cannot be mutated). */
export const EMPTY_BYTES = new Uint8Array(0);

/** A message's map keys, in Go's sorted order: `enc` is the fixstr-encoded key, `names` the bare bytes. */
export interface KeySet {
  /** Each key as written: fixstr header + bytes. */
  readonly enc: readonly Uint8Array[];
  /** Each key's bytes, for matching. */
  readonly names: readonly Uint8Array[];
}

/** Builds a {@link KeySet} from ASCII Go field names (all shorter than 32 bytes). */
export function keySet(...names: string[]): KeySet {
  const bare = names.map((n) => Uint8Array.from(n, (c) => c.charCodeAt(0)));
  return { names: bare, enc: bare.map((b) => Uint8Array.of(0xa0 | b.length, ...b)) };
}

/** Returned by {@link scanValue} when the value is not complete yet; see {@link scanNeed}. */
export const SCAN_INCOMPLETE = -1;
/** Returned by {@link scanValue} for the one byte that is never valid msgpack (`c1`). */
export const SCAN_MALFORMED = -2;
let needHint = 0;

/** After {@link scanValue} returned {@link SCAN_INCOMPLETE}: a lower bound on the end offset the value needs. */
export function scanNeed(): number {
  return needHint;
}

/**
 * Finds where the msgpack value starting at `pos` ends, without recursion (nesting depth cannot
 * overflow the stack). Returns the end offset, {@link SCAN_INCOMPLETE} (with {@link scanNeed}
 * set) or {@link SCAN_MALFORMED}. Work is linear in the bytes scanned.
 */
export function scanValue(buf: Uint8Array, pos: number, end: number): number {
  let pending = 1;
  while (pending > 0) {
    if (pos >= end) return incomplete(pos + pending);
    const b = buf[pos++]!;
    pending--;
    let skip = 0;
    if (b <= 0x7f || b >= 0xe0) continue;
    if (b < 0x90) pending += 2 * (b & 0x0f);
    else if (b < 0xa0) pending += b & 0x0f;
    else if (b < 0xc0) skip = b & 0x1f;
    else {
      let lenBytes = 0;
      switch (b) {
        case 0xc0: case 0xc2: case 0xc3: break;
        case 0xc1: return SCAN_MALFORMED;
        case 0xcc: case 0xd0: skip = 1; break;
        case 0xcd: case 0xd1: skip = 2; break;
        case 0xca: case 0xce: case 0xd2: skip = 4; break;
        case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
        case 0xd4: skip = 2; break;
        case 0xd5: skip = 3; break;
        case 0xd6: skip = 5; break;
        case 0xd7: skip = 9; break;
        case 0xd8: skip = 17; break;
        case 0xc4: case 0xd9: case 0xc7: lenBytes = 1; break;
        case 0xc5: case 0xda: case 0xc8: case 0xdc: case 0xde: lenBytes = 2; break;
        default: lenBytes = 4; // c6 db c9 dd df
      }
      if (lenBytes > 0) {
        if (pos + lenBytes > end) return incomplete(pos + lenBytes + pending);
        let len = 0;
        for (let i = 0; i < lenBytes; i++) len = len * 256 + buf[pos + i]!;
        pos += lenBytes;
        if (b === 0xdc || b === 0xdd) pending += len;
        else if (b === 0xde || b === 0xdf) pending += 2 * len;
        else skip = b >= 0xc7 && b <= 0xc9 ? len + 1 : len; // ext carries a type byte
      }
    }
    if (skip > 0) {
      if (pos + skip > end) return incomplete(pos + skip + pending);
      pos += skip;
    }
    // Every pending value needs at least one byte: a huge count cannot spin the loop.
    if (pending > end - pos) return incomplete(pos + pending);
  }
  return pos;
}

function incomplete(need: number): number {
  needHint = need;
  return SCAN_INCOMPLETE;
}

/**
 * A cursor over `buf[pos, end)` that decodes msgpack values the way Go's codec accepts them
 * (reference §1.2): any integer width that fits, str or bin for bytes, nil as the zero value.
 * Methods throw {@link WireFault}; callers convert it.
 */
export class Reader {
  /** Reads `buf[pos, end)`; `pos` advances as values are read. */
  constructor(
    public buf: Uint8Array,
    public pos: number,
    public end: number,
  ) {}

  /** Throws a {@link WireFault} at the current offset. */
  fail(code: DecodeErrorCode, message: string, field?: string): never {
    throw new WireFault(code, message, field, this.pos);
  }

  /** Reads one byte. */
  byte(field: string): number {
    if (this.pos >= this.end) this.fail('truncated', 'input ended early', field);
    return this.buf[this.pos++]!;
  }

  /** Reads a big-endian unsigned integer of `n` (1, 2 or 4) bytes. */
  beUint(n: number, field: string): number {
    const { buf, pos } = this;
    if (pos + n > this.end) this.fail('truncated', 'input ended inside a length', field);
    this.pos = pos + n;
    if (n === 1) return buf[pos]!;
    if (n === 2) return (buf[pos]! << 8) | buf[pos + 1]!;
    return ((buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!) >>> 0;
  }

  /** Reads a map header (nil counts as an empty map, as Go leaves the struct zero). */
  mapLen(field: string): number {
    const b = this.byte(field);
    let n: number;
    if ((b & 0xf0) === 0x80) n = b & 0x0f;
    else if (b === 0xde) n = this.beUint(2, field);
    else if (b === 0xdf) n = this.beUint(4, field);
    else if (b === 0xc0) return 0;
    else return this.fail('malformed', `expected a map, got 0x${b.toString(16)}`, field);
    if (n * 2 > this.end - this.pos) this.fail('truncated', `map of ${n} entries does not fit`, field);
    return n;
  }

  /** Reads a str/bin header and returns the payload length (the payload starts at `pos`). */
  private rawLen(b: number, field: string): number {
    let n: number;
    if ((b & 0xe0) === 0xa0) n = b & 0x1f;
    else if (b === 0xd9 || b === 0xc4) n = this.beUint(1, field);
    else if (b === 0xda || b === 0xc5) n = this.beUint(2, field);
    else if (b === 0xdb || b === 0xc6) n = this.beUint(4, field);
    else return -1;
    if (n > this.end - this.pos) this.fail('truncated', `${n}-byte string does not fit`, field);
    return n;
  }

  /** Reads a map key and returns its index in `keys.names`, or −1 for a key to skip; `hint` is the likely index. */
  key(keys: KeySet, hint: number): number {
    const n = this.rawLen(this.byte('key'), 'key');
    if (n < 0) this.fail('malformed', 'map key is not a string', 'key');
    const { buf, pos } = this;
    this.pos = pos + n;
    const names = keys.names;
    // Go writes every key, sorted: the i-th key is almost always names[i]. Try that first.
    const guess = names[hint];
    if (guess !== undefined && guess.length === n) {
      let i = 0;
      while (i < n && buf[pos + i] === guess[i]) i++;
      if (i === n) return hint;
    }
    outer: for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (name.length !== n) continue;
      for (let i = 0; i < n; i++) if (buf[pos + i] !== name[i]) continue outer;
      return k;
    }
    return -1;
  }

  /** Reads any non-negative integer ≤ `max` (nil = 0). Negative or larger values are `bad-field`. */
  uint(field: string, max: number): number {
    const b = this.byte(field);
    let v: number;
    if (b <= 0x7f) {
      if (b > max) this.fail('bad-field', `${b} overflows the field (max ${max})`, field);
      return b;
    }
    if (b >= 0xe0) return this.fail('bad-field', 'negative value for an unsigned field', field);
    {
      switch (b) {
        case 0xc0: return 0;
        case 0xcc: v = this.beUint(1, field); break;
        case 0xcd: v = this.beUint(2, field); break;
        case 0xce: v = this.beUint(4, field); break;
        case 0xcf: case 0xd3: {
          const hi = this.beUint(4, field);
          const lo = this.beUint(4, field);
          if (b === 0xd3 && hi >= 0x80000000) return this.fail('bad-field', 'negative value for an unsigned field', field);
          if (hi > 0x1fffff) return this.fail('bad-field', 'integer overflows the field', field);
          v = hi * 0x100000000 + lo;
          break;
        }
        case 0xd0: v = (this.beUint(1, field) << 24) >> 24; break;
        case 0xd1: v = (this.beUint(2, field) << 16) >> 16; break;
        case 0xd2: v = this.beUint(4, field) | 0; break;
        default: return this.fail('bad-field', `expected an integer, got 0x${b.toString(16)}`, field);
      }
      if (v < 0) return this.fail('bad-field', 'negative value for an unsigned field', field);
    }
    if (v > max) return this.fail('bad-field', `${v} overflows the field (max ${max})`, field);
    return v;
  }

  /** Reads a bool (nil = false). */
  bool(field: string): boolean {
    const b = this.byte(field);
    if (b === 0xc3) return true;
    if (b === 0xc2 || b === 0xc0) return false;
    return this.fail('bad-field', `expected a bool, got 0x${b.toString(16)}`, field);
  }

  /** Reads a Go `string`: str in any width, and (leniently, as go-msgpack v2) bin; nil = ''. */
  str(field: string): string {
    const b = this.byte(field);
    if (b === 0xc0) return '';
    const n = (b & 0xe0) === 0xa0 && this.pos + (b & 0x1f) <= this.end ? b & 0x1f : this.rawLen(b, field);
    if (n < 0) this.fail('bad-field', `expected a string, got 0x${b.toString(16)}`, field);
    const start = this.pos;
    this.pos = start + n;
    return decodeUtf8(this.buf, start, start + n);
  }

  /**
   * Reads a Go `[]byte`: str or bin (kept as raw bytes, never UTF-8 decoded) or an array of small
   * ints, as the Go decoder accepts (reference §8.4). nil → `null`. The result is a copy (see
   * `copyBytes`), never a view of the input.
   */
  bytes(field: string): Uint8Array | null {
    const b = this.byte(field);
    if (b === 0xc0) return null;
    const n = (b & 0xe0) === 0xa0 && this.pos + (b & 0x1f) <= this.end ? b & 0x1f : this.rawLen(b, field);
    if (n >= 0) {
      const start = this.pos;
      this.pos = start + n;
      return n === 0 ? EMPTY_BYTES : copyBytes(this.buf, start, n);
    }
    let count: number;
    if ((b & 0xf0) === 0x90) count = b & 0x0f;
    else if (b === 0xdc) count = this.beUint(2, field);
    else if (b === 0xdd) count = this.beUint(4, field);
    else return this.fail('bad-field', `expected bytes, got 0x${b.toString(16)}`, field);
    if (count > this.end - this.pos) this.fail('truncated', `array of ${count} does not fit`, field);
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.uint(field, 0xff);
    return out;
  }

  /** Skips one value of any type (unknown keys), with bounds checks and no recursion. */
  skip(field: string): void {
    const e = scanValue(this.buf, this.pos, this.end);
    if (e === SCAN_INCOMPLETE) this.fail('truncated', 'value runs past the end', field);
    if (e === SCAN_MALFORMED) this.fail('malformed', 'invalid msgpack byte 0xc1', field);
    this.pos = e;
  }
}
