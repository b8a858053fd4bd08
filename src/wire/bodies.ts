/**
 * The msgpack bodies that wrap or frame other messages: `compress` (UDP and TCP) and the
 * stream-only push/pull header, `pushNodeState` and user-message header (reference §1.3, §3).
 * @module
 */
import { checkAddr, checkVsn, U16_MAX, U32_MAX } from './codec.js';
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

/** Writes one `pushNodeState` map. @throws {RangeError} on out-of-range numbers or a bad Addr/Vsn length. */
export function writePushNodeState(w: Writer, s: PushNodeState): void {
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
