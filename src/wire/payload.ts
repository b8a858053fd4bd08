/**
 * Decoding an opened UDP payload into messages: compound (07) and compress (09) unwrapped
 * recursively, as memberlist's `handleCommand` (reference §2.3 step 4). Pure: no `node:*` import
 * below it, so the core and the simulator can use it.
 * @module
 */
import { decodeCompressBody } from './bodies.js';
import { faultResult, readMessage } from './codec.js';
import { TYPE_COMPOUND } from './compound.js';
import { decodeFail, type DecodeError } from './decode-error.js';
import { lzwDecompressView } from './lzw.js';
import type { PacketMessage } from './messages.js';
import { Reader } from './msgpack.js';
import type { WireLimits } from '../options.js';

const TYPE_COMPRESS = 9;

interface Walk {
  readonly limits: WireLimits;
  readonly messages: PacketMessage[];
  readonly errors: DecodeError[];
  /** Decompressed bytes still allowed for this packet. */
  budget: number;
}

/**
 * Decodes an opened payload into messages, in order (a ping stays ahead of the suspect riding
 * with it, reference §7.15).
 *
 * Recurses through compound (07) and compress (09) as memberlist's `handleCommand` does; each
 * failure is recorded and decoding continues with the next part:
 * - compound lengths running past the end: the parts that fit are kept, one `'truncated'` error;
 * - more than `limits.maxCompoundParts` parts: `'too-large'`, the compound is dropped;
 * - compound/compress nested more than `limits.maxNestingDepth` levels: `'nesting'`;
 * - `Algo` ≠ 0 or a bad LZW stream: `'compression'`; decompressed bytes beyond
 *   `limits.maxDecompressedBytes`, counted over the **whole packet** (so nested or repeated
 *   compression cannot multiply it), `'too-large'`;
 * - any other type byte: through `decodeMessage` (`'unknown-type'` for types it does not know).
 * Never throws.
 */
export function decodePayload(inner: Uint8Array, limits: WireLimits): { messages: PacketMessage[]; errors: DecodeError[] } {
  const walk: Walk = { limits, messages: [], errors: [], budget: limits.maxDecompressedBytes };
  visit(walk, inner, 0, inner.length, 0);
  return { messages: walk.messages, errors: walk.errors };
}

function visit(walk: Walk, buf: Uint8Array, start: number, end: number, depth: number): void {
  const t = start < end ? buf[start] : undefined;
  if (t === TYPE_COMPOUND || t === TYPE_COMPRESS) {
    if (depth >= walk.limits.maxNestingDepth) {
      walk.errors.push(decodeFail('nesting', `compound/compress nested deeper than ${walk.limits.maxNestingDepth}`, 'type', start).error);
      return;
    }
    if (t === TYPE_COMPOUND) visitCompound(walk, buf, start, end, depth);
    else visitCompressed(walk, buf, start, end, depth);
    return;
  }
  try {
    walk.messages.push(readMessage(buf, start, end));
  } catch (e) {
    walk.errors.push(faultResult(e).error);
  }
}

function visitCompound(walk: Walk, buf: Uint8Array, start: number, end: number, depth: number): void {
  if (start + 2 > end) {
    walk.errors.push(decodeFail('truncated', 'missing compound length byte', 'compound.count', start + 1).error);
    return;
  }
  const n = buf[start + 1]!;
  if (n > walk.limits.maxCompoundParts) {
    walk.errors.push(decodeFail('too-large', `compound has ${n} parts (limit ${walk.limits.maxCompoundParts})`, 'compound.count', start + 1).error);
    return;
  }
  const lens = start + 2;
  let p = lens + 2 * n;
  if (p > end) {
    walk.errors.push(decodeFail('truncated', 'compound length table is truncated', 'compound.lengths', lens).error);
    return;
  }
  for (let i = 0; i < n; i++) {
    const len = (buf[lens + 2 * i]! << 8) | buf[lens + 2 * i + 1]!;
    if (p + len > end) {
      walk.errors.push(decodeFail('truncated', `compound truncated: ${n - i} of ${n} parts cut off`, 'compound.lengths', lens + 2 * i).error);
      return;
    }
    visit(walk, buf, p, p + len, depth + 1);
    p += len;
  }
}

function visitCompressed(walk: Walk, buf: Uint8Array, start: number, end: number, depth: number): void {
  let compressed: Uint8Array;
  try {
    compressed = decodeCompressBody(new Reader(buf, start + 1, end));
  } catch (e) {
    walk.errors.push(faultResult(e).error);
    return;
  }
  const out = lzwDecompressView(compressed, walk.budget);
  if (!out.ok) {
    walk.errors.push(out.error);
    return;
  }
  walk.budget -= out.value.length;
  visit(walk, out.value, 0, out.value.length, depth + 1);
}
