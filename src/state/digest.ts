/**
 * The state digest: a two-level hash tree over (member, generation, version), built on the shared
 * hash tree (`wire/hash-tree.ts`) with {@link DIGEST_BUCKETS} buckets.
 *
 * Members fall into buckets by a hash of their name; a bucket's hash is the sum of its members'
 * (name, generation, version) hashes, and the root hashes the buckets. Two nodes whose views agree
 * compare one 32-bit root; when they differ they compare 128 bucket hashes and exchange summaries
 * of the differing buckets only. Pure.
 * @module
 */
import { addToBucket, bucketIndex, hash32, rootOf } from '../wire/hash-tree.js';

export { hash32 } from '../wire/hash-tree.js';

/** Number of buckets of the digest tree. Protocol: both sides must agree (wire version 1). */
export const DIGEST_BUCKETS = 128;

/** The bucket a member's state falls into. */
export function bucketOf(member: string): number {
  return bucketIndex(member, DIGEST_BUCKETS);
}

/** Bucket hashes and root over the given (member, generation, version) triples. */
export function digestOf(entries: Iterable<readonly [string, number, number]>): { root: number; buckets: Uint32Array } {
  const buckets = new Uint32Array(DIGEST_BUCKETS);
  for (const [member, generation, version] of entries) addToBucket(buckets, bucketOf(member), hash32(member, generation, version));
  return { root: rootOf(buckets), buckets };
}
