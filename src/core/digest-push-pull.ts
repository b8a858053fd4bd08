/**
 * Digest push/pull: the periodic anti-entropy exchange between two hearsay nodes that both
 * announce {@link DIGEST_FEATURE}, sending only the member entries that differ.
 *
 * memberlist's push/pull ships the whole table both ways every interval, although in a converged
 * cluster nothing differs (at N = 1,000, 755 of the 839 bytes a node sends per second). Here the
 * initiator sends the bucket hashes of a hash tree over its table (`wire/hash-tree.ts`; an entry's
 * hash covers name, incarnation, state, address and metadata); the responder answers with the
 * buckets that differ and its own entries in them; the initiator merges those through the same
 * merge as a push/pull (`PushPull.merge`: protocol check, admission, the known-entry shortcut) and
 * sends its own entries of those buckets back on a second, one-way stream, which the responder
 * merges the same way. Equal tables cost one request and a 13-byte reply.
 *
 * Everything a full push/pull repairs is repaired: a missed alive, suspect, dead, leave or
 * metadata change makes the member's bucket differ, and a peer holding *us* suspect or dead
 * differs in our own entry's bucket, so its entry about us reaches us and we refute. The join
 * exchange, reconnects to failed members, comeback exchanges and every exchange with a peer
 * without the bit (Go memberlist, or hearsay with the option off) stay memberlist's push/pull.
 * @module
 */
import { METRIC } from '../observability.js';
import { DIGEST_FEATURE } from '../wire/digest-stream.js';
import { addToBucket, bucketIndex, differingBuckets, hash32, hashEnd, hashStart, mixBytes, mixNumber, mixString } from '../wire/hash-tree.js';
import type { DigestEntriesMessage, DigestReplyMessage, DigestRequestMessage, PushNodeState, StreamMessage } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { MemberEntry, MemberTable } from './members.js';
import { pushStateOf } from './push-state.js';
import type { PushPull } from './push-pull.js';
import { drop } from './report.js';
import type { SelfState } from './self.js';
import type { Streams } from './streams.js';

const EMPTY = new Uint8Array(0);
const STATE_CODE = { alive: 0, suspect: 1, dead: 2, left: 3 } as const;

/** Fewest and most buckets an initiator uses (a request is 4 bytes per bucket). */
const MIN_BUCKETS = 16;
const MAX_BUCKETS = 1024;

/**
 * The bucket count for a table of `n` entries: a power of two near n / 8, within 16 … 1,024, so a
 * lone change moves about eight entries (128 buckets, a 521-byte request, at N = 1,000).
 */
export function digestBucketCount(n: number): number {
  let b = MIN_BUCKETS;
  while (b < MAX_BUCKETS && b * 8 < n) b *= 2;
  return b;
}

/** The hash of one entry as the digest sees it: two nodes agree on it iff they hold the same view of the member. */
export function entryHash(e: MemberEntry): number {
  let h = mixString(hashStart(), e.name);
  h = mixNumber(h, e.incarnation);
  h = mixNumber(h, STATE_CODE[e.state]);
  h = mixBytes(h, e.addr);
  h = mixNumber(h, e.port);
  h = mixBytes(h, e.meta);
  return hashEnd(h);
}

/** {@link entryHash} of `e`, kept on its (immutable, shared) record. */
function recordHash(e: MemberEntry): number {
  const r = e.record;
  return (r.digestHash ??= entryHash(e));
}

/** `bucketIndex(e.name, count)`, with the name's hash kept on the entry's record. */
function bucketOf(e: MemberEntry, count: number): number {
  const r = e.record;
  return (r.nameHash ??= hash32(e.name)) % count;
}

/** The bucket hashes of `members` with `count` buckets. */
export function tableDigest(members: MemberTable, count: number): Uint32Array {
  const buckets = new Uint32Array(count);
  for (const e of members.entries()) addToBucket(buckets, bucketOf(e, count), recordHash(e));
  return buckets;
}

/** Our entries (as push/pull entries) in the given buckets of `count`. */
function entriesIn(members: MemberTable, buckets: readonly number[], count: number): PushNodeState[] {
  if (buckets.length === 0) return [];
  const wanted = new Uint8Array(count);
  for (const b of buckets) wanted[b] = 1;
  const out: PushNodeState[] = [];
  for (const e of members.entries()) if (wanted[bucketOf(e, count)] === 1) out.push(pushStateOf(e));
  return out;
}

/** What digest push/pull works with (each owned elsewhere). */
export interface DigestPushPullDeps {
  readonly config: CoreConfig;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly streams: Streams;
  /** The merge every push/pull goes through. */
  readonly pushPull: PushPull;
}

/** The initiator's side of one exchange, kept with its pending stream. */
export interface DigestPending {
  readonly kind: 'digest';
  /** Where the request went: the entries leg goes there too. */
  readonly address: string;
  /** Buckets of our request: the reply may name only these. */
  readonly count: number;
}

/** Runs both sides of digest push/pull. Holds no state between exchanges. */
export class DigestPushPull {
  constructor(private readonly d: DigestPushPullDeps) {}

  /** Whether the periodic exchange with `peer` is a digest exchange: we and the peer both announce the bit. */
  usable(peer: MemberEntry): boolean {
    return ((this.d.config.features ?? 0) & DIGEST_FEATURE) !== 0 && ((peer.features ?? 0) & DIGEST_FEATURE) !== 0;
  }

  /** Leg 1: sends `peer` our bucket hashes. */
  start(fx: Effects, peer: MemberEntry): void {
    const count = digestBucketCount(this.d.members.size);
    const request: DigestRequestMessage = { type: 'digest-request', buckets: tableDigest(this.d.members, count) };
    const id = this.d.streams.register({ kind: 'digest', address: peer.address, count });
    fx.stream(peer.address, id, request, this.d.config.tcpTimeoutMs);
  }

  /** Leg 2, the responder: the buckets whose hashes differ from the request's and our entries in them. Merges nothing. */
  handleRequest(fx: Effects, request: DigestRequestMessage): DigestReplyMessage {
    const count = request.buckets.length; // a power of two: the decoder checked
    const buckets = differingBuckets(tableDigest(this.d.members, count), request.buckets);
    fx.metric('increment', METRIC.pushPull, 1, { outcome: buckets.length === 0 ? 'digest-equal' : 'digest-served' });
    return { type: 'digest-reply', buckets, nodes: entriesIn(this.d.members, buckets, count) };
  }

  /**
   * The initiator gets the reply: merge the responder's entries as a push/pull, then send our
   * entries of the same buckets (built after the merge, so a refutation it caused goes with them).
   */
  onResult(now: number, fx: Effects, pending: DigestPending, result: StreamMessage | Error): void {
    if (result instanceof Error || result.type !== 'digest-reply') {
      const why = result instanceof Error ? result.message : result.type === 'error' ? result.error : `unexpected ${result.type} reply`;
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'failed' });
      fx.log('debug', { error: why }, 'digest push/pull failed');
      return;
    }
    const { count } = pending;
    const listed = new Uint8Array(count);
    for (const b of result.buckets) {
      if (b >= count) return drop(fx, 'bad-digest', { bucket: b, count }, 'digest reply names a bucket we did not send');
      listed[b] = 1;
    }
    for (const n of result.nodes) {
      if (listed[bucketIndex(n.name, count)] !== 1) return drop(fx, 'bad-digest', { node: n.name }, 'digest reply carries an entry outside the buckets it names');
    }
    if (result.buckets.length === 0) {
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'digest-equal' });
      return;
    }
    const error = this.d.pushPull.merge(now, fx, { type: 'push-pull', join: false, nodes: result.nodes, userState: EMPTY }, false);
    // As a full push/pull: after `leave()` our table is stale and must not be pushed; a rejected
    // merge (protocol versions) would be rejected on the other side too.
    if (error !== undefined || this.d.self.leaving) return;
    const entries: DigestEntriesMessage = { type: 'digest-entries', nodes: entriesIn(this.d.members, result.buckets, count) };
    const id = this.d.streams.register({ kind: 'digest-entries' });
    fx.stream(pending.address, id, entries, this.d.config.tcpTimeoutMs);
  }

  /** Leg 3, the responder: merge the initiator's entries as a push/pull. Nothing is answered. */
  handleEntries(now: number, fx: Effects, message: DigestEntriesMessage): undefined {
    this.d.pushPull.merge(now, fx, { type: 'push-pull', join: false, nodes: message.nodes, userState: EMPTY }, false);
    return undefined;
  }

  /** The one-way entries leg ended: nothing to merge (a failure is logged; the next exchange repairs what it carried). */
  onEntriesSent(fx: Effects, result: StreamMessage | Error): void {
    if (result instanceof Error && result.message !== 'no reply') fx.log('debug', { error: result.message }, 'digest push/pull entries not delivered');
  }
}
