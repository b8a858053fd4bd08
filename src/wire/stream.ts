/**
 * TCP stream framing (reference §3): encoding a whole stream message, and an incremental decoder
 * that parses straight from socket chunks.
 *
 * Unencrypted streams have no outer length: msgpack delimits itself, so the decoder parses the
 * type byte, the header map, N node maps and then exactly L raw bytes, and reports the message
 * the moment it is complete, never waiting for EOF (the peer keeps the socket open for the reply,
 * §7.6). Every count and length is checked against `WireLimits` before the bytes it announces are
 * waited for.
 * @module
 */
import {
  decodeCompressBody,
  decodePushNodeState,
  decodePushPullHeader,
  decodeUserMsgHeader,
  encodeCompressed,
  pushNodeName,
  writePushNodeState,
  writePushPullHeader,
  writeUserMsgHeader,
} from './bodies.js';
import { decodeAck, decodeErrorBody, decodePingBody, faultResult, writeMessage } from './codec.js';
import { decodeDigestBody, DIGEST_FRAME_HEADER, writeDigestFrame } from './digest-stream.js';
import { decodeFail, type DecodeError } from './decode-error.js';
import { decryptPayload, encryptPayload, encryptionOverhead, type Keyring } from './keyring.js';
import { lzwDecompressView } from './lzw.js';
import { HearsayStreamType, type PushNodeState, type StreamMessage } from './messages.js';
import { EMPTY_BYTES, Reader, SCAN_INCOMPLETE, SCAN_MALFORMED, scanNeed, scanValue } from './msgpack.js';
import { Writer } from './writer.js';
import { checkLabel, type PacketSecurity } from './packet.js';
import type { WireLimits } from '../options.js';

const TYPE_ENCRYPT = 10;
const TYPE_COMPRESS = 9;
const TYPE_LABEL = 0xf4;

/** Options of {@link encodeStreamMessage}. */
export interface StreamEncodeOptions {
  /** Wrap as `09 {Algo, Buf}`, always (streams have no "only if smaller" check, reference §3.1). */
  readonly compress: boolean;
  /** Encrypt as `0A len32be vsn nonce ct tag` with the primary key. Default: plaintext. */
  readonly keyring?: Keyring;
  /** Cluster label: part of the GCM AAD, and the preamble when `labelPreamble`. */
  readonly label?: Uint8Array;
  /** Encryption version, default 1. */
  readonly encryptionVersion?: 0 | 1;
  /** Prefix `F4 len label` (the dialer's first write; replies have none). Ignored without a label. */
  readonly labelPreamble: boolean;
}

function encodeFrame(msg: StreamMessage): Uint8Array {
  const w = new Writer();
  switch (msg.type) {
    case 'push-pull':
      writePushPullHeader(w, { join: msg.join, nodes: msg.nodes.length, userStateLen: msg.userState.length });
      for (const node of msg.nodes) writePushNodeState(w, node);
      w.ensure(msg.userState.length);
      w.raw(msg.userState);
      break;
    case 'user':
      writeUserMsgHeader(w, msg.payload.length);
      w.ensure(msg.payload.length);
      w.raw(msg.payload);
      break;
    case 'digest-request':
    case 'digest-reply':
    case 'digest-entries':
      writeDigestFrame(w, msg);
      break;
    default:
      writeMessage(w, msg);
  }
  return w.finish();
}

/**
 * Encodes one stream message as Go's `rawSendMsgStream` writes it (reference §3): push/pull =
 * `06` + `{Join, Nodes, UserStateLen}` + N `pushNodeState` maps + user state; user = `08
 * {UserMsgLen}` + bytes; ping `00`, ack `02`, error `0D` + map. Then, in order: compression
 * (always, when on), encryption (`0A len32be` + sealed, AAD = those 5 bytes + label), and the
 * label preamble. Returns a fresh array.
 * @throws {RangeError} on out-of-range numbers, a bad Addr/Vsn length, or a label over 255 bytes.
 */
export function encodeStreamMessage(msg: StreamMessage, opts: StreamEncodeOptions): Uint8Array {
  let frame = encodeFrame(msg);
  if (opts.compress) frame = encodeCompressed(frame);
  const label = opts.label ?? EMPTY_BYTES;
  if (label.length > 255) throw new RangeError(`label must be 1–255 bytes, got ${label.length}`);
  if (opts.keyring !== undefined) {
    const version = opts.encryptionVersion ?? 1;
    const pad = version === 0 ? 16 - (frame.length % 16) : 0;
    const len = encryptionOverhead(1) + frame.length + pad;
    const aad = new Uint8Array(5 + label.length);
    aad[0] = TYPE_ENCRYPT;
    new DataView(aad.buffer).setUint32(1, len);
    aad.set(label, 5);
    const sealed = encryptPayload(version, opts.keyring.primaryKey, frame, aad);
    frame = new Uint8Array(5 + sealed.length);
    frame.set(aad.subarray(0, 5));
    frame.set(sealed, 5);
  }
  if (opts.labelPreamble && label.length > 0) {
    const out = new Uint8Array(2 + label.length + frame.length);
    out[0] = TYPE_LABEL;
    out[1] = label.length;
    out.set(label, 2);
    out.set(frame, 2 + label.length);
    frame = out;
  }
  return frame;
}

/** Options of {@link StreamDecoder}; `encryptionVersion` is accepted and ignored (the sender's version byte rules). */
export interface StreamDecoderOptions extends PacketSecurity {
  /** The dialer's peer (we accepted the connection) may open with `F4 len label`; a reply never does. */
  readonly expectLabelPreamble: boolean;
  readonly limits: WireLimits;
  /**
   * Optional: given a push/pull entry's name and its encoded map `buf[start, end)`, returns an
   * existing {@link PushNodeState} whose encoding is exactly those bytes (the node's own entry,
   * when the peer's view of that member is the same as ours), used in place of a decoded copy.
   * Each entry of a big table then costs a name lookup and a byte comparison, not a decode.
   */
  readonly knownNode?: (name: string, buf: Uint8Array, start: number, end: number) => PushNodeState | undefined;
}

/** One result of {@link StreamDecoder.next}. */
export type StreamStep =
  | { readonly kind: 'need-more' }
  | { readonly kind: 'message'; readonly message: StreamMessage }
  | { readonly kind: 'error'; readonly error: DecodeError };

const NEED_MORE: StreamStep = Object.freeze({ kind: 'need-more' });

/** Where the decoder is. 'pp-*' and 'user-body' are the resumable parts of big messages. */
type Phase = 'label' | 'type' | 'pp-nodes' | 'pp-user' | 'user-body';

/** Nesting: 0 = the socket, 1 = inside decrypted bytes (compress allowed), 2 = inside decompressed bytes. */
type Layer = 0 | 1 | 2;

/**
 * Incremental decoder for one side of a memberlist TCP stream.
 *
 * Usage: `push(chunk)` what the socket delivers, then call `next()` until it says `need-more`.
 * `next()` returns each message as soon as its last byte has arrived. Several messages on one
 * connection are returned in order; the label preamble is only looked for at the very start.
 * After an `error`, the decoder stays failed (every later `next()` returns the same error and
 * `push()` drops data): close the connection. At EOF call {@link end}.
 *
 * Caps (all `'too-large'`, checked before the announced bytes are buffered): encrypted length >
 * `maxStreamBytes`; `Nodes` > `maxPushPullNodes`; `UserStateLen` > `maxStreamBytes`;
 * `UserMsgLen` > `maxUserMessageBytes`; any single map, or a push/pull's maps together, over
 * `maxStreamBytes`; decompressed data over `maxDecompressedBytes`; and unread buffered data over
 * the largest of those caps + 64 KiB.
 */
export class StreamDecoder {
  readonly #opts: StreamDecoderOptions;
  #layer: Layer = 0;
  #buf: Uint8Array = EMPTY_BYTES;
  #start = 0;
  #end = 0;
  /** Don't re-parse until at least this many bytes are buffered (from `#start`). */
  #need = 0;
  #phase: Phase;
  #error: DecodeError | undefined;
  #join = false;
  #nodesLeft = 0;
  #nodes: PushNodeState[] = [];
  #frameBytes = 0;
  #bodyLen = 0;

  /** Creates a decoder for one connection (one direction of it). */
  constructor(opts: StreamDecoderOptions) {
    this.#opts = opts;
    this.#phase = opts.expectLabelPreamble ? 'label' : 'type';
  }

  /** Buffers a chunk from the socket (copied). Ignored once the decoder has failed. */
  push(chunk: Uint8Array): void {
    if (this.#error !== undefined || chunk.length === 0) return;
    const live = this.#end - this.#start;
    const { maxStreamBytes, maxUserMessageBytes } = this.#opts.limits;
    if (live + chunk.length > Math.max(maxStreamBytes, maxUserMessageBytes) + 65_536) {
      this.#error = decodeFail('too-large', `more than ${live + chunk.length} unread bytes buffered`, 'stream').error;
      return;
    }
    if (this.#end + chunk.length > this.#buf.length) {
      const size = live + chunk.length;
      if (size <= this.#buf.length) this.#buf.copyWithin(0, this.#start, this.#end);
      else {
        const grown = new Uint8Array(Math.max(size, this.#buf.length * 2, 4096));
        grown.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = grown;
      }
      this.#start = 0;
      this.#end = live;
    }
    this.#buf.set(chunk, this.#end);
    this.#end += chunk.length;
  }

  /** A decoder over the complete plaintext of an encrypted or compressed frame (not copied). */
  static #over(opts: StreamDecoderOptions, layer: Layer, bytes: Uint8Array): StreamDecoder {
    const d = new StreamDecoder({ ...opts, expectLabelPreamble: false });
    d.#layer = layer;
    d.#buf = bytes;
    d.#end = bytes.length;
    return d;
  }

  /** Decodes the next message, or says more bytes are needed, or reports the (sticky) failure. */
  next(): StreamStep {
    if (this.#error !== undefined) return { kind: 'error', error: this.#error };
    if (this.#end - this.#start < this.#need) return NEED_MORE;
    let step: StreamStep;
    try {
      step = this.#step();
    } catch (e) {
      step = { kind: 'error', error: faultResult(e).error };
    }
    if (step.kind === 'error') this.#error = step.error;
    return step;
  }

  /**
   * Reports how the stream ended: `undefined` when EOF fell on a message boundary (clean close),
   * otherwise the sticky error, or a `'truncated'` error when EOF cut a message short.
   */
  end(): DecodeError | undefined {
    if (this.#error !== undefined) return this.#error;
    if (this.#end === this.#start && (this.#phase === 'type' || this.#phase === 'label')) return undefined;
    return decodeFail('truncated', 'stream ended inside a message', 'stream', this.#start).error;
  }

  #fail(code: DecodeError['code'], message: string, field?: string): StreamStep {
    return { kind: 'error', error: decodeFail(code, message, field, this.#start).error };
  }

  #consume(n: number): void {
    this.#start += n;
    this.#need = 0;
  }

  /** Waits for `n` bytes from `#start`; true if they are buffered. */
  #have(n: number): boolean {
    if (this.#end - this.#start >= n) return true;
    this.#need = n;
    return false;
  }

  /** Scans one msgpack value at `#start + offset`; its end offset (from `#start`), or a step. */
  #scan(offset: number, field: string, cap: number): number | StreamStep {
    const at = this.#start + offset;
    const e = scanValue(this.#buf, at, this.#end);
    if (e === SCAN_MALFORMED) return this.#fail('malformed', 'invalid msgpack byte 0xc1', field);
    if (e === SCAN_INCOMPLETE) {
      if (scanNeed() - at > cap) return this.#fail('too-large', `${field} map exceeds ${cap} bytes`, field);
      this.#need = scanNeed() - this.#start;
      return NEED_MORE;
    }
    if (e - at > cap) return this.#fail('too-large', `${field} map exceeds ${cap} bytes`, field);
    return e - this.#start;
  }

  #reader(from: number, to: number): Reader {
    return new Reader(this.#buf, this.#start + from, this.#start + to);
  }

  #step(): StreamStep {
    const limits = this.#opts.limits;
    switch (this.#phase) {
      case 'label': {
        if (!this.#have(1)) return NEED_MORE;
        if (this.#buf[this.#start] === TYPE_LABEL && !this.#have(2 + (this.#end - this.#start >= 2 ? this.#buf[this.#start + 1]! : 0))) {
          return NEED_MORE;
        }
        const r = checkLabel(this.#buf.subarray(this.#start, this.#end), this.#opts.label);
        if (!r.ok) return { kind: 'error', error: r.error };
        this.#consume(r.value);
        this.#phase = 'type';
        return this.#step();
      }
      case 'pp-nodes':
      case 'pp-user':
        return this.#pushPullBody();
      case 'user-body': {
        if (!this.#have(this.#bodyLen)) return NEED_MORE;
        const payload = this.#buf.slice(this.#start, this.#start + this.#bodyLen);
        this.#consume(this.#bodyLen);
        this.#phase = 'type';
        return { kind: 'message', message: { type: 'user', payload } };
      }
      case 'type':
        break;
    }
    if (!this.#have(1)) return NEED_MORE;
    const t = this.#buf[this.#start]!;
    const { keyring, verifyIncoming } = this.#opts;
    if (t === TYPE_ENCRYPT && this.#layer === 0) {
      if (keyring === undefined) return this.#fail('decrypt-failed', 'remote state is encrypted and encryption is not configured', 'type');
      if (!this.#have(5)) return NEED_MORE;
      const b = this.#buf;
      const s = this.#start;
      const len = ((b[s + 1]! << 24) | (b[s + 2]! << 16) | (b[s + 3]! << 8) | b[s + 4]!) >>> 0;
      if (len > limits.maxStreamBytes) return this.#fail('too-large', `encrypted stream of ${len} bytes exceeds ${limits.maxStreamBytes}`, 'length');
      if (!this.#have(5 + len)) return NEED_MORE;
      const label = this.#opts.label ?? EMPTY_BYTES;
      const aad = new Uint8Array(5 + label.length);
      aad.set(b.subarray(s, s + 5));
      aad.set(label, 5);
      const plain = decryptPayload(keyring.keys, b.subarray(s + 5, s + 5 + len), aad);
      this.#consume(5 + len);
      if (!plain.ok) return { kind: 'error', error: plain.error };
      return this.#inner(plain.value, 1);
    }
    if (this.#layer === 0 && keyring !== undefined && verifyIncoming !== false) {
      return this.#fail('unencrypted', 'encryption is configured but the remote stream is not encrypted', 'type');
    }
    if (t === TYPE_COMPRESS && this.#layer < 2) {
      const e = this.#scan(1, 'compress', limits.maxStreamBytes);
      if (typeof e !== 'number') return e;
      const compressed = decodeCompressBody(this.#reader(1, e));
      this.#consume(e);
      const out = lzwDecompressView(compressed, limits.maxDecompressedBytes);
      if (!out.ok) return { kind: 'error', error: out.error };
      return this.#inner(out.value, 2);
    }
    switch (t) {
      case 6: {
        const e = this.#scan(1, 'push-pull', limits.maxStreamBytes);
        if (typeof e !== 'number') return e;
        const h = decodePushPullHeader(this.#reader(1, e));
        if (h.nodes > limits.maxPushPullNodes) return this.#fail('too-large', `push/pull announces ${h.nodes} nodes (limit ${limits.maxPushPullNodes})`, 'Nodes');
        if (h.userStateLen > limits.maxStreamBytes) return this.#fail('too-large', `user state of ${h.userStateLen} bytes exceeds ${limits.maxStreamBytes}`, 'UserStateLen');
        this.#consume(e);
        this.#join = h.join;
        this.#nodesLeft = h.nodes;
        this.#nodes = [];
        this.#bodyLen = h.userStateLen;
        this.#frameBytes = e;
        this.#phase = 'pp-nodes';
        return this.#pushPullBody();
      }
      case 8: {
        const e = this.#scan(1, 'user', limits.maxStreamBytes);
        if (typeof e !== 'number') return e;
        const len = decodeUserMsgHeader(this.#reader(1, e));
        if (len > limits.maxUserMessageBytes) return this.#fail('too-large', `user message of ${len} bytes exceeds ${limits.maxUserMessageBytes}`, 'UserMsgLen');
        this.#consume(e);
        this.#bodyLen = len;
        this.#phase = 'user-body';
        return this.#step();
      }
      case HearsayStreamType.digestPushPull: {
        // hearsay's digest push/pull: a length-prefixed body (wire/digest-stream.ts), decoded whole.
        if (!this.#have(DIGEST_FRAME_HEADER)) return NEED_MORE;
        const b = this.#buf;
        const s = this.#start;
        const len = ((b[s + 1]! << 24) | (b[s + 2]! << 16) | (b[s + 3]! << 8) | b[s + 4]!) >>> 0;
        if (len > limits.maxStreamBytes) return this.#fail('too-large', `digest push/pull of ${len} bytes exceeds ${limits.maxStreamBytes}`, 'length');
        if (!this.#have(DIGEST_FRAME_HEADER + len)) return NEED_MORE;
        const body = decodeDigestBody(b, s + DIGEST_FRAME_HEADER, s + DIGEST_FRAME_HEADER + len, { maxNodes: limits.maxPushPullNodes, knownNode: this.#opts.knownNode });
        this.#consume(DIGEST_FRAME_HEADER + len);
        return body.ok ? { kind: 'message', message: body.value } : { kind: 'error', error: body.error };
      }
      case 0:
      case 2:
      case 13: {
        const e = this.#scan(1, t === 0 ? 'ping' : t === 2 ? 'ack' : 'error', limits.maxStreamBytes);
        if (typeof e !== 'number') return e;
        const r = this.#reader(1, e);
        const message = t === 0 ? decodePingBody(r) : t === 2 ? decodeAck(r) : decodeErrorBody(r);
        this.#consume(e);
        return { kind: 'message', message };
      }
      default:
        return this.#fail('unknown-type', `message type ${t} is not valid on a stream`, 'type');
    }
  }

  #pushPullBody(): StreamStep {
    const cap = this.#opts.limits.maxStreamBytes;
    while (this.#nodesLeft > 0) {
      const e = this.#scan(0, 'node', cap - this.#frameBytes);
      if (typeof e !== 'number') return e;
      this.#nodes.push(this.#known(e) ?? decodePushNodeState(this.#reader(0, e)));
      this.#consume(e);
      this.#frameBytes += e;
      this.#nodesLeft--;
    }
    this.#phase = 'pp-user';
    if (!this.#have(this.#bodyLen)) return NEED_MORE;
    const userState = this.#bodyLen === 0 ? EMPTY_BYTES : this.#buf.slice(this.#start, this.#start + this.#bodyLen);
    this.#consume(this.#bodyLen);
    const nodes = this.#nodes;
    this.#nodes = [];
    this.#phase = 'type';
    return { kind: 'message', message: { type: 'push-pull', join: this.#join, nodes, userState } };
  }

  /** The caller's own entry for the node map `#start … #start + e`, if it has one with these exact bytes. */
  #known(e: number): PushNodeState | undefined {
    const known = this.#opts.knownNode;
    if (known === undefined) return undefined;
    const name = pushNodeName(this.#buf, this.#start, this.#start + e);
    return name === undefined ? undefined : known(name, this.#buf, this.#start, this.#start + e);
  }

  /** Decodes a complete decrypted/decompressed frame; running out of bytes there is `'truncated'`. */
  #inner(bytes: Uint8Array, layer: Layer): StreamStep {
    const step = StreamDecoder.#over(this.#opts, layer, bytes).next();
    if (step.kind !== 'need-more') return step;
    return this.#fail('truncated', `${layer === 1 ? 'decrypted' : 'decompressed'} stream frame is incomplete`, 'stream');
  }
}
