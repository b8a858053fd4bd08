/**
 * One memberlist message ⇄ bytes: the type byte plus the msgpack map Go writes (reference §1).
 *
 * Encoding matches Go byte for byte (keys sorted, smallest ints, raw str for bytes, `omitempty`
 * on the `Source*` fields), so golden vectors compare equal. Decoding accepts everything Go's
 * decoder accepts (§1.2, §8.4) and is total: any input gives a message or a typed error.
 *
 * Decoded messages are canonical: optional `Source*` fields appear only when non-empty/non-zero
 * (Go's zero value and "absent" are the same thing), an absent `Vsn` or `Addr` decodes as an
 * empty array, and every byte field is a copy, never a view of the input (byte fields of 65 B to
 * 1 KiB share small pooled backing stores, see `alloc.ts`: use `byteOffset`/`byteLength`, never
 * `.buffer` alone).
 * @module
 */
import { decodeFail, decodeOk, type DecodeError, type DecodeResult } from './decode-error.js';
import type {
  AckMessage,
  AliveMessage,
  DeadMessage,
  ErrorMessage,
  IndirectPingMessage,
  NackMessage,
  PacketMessage,
  PingMessage,
  SourceFields,
  SuspectMessage,
} from './messages.js';
import { copyBytes, encodePool } from './alloc.js';
import { EMPTY_BYTES, Reader, WireFault, keySet } from './msgpack.js';
import { Writer, bytesBound, strBound } from './writer.js';

/** Largest u32 (`SeqNo`, `Incarnation`). */
export const U32_MAX = 0xffffffff;
/** Largest u16 (`Port`, `SourcePort`). */
export const U16_MAX = 0xffff;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Map keys per Go struct, in the byte order Go sorts them (reference §1.3).
const PING_KEYS = keySet('Node', 'SeqNo', 'SourceAddr', 'SourceNode', 'SourcePort');
const INDIRECT_KEYS = keySet('Nack', 'Node', 'Port', 'SeqNo', 'SourceAddr', 'SourceNode', 'SourcePort', 'Target');
const ACK_KEYS = keySet('Payload', 'SeqNo');
const NACK_KEYS = keySet('SeqNo');
const ACCUSE_KEYS = keySet('From', 'Incarnation', 'Node'); // suspect and dead
const ALIVE_KEYS = keySet('Addr', 'Incarnation', 'Meta', 'Node', 'Port', 'Vsn', 'Hf');
const ERROR_KEYS = keySet('Error');

/** Converts whatever a decoder threw into a failed result (only {@link WireFault} is expected). */
export function faultResult(e: unknown): { ok: false; error: DecodeError } {
  if (e instanceof WireFault) return decodeFail(e.code, e.message, e.field, e.offset);
  return decodeFail('malformed', `decoder failure: ${e instanceof Error ? e.message : String(e)}`);
}

/** Checks the raw-IP length rule shared by `alive` and `pushNodeState`: 0, 4 or 16 bytes. */
export function checkAddr(r: Reader, addr: Uint8Array): void {
  const n = addr.length;
  if (n !== 0 && n !== 4 && n !== 16) r.fail('bad-field', `Addr must be 0, 4 or 16 bytes, got ${n}`, 'Addr');
}

/** Checks `Vsn`: 6 bytes, or empty when absent. 1–5 bytes would panic Go v0.2.2 (reference §4). */
export function checkVsn(r: Reader, vsn: Uint8Array): void {
  const n = vsn.length;
  if (n !== 0 && n !== 6) r.fail('bad-field', `Vsn must be 6 bytes, got ${n}`, 'Vsn');
}

function setSource(
  msg: Mutable<SourceFields>,
  addr: Uint8Array | null,
  port: number,
  node: string,
): void {
  if (addr !== null && addr.length > 0) msg.sourceAddr = addr;
  if (port !== 0) msg.sourcePort = port;
  if (node !== '') msg.sourceNode = node;
}

function decodePing(r: Reader): PingMessage {
  const n = r.mapLen('ping');
  let node = '';
  let seqNo = 0;
  let sAddr: Uint8Array | null = null;
  let sNode = '';
  let sPort = 0;
  for (let i = 0; i < n; i++) {
    switch (r.key(PING_KEYS, i)) {
      case 0: node = r.str('Node'); break;
      case 1: seqNo = r.uint('SeqNo', U32_MAX); break;
      case 2: sAddr = r.bytes('SourceAddr'); break;
      case 3: sNode = r.str('SourceNode'); break;
      case 4: sPort = r.uint('SourcePort', U16_MAX); break;
      default: r.skip('ping');
    }
  }
  const msg: Mutable<PingMessage> = { type: 'ping', seqNo, node };
  setSource(msg, sAddr, sPort, sNode);
  return msg;
}

function decodeIndirectPing(r: Reader): IndirectPingMessage {
  const n = r.mapLen('indirect-ping');
  let nack = false;
  let node = '';
  let port = 0;
  let seqNo = 0;
  let sAddr: Uint8Array | null = null;
  let sNode = '';
  let sPort = 0;
  let target: Uint8Array | null = null;
  for (let i = 0; i < n; i++) {
    switch (r.key(INDIRECT_KEYS, i)) {
      case 0: nack = r.bool('Nack'); break;
      case 1: node = r.str('Node'); break;
      case 2: port = r.uint('Port', U16_MAX); break;
      case 3: seqNo = r.uint('SeqNo', U32_MAX); break;
      case 4: sAddr = r.bytes('SourceAddr'); break;
      case 5: sNode = r.str('SourceNode'); break;
      case 6: sPort = r.uint('SourcePort', U16_MAX); break;
      case 7: target = r.bytes('Target'); break;
      default: r.skip('indirect-ping');
    }
  }
  const msg: Mutable<IndirectPingMessage> = { type: 'indirect-ping', seqNo, target: target ?? EMPTY_BYTES, port, node, nack };
  setSource(msg, sAddr, sPort, sNode);
  return msg;
}

/** Decodes an `ackResp` map body (UDP and TCP). */
export function decodeAck(r: Reader): AckMessage {
  const n = r.mapLen('ack');
  let payload: Uint8Array | null = null;
  let seqNo = 0;
  for (let i = 0; i < n; i++) {
    switch (r.key(ACK_KEYS, i)) {
      case 0: payload = r.bytes('Payload'); break;
      case 1: seqNo = r.uint('SeqNo', U32_MAX); break;
      default: r.skip('ack');
    }
  }
  return { type: 'ack', seqNo, payload };
}

function decodeNack(r: Reader): NackMessage {
  const n = r.mapLen('nack');
  let seqNo = 0;
  for (let i = 0; i < n; i++) {
    if (r.key(NACK_KEYS, i) === 0) seqNo = r.uint('SeqNo', U32_MAX);
    else r.skip('nack');
  }
  return { type: 'nack', seqNo };
}

function decodeAccuse<T extends 'suspect' | 'dead'>(r: Reader, type: T): { type: T; incarnation: number; node: string; from: string } {
  const n = r.mapLen(type);
  let from = '';
  let incarnation = 0;
  let node = '';
  for (let i = 0; i < n; i++) {
    switch (r.key(ACCUSE_KEYS, i)) {
      case 0: from = r.str('From'); break;
      case 1: incarnation = r.uint('Incarnation', U32_MAX); break;
      case 2: node = r.str('Node'); break;
      default: r.skip(type);
    }
  }
  return { type, incarnation, node, from };
}

function decodeAlive(r: Reader): AliveMessage {
  const n = r.mapLen('alive');
  let addr: Uint8Array | null = null;
  let incarnation = 0;
  let meta: Uint8Array | null = null;
  let node = '';
  let port = 0;
  let vsn: Uint8Array | null = null;
  let features: number | undefined;
  for (let i = 0; i < n; i++) {
    switch (r.key(ALIVE_KEYS, i)) {
      case 0: addr = r.bytes('Addr'); break;
      case 1: incarnation = r.uint('Incarnation', U32_MAX); break;
      case 2: meta = r.bytes('Meta'); break;
      case 3: node = r.str('Node'); break;
      case 4: port = r.uint('Port', U16_MAX); break;
      case 5: vsn = r.bytes('Vsn'); break;
      case 6: features = r.uint('Hf', U32_MAX); break;
      default: r.skip('alive');
    }
  }
  const a = addr ?? EMPTY_BYTES;
  const v = vsn ?? EMPTY_BYTES;
  checkAddr(r, a);
  checkVsn(r, v);
  return { type: 'alive', incarnation, node, addr: a, port, meta, vsn: v, ...(features === undefined ? {} : { features }) };
}

/** Decodes an `errResp` map body (TCP replies). */
export function decodeErrorBody(r: Reader): ErrorMessage {
  const n = r.mapLen('error');
  let error = '';
  for (let i = 0; i < n; i++) {
    if (r.key(ERROR_KEYS, i) === 0) error = r.str('Error');
    else r.skip('error');
  }
  return { type: 'error', error };
}

/** Decodes a `ping` map body (exported for the TCP fallback ping). */
export const decodePingBody: (r: Reader) => PingMessage = decodePing;

/**
 * Decodes the one message in `buf[start, end)` (types 0, 1, 2, 3, 4, 5, 8, 11), throwing a
 * {@link WireFault} on failure: the allocation-free core of {@link decodeMessage}, for callers
 * that catch (the packet walker decodes compound parts in place with it).
 */
export function readMessage(buf: Uint8Array, start: number, end: number): PacketMessage {
  if (start >= end) throw new WireFault('truncated', 'missing message type byte', 'type', start);
  const t = buf[start]!;
  // UDP user messages are the raw bytes after the type byte (reference §1.1).
  if (t === 8) return { type: 'user', payload: copyBytes(buf, start + 1, end - start - 1) };
  const r = new Reader(buf, start + 1, end);
  switch (t) {
    case 0: return decodePing(r);
    case 1: return decodeIndirectPing(r);
    case 2: return decodeAck(r);
    case 3: return decodeAccuse(r, 'suspect');
    case 4: return decodeAlive(r);
    case 5: return decodeAccuse(r, 'dead');
    case 11: return decodeNack(r);
    default: throw new WireFault('unknown-type', `message type ${t} is not a single packet message`, 'type', start);
  }
}

/** {@link decodeMessage} on `buf[start, end)`. */
export function decodeMessageAt(buf: Uint8Array, start: number, end: number): DecodeResult<PacketMessage> {
  try {
    return decodeOk(readMessage(buf, start, end));
  } catch (e) {
    return faultResult(e);
  }
}

/**
 * Decodes one packet message (type byte + body) as Go's decoder would.
 *
 * Handles types 0, 1, 2, 3, 4, 5, 8 and 11; compound (7) and compress (9) are unwrapped by
 * `decodePayload`, anything else is `'unknown-type'`. Keys may come in any order, unknown keys are
 * skipped, missing keys are zero values, trailing bytes after the map are ignored (Go reads one
 * value). `alive` is rejected with `'bad-field'` unless `Addr` is 0/4/16 bytes and `Vsn` 0/6.
 * Never throws.
 */
export function decodeMessage(bytes: Uint8Array): DecodeResult<PacketMessage> {
  return decodeMessageAt(bytes, 0, bytes.length);
}

function writeSource(w: Writer, keys: readonly Uint8Array[], first: number, m: SourceFields): void {
  // omitempty (reference §1.3): Go leaves the keys out entirely when the values are zero.
  const addr = m.sourceAddr;
  if (addr !== undefined && addr.length > 0) {
    w.raw(keys[first]!);
    w.bytes(addr);
  }
  if (m.sourceNode !== undefined && m.sourceNode !== '') {
    w.raw(keys[first + 1]!);
    w.str(m.sourceNode);
  }
  if (m.sourcePort !== undefined && m.sourcePort !== 0) {
    w.raw(keys[first + 2]!);
    w.uint(m.sourcePort, U16_MAX, 'sourcePort');
  }
}

function sourceBound(m: SourceFields): number {
  return (m.sourceAddr === undefined ? 0 : bytesBound(m.sourceAddr)) + (m.sourceNode === undefined ? 0 : strBound(m.sourceNode));
}

function sourceCount(m: SourceFields): number {
  return (
    (m.sourceAddr !== undefined && m.sourceAddr.length > 0 ? 1 : 0) +
    (m.sourceNode !== undefined && m.sourceNode !== '' ? 1 : 0) +
    (m.sourcePort !== undefined && m.sourcePort !== 0 ? 1 : 0)
  );
}

/** Writes the type byte and map of `msg` into `w` (everything but UDP `user`, which has no map). */
export function writeMessage(w: Writer, msg: Exclude<PacketMessage, { type: 'user' }> | ErrorMessage): void {
  // One bound per message (fixed keys and ints fit in 96 bytes), then unchecked stores.
  switch (msg.type) {
    case 'ping': {
      const k = PING_KEYS.enc;
      w.ensure(96 + strBound(msg.node) + sourceBound(msg));
      w.byte(0);
      w.map(2 + sourceCount(msg));
      w.raw(k[0]!); w.str(msg.node);
      w.raw(k[1]!); w.uint(msg.seqNo, U32_MAX, 'seqNo');
      writeSource(w, k, 2, msg);
      return;
    }
    case 'indirect-ping': {
      const k = INDIRECT_KEYS.enc;
      w.ensure(96 + strBound(msg.node) + sourceBound(msg) + bytesBound(msg.target));
      w.byte(1);
      w.map(5 + sourceCount(msg));
      w.raw(k[0]!); w.bool(msg.nack);
      w.raw(k[1]!); w.str(msg.node);
      w.raw(k[2]!); w.uint(msg.port, U16_MAX, 'port');
      w.raw(k[3]!); w.uint(msg.seqNo, U32_MAX, 'seqNo');
      writeSource(w, k, 4, msg);
      w.raw(k[7]!); w.bytes(msg.target);
      return;
    }
    case 'ack': {
      const k = ACK_KEYS.enc;
      w.ensure(96 + bytesBound(msg.payload));
      w.byte(2);
      w.map(2);
      w.raw(k[0]!); w.bytes(msg.payload);
      w.raw(k[1]!); w.uint(msg.seqNo, U32_MAX, 'seqNo');
      return;
    }
    case 'nack':
      w.ensure(96);
      w.byte(11);
      w.map(1);
      w.raw(NACK_KEYS.enc[0]!); w.uint(msg.seqNo, U32_MAX, 'seqNo');
      return;
    case 'suspect':
    case 'dead': {
      const k = ACCUSE_KEYS.enc;
      w.ensure(96 + strBound(msg.from) + strBound(msg.node));
      w.byte(msg.type === 'suspect' ? 3 : 5);
      w.map(3);
      w.raw(k[0]!); w.str(msg.from);
      w.raw(k[1]!); w.uint(msg.incarnation, U32_MAX, 'incarnation');
      w.raw(k[2]!); w.str(msg.node);
      return;
    }
    case 'alive':
      writeAlive(w, msg);
      return;
    case 'error':
      w.ensure(96 + strBound(msg.error));
      w.byte(13);
      w.map(1);
      w.raw(ERROR_KEYS.enc[0]!); w.str(msg.error);
      return;
  }
}

function writeAlive(w: Writer, msg: AliveMessage): void {
  const k = ALIVE_KEYS.enc;
  const a = msg.addr.length;
  // Guard Go peers: a 1–5 byte Vsn panics memberlist v0.2.2 (reference §4, §7.2).
  if (a !== 0 && a !== 4 && a !== 16) throw new RangeError(`alive.addr must be 0, 4 or 16 bytes, got ${a}`);
  if (msg.vsn.length !== 0 && msg.vsn.length !== 6) throw new RangeError(`alive.vsn must be 6 bytes, got ${msg.vsn.length}`);
  w.ensure(96 + bytesBound(msg.addr) + bytesBound(msg.meta) + bytesBound(msg.vsn) + strBound(msg.node));
  w.byte(4);
  w.map(msg.features === undefined ? 6 : 7);
  w.raw(k[0]!); w.bytes(msg.addr);
  w.raw(k[1]!); w.uint(msg.incarnation, U32_MAX, 'incarnation');
  w.raw(k[2]!); w.bytes(msg.meta);
  w.raw(k[3]!); w.str(msg.node);
  w.raw(k[4]!); w.uint(msg.port, U16_MAX, 'port');
  w.raw(k[5]!); w.bytes(msg.vsn);
  // hearsay's own key goes last; Go's decoder skips it (test/interop/state-capability.test.ts).
  if (msg.features !== undefined) { w.raw(k[6]!); w.uint(msg.features, U32_MAX, 'features'); }
}

const shared = new Writer(encodePool);

/**
 * Encodes one message exactly as Go memberlist writes it: type byte + msgpack map with keys
 * sorted by byte value, smallest int forms, strings and byte fields as str (fixstr/`da`/`db`),
 * nil byte fields as `c0`, `Source*` omitted when empty. A `user` message is `08` + raw payload
 * (the UDP form; streams use `encodeStreamMessage`). Returns a new array, which may share a pooled
 * backing store with other encoder output (never with the input).
 * @throws {RangeError} when a number is out of its field's range (u32 seq/incarnation, u16 port)
 *   or an `alive` has an `addr` other than 0/4/16 bytes or a `vsn` other than 0/6 bytes.
 */
export function encodeMessage(msg: PacketMessage | ErrorMessage): Uint8Array {
  if (msg.type === 'user') {
    const out = encodePool.alloc(msg.payload.length + 1);
    out[0] = 8;
    out.set(msg.payload, 1);
    return out;
  }
  shared.reset();
  writeMessage(shared, msg);
  return shared.finish();
}
