/**
 * A two-level hash tree over a set of records, shared by the cluster state's digest
 * (`state/digest.ts`) and the core's digest push/pull (`core/digest-push-pull.ts`).
 *
 * Records fall into a power-of-two number of buckets by a hash of their name; a bucket's hash
 * combines its records' hashes by addition, so it is independent of order and of how the set was
 * built, and the root hashes the buckets. Two nodes whose sets agree compare one root or one
 * bucket array; when they differ, only the records of differing buckets need to move. Pure.
 * @module
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of the four bytes of `w` (little end first) into `h`. */
function mixWord(h: number, w: number): number {
  for (let b = 0; b < 4; b++) {
    h ^= (w >>> (b * 8)) & 0xff;
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** FNV-1a of a number up to 2^53 (as its two 32-bit halves, low first) into `h`. */
export function mixNumber(h: number, x: number): number {
  return mixWord(mixWord(h, x >>> 0), Math.floor(x / 0x1_0000_0000) >>> 0);
}

/** FNV-1a of a string's UTF-16 code units into `h` (start with {@link hashStart}). */
export function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** FNV-1a of a length and then the bytes into `h`, so adjacent byte fields cannot trade bytes. */
export function mixBytes(h: number, bytes: Uint8Array): number {
  h = mixNumber(h, bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** The FNV-1a offset basis: where a hash built with the `mix*` functions starts. */
export function hashStart(): number {
  return FNV_OFFSET;
}

/** Ends a hash built with the `mix*` functions: murmur3's fmix, so sums of nearby values do not cancel. */
export function hashEnd(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a 32 of a string's UTF-16 code units, then of `extra` numbers (as two 32-bit halves each), then fmix. */
export function hash32(s: string, ...extra: number[]): number {
  let h = mixString(FNV_OFFSET, s);
  for (const x of extra) h = mixNumber(h, x);
  return hashEnd(h);
}

/** The bucket, of `count`, that the record named `name` falls into. */
export function bucketIndex(name: string, count: number): number {
  return hash32(name) % count;
}

/** Adds one record's hash `h` into its bucket (wrapping u32 addition: independent of order). */
export function addToBucket(buckets: Uint32Array, bucket: number, h: number): void {
  buckets[bucket] = (buckets[bucket]! + h) >>> 0;
}

/** The root over a bucket array. */
export function rootOf(buckets: Uint32Array): number {
  let root = FNV_OFFSET;
  for (let i = 0; i < buckets.length; i++) root = hash32('', root, buckets[i]!);
  return root;
}

/** The indices where two bucket arrays of the same length differ, ascending. */
export function differingBuckets(a: Uint32Array, b: Uint32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) out.push(i);
  return out;
}
