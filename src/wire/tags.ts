/**
 * serf-style tags in member metadata: `0xFF` followed by a msgpack map of str → str (reference §9).
 * The one place that encodes and decodes them, on the wire's own msgpack reader and writer, so
 * the core (which decodes peers' tags for member snapshots) needs no third-party package.
 *
 * The bytes are the ones hearsay has always written (they were `@msgpack/msgpack`'s output):
 * keys sorted in JavaScript's default order (UTF-16 code units), fixmap / map16 / map32 headers,
 * and str headers fixstr / str8 (`d9`) / str16 / str32. serf reads them all.
 * @module
 */
import { decodeUtf8 } from './alloc.js';
import { Reader, WireFault } from './msgpack.js';
import { Writer } from './writer.js';

/** serf's tag marker: metadata that starts with this byte is a msgpack string map. */
export const SERF_TAGS_MARKER = 0xff;

const textEncoder = new TextEncoder();

/**
 * Encodes `tags` as serf metadata: the marker, then the map with keys sorted so equal tags always
 * give equal bytes. `{}` encodes as `FF 80`, which serf reads as "no tags". Strings are written
 * as UTF-8 (a lone surrogate becomes U+FFFD, as Go would read it anyway).
 * @throws {TypeError} if a value is not a string (callers validate first, naming the tag).
 */
export function encodeTags(tags: Readonly<Record<string, string>>): Uint8Array {
  const keys = Object.keys(tags).sort();
  const parts: Uint8Array[] = [];
  let bound = 6;
  for (const key of keys) {
    const value = tags[key];
    if (typeof value !== 'string') throw new TypeError(`tag ${key} is not a string`);
    const k = textEncoder.encode(key);
    const v = textEncoder.encode(value);
    parts.push(k, v);
    bound += k.length + v.length + 10;
  }
  const w = new Writer();
  w.reset();
  w.ensure(bound);
  w.byte(SERF_TAGS_MARKER);
  mapHeader(w, keys.length);
  for (const p of parts) {
    strHeader(w, p.length);
    w.raw(p);
  }
  return w.finish();
}

/** A map header in its smallest form: fixmap, map16 `de`, map32 `df`. */
function mapHeader(w: Writer, n: number): void {
  if (n < 16) w.byte(0x80 | n);
  else if (n <= 0xffff) {
    w.byte(0xde);
    w.byte(n >>> 8);
    w.byte(n & 0xff);
  } else {
    w.byte(0xdf);
    w.be32(w.pos, n);
    w.pos += 4;
  }
}

/**
 * A str header in the form tags have always used: fixstr, str8 `d9`, str16, str32. (Unlike the
 * memberlist structs, which follow Go's codec and never use `d9`: see `Writer.strHeader`.)
 */
function strHeader(w: Writer, n: number): void {
  if (n < 32) w.byte(0xa0 | n);
  else if (n <= 0xff) {
    w.byte(0xd9);
    w.byte(n);
  } else w.strHeader(n);
}

/**
 * Decodes serf-style tags: `0xFF` followed by exactly one msgpack map whose keys and values are
 * all str. Anything else — other metadata, a broken or truncated map, trailing bytes, a non-str
 * key or value, a `__proto__` key — gives `undefined`: a peer's metadata is data, never an error.
 * Invalid UTF-8 decodes with U+FFFD, as Go's strings read. A repeated key keeps its last value.
 * @returns a frozen object.
 */
export function decodeTags(meta: Uint8Array): Readonly<Record<string, string>> | undefined {
  if (meta.length < 2 || meta[0] !== SERF_TAGS_MARKER) return undefined;
  const r = new Reader(meta, 1, meta.length);
  const out: Record<string, string> = {};
  try {
    const b = r.byte('tags');
    let n: number;
    if ((b & 0xf0) === 0x80) n = b & 0x0f;
    else if (b === 0xde) n = r.beUint(2, 'tags');
    else if (b === 0xdf) n = r.beUint(4, 'tags');
    else return undefined;
    if (n * 2 > r.end - r.pos) return undefined;
    for (let i = 0; i < n; i++) {
      const key = readStr(r);
      const value = readStr(r);
      if (key === undefined || value === undefined || key === '__proto__') return undefined;
      out[key] = value;
    }
  } catch (error) {
    if (error instanceof WireFault) return undefined;
    throw error;
  }
  if (r.pos !== r.end) return undefined;
  return Object.freeze(out);
}

/** Reads one str (any width); `undefined` for any other type. Throws `WireFault` when truncated. */
function readStr(r: Reader): string | undefined {
  const b = r.byte('tag');
  let n: number;
  if ((b & 0xe0) === 0xa0) n = b & 0x1f;
  else if (b === 0xd9) n = r.beUint(1, 'tag');
  else if (b === 0xda) n = r.beUint(2, 'tag');
  else if (b === 0xdb) n = r.beUint(4, 'tag');
  else return undefined;
  if (n > r.end - r.pos) r.fail('truncated', `${n}-byte string does not fit`, 'tag');
  const start = r.pos;
  r.pos = start + n;
  return decodeUtf8(r.buf, start, start + n);
}
