/**
 * Go-exact LZW: a port of Go's `compress/lzw` writer and reader with `Order = LSB`, `litWidth = 8`,
 * the only configuration memberlist uses (reference §2.4).
 *
 * Generic npm LZW packages differ from Go in small ways (first CLEAR, when the width grows, when the
 * table resets, the final EOF) and Go peers reject or misread their output, so this follows
 * `writer.go` / `reader.go` line by line. Both functions are synchronous and share module-level
 * scratch tables; they never call out, so they are safe to use from any caller.
 * @module
 */
import { decodeFail, decodeOk, type DecodeResult } from './decode-error.js';

/** Literal codes are 0…255; 256 = CLEAR, 257 = EOF, the first table code is 258. */
const CLEAR = 256;
const EOF = 257;
/** Go `maxCode` = 1<<12 − 1: when `hi` reaches it the writer emits CLEAR and starts over. */
const MAX_CODE = 4095;
const MAX_WIDTH = 12;
/** Go `tableSize` = 4 × 4096 slots, open addressing with linear probing. */
const TABLE_SIZE = 4 * 4096;
const TABLE_MASK = TABLE_SIZE - 1;
/** Go `decoderInvalidCode`. */
const INVALID = 0xffff;

// Writer scratch: Go's hash table (entry = key<<12 | code) and a growable output buffer. An entry
// counts only if its stamp equals the current epoch, so a reset is `epoch++` instead of clearing
// 64 KiB (which cost more than compressing a whole 1400-byte packet).
const table = new Uint32Array(TABLE_SIZE);
const stamps = new Uint32Array(TABLE_SIZE);
let epoch = 0;

/** Starts a new table generation; returns the epoch whose stamps mark live entries. */
function resetTable(): number {
  if (++epoch === 0xffffffff) {
    stamps.fill(0);
    epoch = 1;
  }
  return epoch;
}
let out = new Uint8Array(4096);

/**
 * LZW-compresses `input` exactly as Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by one `Write`
 * and `Close`.
 *
 * The stream starts with CLEAR, codes are 9 bits growing to 12, CLEAR and a table reset are sent
 * when the next code would be 4095, and it ends with the pending code, EOF and a zero-padded final
 * byte. Empty input gives CLEAR + EOF (3 bytes). Returns a fresh array.
 */
export function lzwCompress(input: Uint8Array): Uint8Array {
  return lzwCompressScratch(input).slice();
}

/**
 * {@link lzwCompress} into a shared scratch buffer: the result is only valid until the next call.
 *
 * Go's `writeLSB` and `incHi` are written out inline (locals only, no closures): this loop runs
 * once per input byte.
 */
export function lzwCompressScratch(input: Uint8Array): Uint8Array {
  const n = input.length;
  // Each input byte emits at most one code, plus the first CLEAR, one CLEAR per 3837 codes, the
  // pending code and EOF; codes are at most 12 bits. So the output never outgrows this bound.
  const bound = Math.ceil(((n + Math.ceil(n / 3000) + 6) * 12) / 8) + 2;
  if (out.length < bound || out.length > Math.max(2 * bound, 256 * 1024)) out = new Uint8Array(Math.max(bound, 4096));
  const dst = out;
  const tbl = table;
  const stp = stamps;
  let ep = resetTable();
  let op = 0;
  let bits = CLEAR; // the first Write starts with CLEAR (9 bits); so does Close on empty input
  let nBits = 9;
  let width = 9;
  let hi = EOF;
  let overflow = 512;
  dst[op++] = bits & 0xff;
  bits >>>= 8;
  nBits -= 8;

  if (n > 0) {
    let code = input[0]!;
    let closing = false;
    for (let i = 1; ; i++) {
      let key = 0;
      let hash = 0;
      if (i < n) {
        const literal = input[i]!;
        key = (code << 8) | literal;
        hash = ((key >>> 12) ^ key) & TABLE_MASK;
        let found = false;
        for (let h = hash; stp[h] === ep; h = (h + 1) & TABLE_MASK) {
          const t = tbl[h]!;
          if (key === t >>> 12) {
            code = t & MAX_CODE;
            found = true;
            break;
          }
        }
        if (found) continue;
      } else {
        closing = true; // Close(): write the pending code, then incHi.
      }
      bits |= code << nBits;
      nBits += width;
      while (nBits >= 8) {
        dst[op++] = bits & 0xff;
        bits >>>= 8;
        nBits -= 8;
      }
      if (!closing) code = input[i]!;
      // incHi
      hi++;
      if (hi === overflow) {
        width++;
        overflow <<= 1;
      }
      if (hi === MAX_CODE) {
        bits |= CLEAR << nBits;
        nBits += width;
        while (nBits >= 8) {
          dst[op++] = bits & 0xff;
          bits >>>= 8;
          nBits -= 8;
        }
        width = 9;
        hi = EOF;
        overflow = 512;
        ep = resetTable();
        if (closing) break;
        continue; // errOutOfCodes: no table entry for this key
      }
      if (closing) break;
      while (stp[hash] === ep) hash = (hash + 1) & TABLE_MASK;
      stp[hash] = ep;
      tbl[hash] = ((key << 12) | hi) >>> 0;
    }
  }
  // (Empty input: Go's Write never ran and Close wrote the one CLEAR above; same bytes.)
  bits |= EOF << nBits;
  nBits += width;
  while (nBits >= 8) {
    dst[op++] = bits & 0xff;
    bits >>>= 8;
    nBits -= 8;
  }
  if (nBits > 0) dst[op++] = bits & 0xff;
  return dst.subarray(0, op);
}

// Reader scratch: Go's prefix/suffix tables, zeroed per call as a fresh Go Reader's are (a hostile
// stream can reference entries it never defined; Go then reads zeros, and so must we).
const prefix = new Uint16Array(1 << MAX_WIDTH);
const suffix = new Uint8Array(1 << MAX_WIDTH);

/**
 * Decompresses a Go LZW (LSB, literal width 8) stream, as Go's `lzw.NewReader` read to EOF.
 *
 * Stops with `'too-large'` as soon as the output would exceed `maxOutput` bytes, never allocating
 * past that (memberlist's 40 MiB guard, reference appendix). Errors: `'truncated'` when the input
 * ends before the EOF code (Go's `io.ErrUnexpectedEOF`), `'compression'` for a code beyond the
 * table or an empty result (memberlist HEAD refuses empty decompressions). Bytes after EOF are
 * ignored, as in Go. Never throws; work is bounded by the input length and `maxOutput`.
 */
export function lzwDecompress(input: Uint8Array, maxOutput: number): DecodeResult<Uint8Array> {
  const r = lzwDecompressView(input, maxOutput);
  return r.ok && r.value.byteLength !== r.value.buffer.byteLength ? decodeOk(r.value.slice()) : r;
}

/**
 * {@link lzwDecompress} without the final trim: the result may be a view of a larger buffer. For
 * transient use (the packet and stream decoders copy out what they keep).
 */
export function lzwDecompressView(input: Uint8Array, maxOutput: number): DecodeResult<Uint8Array> {
  const pre = prefix;
  const suf = suffix;
  pre.fill(0);
  suf.fill(0);
  const n = input.length;
  let cap = Math.max(0, Math.min(maxOutput, Math.max(256, n * 4)));
  let dst = new Uint8Array(cap);
  let o = 0;
  let ip = 0;
  let b = 0;
  let nb = 0;
  let w = 9;
  let hi = EOF;
  let overflow = 512;
  let last = INVALID;

  for (;;) {
    while (nb < w) {
      if (ip >= n) return decodeFail('truncated', 'lzw: unexpected EOF (no EOF code)', 'Buf', ip);
      b |= input[ip++]! << nb;
      nb += 8;
    }
    const code = b & ((1 << w) - 1);
    b >>>= w;
    nb -= w;

    if (code === CLEAR) {
      w = 9;
      hi = EOF;
      overflow = 512;
      last = INVALID;
      continue;
    }
    if (code === EOF) break;
    if (code > hi) return decodeFail('compression', `lzw: invalid code ${code} (table ends at ${hi})`, 'Buf', ip);

    // The string for `code`: walk the prefix chain once for its length and first byte, then
    // again to write it back to front straight into the output. prefix[c] < c always holds (an
    // entry's prefix is the code read before it), so both walks terminate.
    // KwKwK (code === hi, being defined right now) is last's string plus its own first byte.
    const kwk = code === hi && last !== INVALID;
    const base = kwk ? last : code;
    let len = 1;
    let first = base;
    while (first >= CLEAR) {
      first = pre[first]!;
      len++;
    }
    const total = kwk ? len + 1 : len;
    if (o + total > maxOutput) {
      return decodeFail('too-large', `lzw: decompressed data exceeds ${maxOutput} bytes`, 'Buf', ip);
    }
    if (o + total > cap) {
      cap = Math.min(maxOutput, Math.max(cap * 2, o + total));
      const grown = new Uint8Array(cap);
      grown.set(dst.subarray(0, o));
      dst = grown;
    }
    let p = o + total - 1;
    if (kwk) dst[p--] = first;
    for (let c = base; c >= CLEAR; c = pre[c]!) dst[p--] = suf[c]!;
    dst[p] = first;
    o += total;
    if (last !== INVALID) {
      suf[hi] = first;
      pre[hi] = last;
    }

    last = code;
    hi++;
    if (hi >= overflow) {
      if (w === MAX_WIDTH) {
        last = INVALID;
        hi--;
      } else {
        w++;
        overflow <<= 1;
      }
    }
  }
  if (o === 0) return decodeFail('compression', 'lzw: decompressed payload is empty', 'Buf');
  return decodeOk(o === dst.length ? dst : dst.subarray(0, o));
}
