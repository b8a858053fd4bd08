/**
 * The bytes of hearsay's digest push/pull (stream type `E9`, wire version 1): a stream message
 * memberlist never defines, sent only to peers that announced {@link DIGEST_FEATURE}.
 *
 * Frame: `E9` · `len:u32be` · body of `len` bytes. Body: `version:u8` (1) · `kind:u8` · by kind:
 * - `1` request: `count:u16be` (a power of two, 1–{@link MAX_DIGEST_BUCKETS}) · `hash:u32be × count`;
 * - `2` reply: `m:u16be` · `bucket:u16be × m` (strictly ascending) · `k:u32be` · k `pushNodeState` maps;
 * - `3` entries: `k:u32be` · k `pushNodeState` maps.
 * The maps are memberlist's push/pull entries, byte for byte (keys `Addr` … `Vsn`, and `Hf`).
 * Append only: kinds and trailing fields may be added; a decoder ignores bytes after the fields it
 * knows, and reports an unknown version or kind as such. Decoding is total: bad input is a typed
 * result, never a throw, and nothing is allocated beyond what the frame holds.
 * @module
 */
import { decodePushNodeState, pushNodeName, writePushNodeState } from './bodies.js';
import { faultResult } from './codec.js';
import { decodeFail, decodeOk, type DecodeResult } from './decode-error.js';
import { HearsayStreamType, type DigestEntriesMessage, type DigestReplyMessage, type DigestRequestMessage, type PushNodeState } from './messages.js';
import { Reader, SCAN_INCOMPLETE, SCAN_MALFORMED, scanValue } from './msgpack.js';
import type { Writer } from './writer.js';

/** Feature bit (alive / push-pull key `Hf`) of a node that speaks digest push/pull v1. Bit 0 is the state layer. */
export const DIGEST_FEATURE = 2;
/** Wire version of the digest push/pull body. */
export const DIGEST_WIRE_VERSION = 1;
/** Most buckets a request may carry (16 KiB of hashes). */
export const MAX_DIGEST_BUCKETS = 4096;
/** Body kinds. Append only: values are protocol. */
export const DigestKind = { request: 1, reply: 2, entries: 3 } as const;

/** A digest push/pull stream message. */
export type DigestMessage = DigestRequestMessage | DigestReplyMessage | DigestEntriesMessage;

/** Bytes of the frame header (`E9` + u32 length) before the body. */
export const DIGEST_FRAME_HEADER = 5;

/** Writes one digest message as its whole frame (`E9 len body`). @throws {RangeError} on a bad count, bucket or entry. */
export function writeDigestFrame(w: Writer, msg: DigestMessage): void {
  w.ensure(DIGEST_FRAME_HEADER + 2);
  const rel = w.pos - w.start; // `ensure` may move the bytes written so far: keep the offset relative
  w.byte(HearsayStreamType.digestPushPull);
  w.pos += 4; // length, filled in below
  w.byte(DIGEST_WIRE_VERSION);
  switch (msg.type) {
    case 'digest-request': {
      const n = msg.buckets.length;
      if (!isBucketCount(n)) throw new RangeError(`digest bucket count must be a power of two up to ${MAX_DIGEST_BUCKETS}, got ${n}`);
      w.ensure(3 + 4 * n);
      w.byte(DigestKind.request);
      u16(w, n);
      for (let i = 0; i < n; i++) u32(w, msg.buckets[i]!);
      break;
    }
    case 'digest-reply': {
      const m = msg.buckets.length;
      if (m > MAX_DIGEST_BUCKETS) throw new RangeError(`digest reply lists ${m} buckets`);
      w.ensure(3 + 2 * m + 4);
      w.byte(DigestKind.reply);
      u16(w, m);
      for (const b of msg.buckets) u16(w, b);
      writeNodes(w, msg.nodes);
      break;
    }
    case 'digest-entries':
      w.ensure(5);
      w.byte(DigestKind.entries);
      writeNodes(w, msg.nodes);
      break;
  }
  const at = w.start + rel;
  w.be32(at + 1, w.pos - at - DIGEST_FRAME_HEADER);
}

function writeNodes(w: Writer, nodes: readonly PushNodeState[]): void {
  w.ensure(4);
  u32(w, nodes.length);
  for (const n of nodes) writePushNodeState(w, n);
}

function u16(w: Writer, v: number): void {
  w.byte(v >>> 8);
  w.byte(v & 0xff);
}

function u32(w: Writer, v: number): void {
  w.be32(w.pos, v);
  w.pos += 4;
}

/** Whether `n` is a bucket count a request may carry: a power of two, 1 … {@link MAX_DIGEST_BUCKETS}. */
export function isBucketCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_DIGEST_BUCKETS && (n & (n - 1)) === 0;
}

/** What {@link decodeDigestBody} needs besides the bytes. */
export interface DigestDecodeOptions {
  /** Most entries in one reply or entries leg (memberlist's push/pull cap, `maxPushPullNodes`). */
  readonly maxNodes: number;
  /** As `StreamDecoderOptions.knownNode`: our own entry when a peer's map is byte for byte ours. */
  readonly knownNode?: ((name: string, buf: Uint8Array, start: number, end: number) => PushNodeState | undefined) | undefined;
}

/** Decodes a digest body `buf[start, end)` (the bytes after `E9 len`). Total: never throws. */
export function decodeDigestBody(buf: Uint8Array, start: number, end: number, opts: DigestDecodeOptions): DecodeResult<DigestMessage> {
  try {
    const r = new Reader(buf, start, end);
    const version = r.byte('digest.version');
    if (version !== DIGEST_WIRE_VERSION) return decodeFail('unknown-type', `digest push/pull wire version ${version} is not known`, 'digest.version', start);
    const kind = r.byte('digest.kind');
    switch (kind) {
      case DigestKind.request: {
        const n = r.beUint(2, 'digest.count');
        if (!isBucketCount(n)) return decodeFail('bad-field', `digest bucket count ${n} is not a power of two up to ${MAX_DIGEST_BUCKETS}`, 'digest.count', r.pos);
        if (r.pos + 4 * n > end) return decodeFail('truncated', `digest request of ${n} buckets does not fit`, 'digest.buckets', r.pos);
        const buckets = new Uint32Array(n);
        for (let i = 0; i < n; i++) buckets[i] = r.beUint(4, 'digest.buckets');
        return decodeOk({ type: 'digest-request', buckets });
      }
      case DigestKind.reply: {
        const m = r.beUint(2, 'digest.m');
        if (m > MAX_DIGEST_BUCKETS) return decodeFail('too-large', `digest reply lists ${m} buckets`, 'digest.m', r.pos);
        if (r.pos + 2 * m > end) return decodeFail('truncated', `digest reply of ${m} buckets does not fit`, 'digest.buckets', r.pos);
        const buckets: number[] = [];
        for (let i = 0; i < m; i++) {
          const b = r.beUint(2, 'digest.buckets');
          if (b >= MAX_DIGEST_BUCKETS || (i > 0 && b <= buckets[i - 1]!)) return decodeFail('bad-field', 'digest reply buckets must be ascending and below the largest count', 'digest.buckets', r.pos);
          buckets.push(b);
        }
        const nodes = readNodes(r, opts);
        return nodes.ok ? decodeOk({ type: 'digest-reply', buckets, nodes: nodes.value }) : nodes;
      }
      case DigestKind.entries: {
        const nodes = readNodes(r, opts);
        return nodes.ok ? decodeOk({ type: 'digest-entries', nodes: nodes.value }) : nodes;
      }
      default:
        return decodeFail('unknown-type', `digest push/pull kind ${kind} is not known`, 'digest.kind', start + 1);
    }
  } catch (e) {
    return faultResult(e);
  }
}

/** `k:u32be` then k push/pull entry maps; each map must end inside the body. */
function readNodes(r: Reader, opts: DigestDecodeOptions): DecodeResult<PushNodeState[]> {
  const k = r.beUint(4, 'digest.k');
  if (k > opts.maxNodes) return decodeFail('too-large', `digest push/pull carries ${k} entries (limit ${opts.maxNodes})`, 'digest.k', r.pos);
  // Every map takes at least one byte: a count the body cannot hold is refused before any work.
  if (k > r.end - r.pos) return decodeFail('truncated', `${k} entries do not fit the digest body`, 'digest.k', r.pos);
  const nodes: PushNodeState[] = [];
  for (let i = 0; i < k; i++) {
    const e = scanValue(r.buf, r.pos, r.end);
    if (e === SCAN_MALFORMED) return decodeFail('malformed', 'invalid msgpack byte 0xc1', 'node', r.pos);
    if (e === SCAN_INCOMPLETE) return decodeFail('truncated', 'digest entry ends past the body', 'node', r.pos);
    const name = opts.knownNode === undefined ? undefined : pushNodeName(r.buf, r.pos, e);
    const known = name === undefined ? undefined : opts.knownNode!(name, r.buf, r.pos, e);
    if (known !== undefined) {
      nodes.push(known);
      r.pos = e;
    } else {
      const node = new Reader(r.buf, r.pos, e);
      nodes.push(decodePushNodeState(node));
      r.pos = e;
    }
  }
  return decodeOk(nodes);
}
