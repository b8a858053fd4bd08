/**
 * The state digest: a two-level hash tree over (member, generation, version).
 *
 * Members fall into {@link DIGEST_BUCKETS} buckets by a hash of their name; a bucket's hash
 * combines its members' (name, generation, version) hashes by addition, so it is independent of
 * order and of how the set was built, and the root hashes the buckets. Two nodes whose views agree
 * compare one 32-bit root; when they differ they compare 128 bucket hashes and exchange summaries of
 * the differing buckets only. Pure.
 * @module
 */

/** Number of buckets of the digest tree. Protocol: both sides must agree (wire version 1). */
export const DIGEST_BUCKETS = 128;

/** FNV-1a 32 of a string's UTF-16 code units, then of `extra` numbers (as two 32-bit halves each). */
export function hash32(s: string, ...extra: number[]): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  for (const x of extra) {
    const lo = x >>> 0;
    const hi = Math.floor(x / 0x1_0000_0000) >>> 0;
    for (const w of [lo, hi]) {
      for (let b = 0; b < 4; b++) {
        h ^= (w >>> (b * 8)) & 0xff;
        h = Math.imul(h, 0x01000193);
      }
    }
  }
  // Final avalanche (murmur3 fmix) so sums of nearby versions do not cancel.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The bucket a member's state falls into. */
export function bucketOf(member: string): number {
  return hash32(member) % DIGEST_BUCKETS;
}

/** Bucket hashes and root over the given (member, generation, version) triples. */
export function digestOf(entries: Iterable<readonly [string, number, number]>): { root: number; buckets: Uint32Array } {
  const buckets = new Uint32Array(DIGEST_BUCKETS);
  for (const [member, generation, version] of entries) {
    const b = bucketOf(member);
    buckets[b] = (buckets[b]! + hash32(member, generation, version)) >>> 0;
  }
  let root = 0x811c9dc5;
  for (let i = 0; i < DIGEST_BUCKETS; i++) root = hash32('', root, buckets[i]!);
  return { root, buckets };
}
