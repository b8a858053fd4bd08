/**
 * The msgpack bodies that wrap or frame other messages: `compress` (UDP and TCP) and the
 * stream-only push/pull header, `pushNodeState` and user-message header (reference §1.3, §3).
 * @module
 */
import { checkAddr, checkVsn, U16_MAX, U32_MAX } from './codec.js';
import { decodeUtf8 } from './alloc.js';
import { lzwCompressScratch } from './lzw.js';
import type { NodeStateNumberValue, PushNodeState } from './messages.js';
import { EMPTY_BYTES, Reader, keySet } from './msgpack.js';
import { Writer, bytesBound, strBound } from './writer.js';

const COMPRESS_KEYS = keySet('Algo', 'Buf');
const HEADER_KEYS = keySet('Join', 'Nodes', 'UserStateLen');
const NODE_KEYS = keySet('Addr', 'Incarnation', 'Meta', 'Name', 'Port', 'State', 'Vsn', 'Hf');
const USER_KEYS = keySet('UserMsgLen');

/** memberlist's only compression algorithm number (`lzwAlgo`). */
export const LZW_ALGO = 0;

/**
 * `09` + `{Algo: 0, Buf: lzw(inner)}`, exactly as Go's `compressPayload` (the `Buf` length uses
 * str16 `da` from 32 bytes on, reference §8.3).
 */
export function encodeCompressed(inner: Uint8Array, w: Writer = new Writer()): Uint8Array {
  const lzw = lzwCompressScratch(inner);
  const k = COMPRESS_KEYS.enc;
  w.reset();
  w.ensure(32 + bytesBound(lzw));
  w.byte(9);
  w.map(2);
  w.raw(k[0]!);
  w.uint(LZW_ALGO, 0xff, 'algo');
  w.raw(k[1]!);
  w.bytes(lzw);
  return w.finish();
}

/** Reads a `compress` map and returns `Buf` (still compressed). Unknown `Algo` → `'compression'`. */
export function decodeCompressBody(r: Reader): Uint8Array {
  const n = r.mapLen('compress');
  let algo = 0;
  let buf: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    switch (r.key(COMPRESS_KEYS, i)) {
      case 0: algo = r.uint('Algo', 0xff); break;
      case 1: buf = r.bytes('Buf'); break;
      default: r.skip('compress');
    }
  }
  if (algo !== LZW_ALGO) r.fail('compression', `unknown compression algorithm ${algo}`, 'Algo');
  return buf ?? EMPTY_BYTES;
}

/** The decoded `pushPullHeader`. Counts are checked against WireLimits by the caller. */
export interface PushPullHeader {
  readonly join: boolean;
  readonly nodes: number;
  readonly userStateLen: number;
}

/** Reads a `pushPullHeader` map (Go `int`s: negative counts are `bad-field`). */
export function decodePushPullHeader(r: Reader): PushPullHeader {
  const n = r.mapLen('push-pull');
  let join = false;
  let nodes = 0;
  let userStateLen = 0;
  for (let i = 0; i < n; i++) {
    switch (r.key(HEADER_KEYS, i)) {
      case 0: join = r.bool('Join'); break;
      case 1: nodes = r.uint('Nodes', Number.MAX_SAFE_INTEGER); break;
      case 2: userStateLen = r.uint('UserStateLen', Number.MAX_SAFE_INTEGER); break;
      default: r.skip('push-pull');
    }
  }
  return { join, nodes, userStateLen };
}

/** Writes `06` + the `pushPullHeader` map. */
export function writePushPullHeader(w: Writer, h: PushPullHeader): void {
  const k = HEADER_KEYS.enc;
  w.ensure(64);
  w.byte(6);
  w.map(3);
  w.raw(k[0]!);
  w.bool(h.join);
  w.raw(k[1]!);
  w.uint(h.nodes, Number.MAX_SAFE_INTEGER, 'nodes');
  w.raw(k[2]!);
  w.uint(h.userStateLen, Number.MAX_SAFE_INTEGER, 'userStateLen');
}

/**
 * Reads one `pushNodeState` map (key `Name`, not `Node`). `Addr` must be 0/4/16 bytes, `Vsn` 0/6,
 * and `State` 0–3 (memberlist has no other states; Go would ignore such an entry, we reject).
 */
export function decodePushNodeState(r: Reader): PushNodeState {
  const n = r.mapLen('node');
  let addr: Uint8Array | null = null;
  let incarnation = 0;
  let meta: Uint8Array | null = null;
  let name = '';
  let port = 0;
  let state = 0;
  let vsn: Uint8Array | null = null;
  let features: number | undefined;
  for (let i = 0; i < n; i++) {
    switch (r.key(NODE_KEYS, i)) {
      case 0: addr = r.bytes('Addr'); break;
      case 1: incarnation = r.uint('Incarnation', U32_MAX); break;
      case 2: meta = r.bytes('Meta'); break;
      case 3: name = r.str('Name'); break;
      case 4: port = r.uint('Port', U16_MAX); break;
      case 5: state = r.uint('State', 3); break;
      case 6: vsn = r.bytes('Vsn'); break;
      case 7: features = r.uint('Hf', U32_MAX); break;
      default: r.skip('node');
    }
  }
  const a = addr ?? EMPTY_BYTES;
  const v = vsn ?? EMPTY_BYTES;
  checkAddr(r, a);
  checkVsn(r, v);
  return { name, addr: a, port, meta, incarnation, state: state as NodeStateNumberValue, vsn: v, ...(features === undefined ? {} : { features }) };
}

/**
 * The `Name` of the `pushNodeState` map at `buf[start, end)` when the map is laid out as
 * {@link writePushNodeState} (and Go) write it — seven keys (eight with hearsay's `Hf`, last) in order, `Addr`,
 * `Incarnation`, `Meta`, then `Name` — else `undefined`. Cheap: the stream decoder asks it to find out whether a
 * peer's entry is byte for byte what we would send (`StreamDecoderOptions.knownNode`).
 */
export function pushNodeName(buf: Uint8Array, start: number, end: number): string | undefined {
  const k = NODE_KEYS.enc;
  if (buf[start] !== 0x87 && buf[start] !== 0x88) return undefined; // 8 keys: hearsay's `Hf` last
  let p = skipKey(buf, start + 1, end, k[0]!);
  p = p < 0 ? -1 : skipStr(buf, p, end);
  p = p < 0 ? -1 : skipKey(buf, p, end, k[1]!);
  if (p < 0 || p >= end) return undefined;
  const u = buf[p]!;
  p += u <= 0x7f ? 1 : u === 0xcc ? 2 : u === 0xcd ? 3 : u === 0xce ? 5 : u === 0xcf ? 9 : end + 1;
  p = skipKey(buf, p, end, k[2]!);
  p = p < 0 ? -1 : skipStr(buf, p, end);
  p = p < 0 ? -1 : skipKey(buf, p, end, k[3]!);
  if (p < 0 || p >= end) return undefined;
  const h = buf[p]!;
  if ((h & 0xe0) !== 0xa0 || p + 1 + (h & 0x1f) > end) return undefined;
  return decodeUtf8(buf, p + 1, p + 1 + (h & 0x1f));
}

/** The offset after the encoded key `key` at `p`, or −1 if another byte is there. */
function skipKey(buf: Uint8Array, p: number, end: number, key: Uint8Array): number {
  if (p < 0 || p + key.length > end) return -1;
  for (let i = 0; i < key.length; i++) if (buf[p + i] !== key[i]) return -1;
  return p + key.length;
}

/** The offset after the nil or str (fixstr, str16 or str32, as our writer writes) at `p`, or −1. */
function skipStr(buf: Uint8Array, p: number, end: number): number {
  if (p >= end) return -1;
  const h = buf[p]!;
  let q: number;
  if (h === 0xc0) q = p + 1;
  else if ((h & 0xe0) === 0xa0) q = p + 1 + (h & 0x1f);
  else if (h === 0xda && p + 3 <= end) q = p + 3 + ((buf[p + 1]! << 8) | buf[p + 2]!);
  else if (h === 0xdb && p + 5 <= end) q = p + 5 + (((buf[p + 1]! << 24) | (buf[p + 2]! << 16) | (buf[p + 3]! << 8) | buf[p + 4]!) >>> 0);
  else return -1;
  return q <= end ? q : -1;
}

/** Writes {@link EncodedPushNodeState}s' maps the first time (module-level: one record at a time). */
const recordWriter = new Writer();
/** Size of the slabs kept maps are copied into; a map over a quarter of it gets its own array. */
const RECORD_SLAB_BYTES = 16 * 1024;
/**
 * Where kept maps live: ranges of shared slabs, not an array each. A map is usually over 64
 * bytes, and V8 gives every such array its own off-heap buffer whose bookkeeping every GC walks;
 * with one kept map per member per node (10⁶ at N = 1,000) that made the simulator slower, not
 * faster. A slab lives while any map in it does; members change rarely, so little is pinned.
 */
let recordSlab = new Uint8Array(RECORD_SLAB_BYTES);
let recordSlabPos = 0;

/**
 * A {@link PushNodeState} that keeps its encoded `pushNodeState` map: encoded on the first write,
 * copied as is on every later one. A sender keeps one per member entry while the entry is
 * unchanged, so a push/pull of a big table copies bytes instead of re-encoding every member
 * (at N = 1,000 the encoding was an eighth of the simulator's time). Immutable; the bytes are
 * exactly {@link writePushNodeState}'s, and a bad field throws at that first write as there.
 */
export class EncodedPushNodeState implements PushNodeState {
  #slab: Uint8Array | undefined;
  #at = 0;
  #length = 0;

  /** The node state; the arrays must not be changed afterwards (the encoding would go stale). */
  constructor(
    readonly name: string,
    readonly addr: Uint8Array,
    readonly port: number,
    readonly meta: Uint8Array | null,
    readonly incarnation: number,
    readonly state: NodeStateNumberValue,
    readonly vsn: Uint8Array,
    readonly features?: number,
  ) {}

  /** The encoded map, a copy. @throws {RangeError} as {@link writePushNodeState}. */
  get bytes(): Uint8Array {
    const slab = this.#encoded();
    return slab.slice(this.#at, this.#at + this.#length);
  }

  /** Appends the encoded map to `w`. @throws {RangeError} as {@link writePushNodeState}. */
  writeTo(w: Writer): void {
    const slab = this.#encoded();
    const n = this.#length;
    w.ensure(n);
    // A loop, not `set(subarray(…))`: no view object per member.
    const buf = w.buf;
    const at = this.#at;
    let p = w.pos;
    for (let i = 0; i < n; i++) buf[p++] = slab[at + i]!;
    w.pos = p;
  }

  /** Whether `buf[start, end)` is exactly the encoded map. @throws {RangeError} as {@link writePushNodeState}. */
  encodes(buf: Uint8Array, start: number, end: number): boolean {
    const slab = this.#encoded();
    const n = this.#length;
    if (end - start !== n) return false;
    const at = this.#at;
    for (let i = 0; i < n; i++) if (slab[at + i] !== buf[start + i]) return false;
    return true;
  }

  /** The slab holding the map (encoding it on first use). */
  #encoded(): Uint8Array {
    if (this.#slab !== undefined) return this.#slab;
    const w = recordWriter;
    w.reset();
    writeFields(w, this);
    const n = w.pos - w.start;
    if (n > RECORD_SLAB_BYTES / 4) {
      this.#slab = w.buf.slice(w.start, w.pos);
    } else {
      if (recordSlabPos + n > RECORD_SLAB_BYTES) {
        recordSlab = new Uint8Array(RECORD_SLAB_BYTES);
        recordSlabPos = 0;
      }
      recordSlab.set(w.buf.subarray(w.start, w.pos), recordSlabPos);
      this.#slab = recordSlab;
      this.#at = recordSlabPos;
      recordSlabPos += n;
    }
    this.#length = n;
    return this.#slab;
  }
}

/**
 * Writes one `pushNodeState` map (an {@link EncodedPushNodeState}'s kept bytes when it has them).
 * @throws {RangeError} on out-of-range numbers or a bad Addr/Vsn length.
 */
export function writePushNodeState(w: Writer, s: PushNodeState): void {
  if (s instanceof EncodedPushNodeState) s.writeTo(w);
  else writeFields(w, s);
}

function writeFields(w: Writer, s: PushNodeState): void {
  const k = NODE_KEYS.enc;
  const a = s.addr.length;
  if (a !== 0 && a !== 4 && a !== 16) throw new RangeError(`node.addr must be 0, 4 or 16 bytes, got ${a}`);
  if (s.vsn.length !== 0 && s.vsn.length !== 6) throw new RangeError(`node.vsn must be 6 bytes, got ${s.vsn.length}`);
  w.ensure(96 + bytesBound(s.addr) + bytesBound(s.meta) + bytesBound(s.vsn) + strBound(s.name));
  w.map(s.features === undefined ? 7 : 8);
  w.raw(k[0]!); w.bytes(s.addr);
  w.raw(k[1]!); w.uint(s.incarnation, U32_MAX, 'incarnation');
  w.raw(k[2]!); w.bytes(s.meta);
  w.raw(k[3]!); w.str(s.name);
  w.raw(k[4]!); w.uint(s.port, U16_MAX, 'port');
  w.raw(k[5]!); w.uint(s.state, 3, 'state');
  w.raw(k[6]!); w.bytes(s.vsn);
  if (s.features !== undefined) { w.raw(k[7]!); w.uint(s.features, U32_MAX, 'features'); }
}

/** Reads a `userMsgHeader` map and returns `UserMsgLen`. */
export function decodeUserMsgHeader(r: Reader): number {
  const n = r.mapLen('user');
  let len = 0;
  for (let i = 0; i < n; i++) {
    if (r.key(USER_KEYS, i) === 0) len = r.uint('UserMsgLen', Number.MAX_SAFE_INTEGER);
    else r.skip('user');
  }
  return len;
}

/** Writes `08` + `{UserMsgLen: n}` (the payload bytes follow). */
export function writeUserMsgHeader(w: Writer, n: number): void {
  w.ensure(32);
  w.byte(8);
  w.map(1);
  w.raw(USER_KEYS.enc[0]!);
  w.uint(n, Number.MAX_SAFE_INTEGER, 'userMsgLen');
}
