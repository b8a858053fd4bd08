/**
 * The node's cluster state: its own keys and a replica of every capable member's keys.
 *
 * Consistency: each key has one writer, its owner; a replica applies the owner's changes in
 * version order, so it only ever shows a state the owner really had (per-owner order, eventual
 * convergence, no cross-node transactions). Pure: `now` is passed in.
 * @module
 */
import { Replica, sameValue, type DeltaEntry, type KeyChange, type StateValue } from './replica.js';

/** A change of one member's key, as the `state` event reports it. */
export interface MemberKeyChange extends KeyChange {
  readonly member: string;
}

/** Why a delta was not applied (counted by the engine as `state_deltas_dropped{reason}`). */
export type DeltaRejection = 'self' | 'stale-generation' | 'gap' | 'not-member';

/** A delta as the store applies it; the engine decodes and checks limits first. */
export interface StoreDelta {
  readonly member: string;
  readonly generation: number;
  /** The entries are every change in (from, upTo]. */
  readonly from: number;
  readonly upTo: number;
  /** The sender's latest version of the member (upTo when the delta is complete). */
  readonly latest: number;
  /** Rebuild the replica from nothing: the receiver was behind the collected tombstones. */
  readonly reset: boolean;
  /** The sender's collected-tombstone floor; a replica started or rebuilt from this delta inherits it. */
  readonly floor: number;
  readonly entries: readonly DeltaEntry[];
}

/** A replica's position as a digest and summary report it. */
export interface ReplicaPosition {
  readonly generation: number;
  readonly version: number;
  /** Progress of a reset under way (the rebuilt replica's version), or -1. */
  readonly fill: number;
}

/** The own replica plus peers' replicas, and resets in progress. */
export class StateStore {
  readonly own: Replica;
  private readonly peers = new Map<string, Replica>();
  /** Replicas being rebuilt by a reset; swapped in whole once complete, so reads never see half. */
  private readonly filling = new Map<string, Replica>();
  /** Bumped by every change of any replica's (generation, version) or membership: digests are cached on it. */
  mutations = 0;

  constructor(
    readonly self: string,
    generation: number,
  ) {
    this.own = new Replica(generation);
  }

  /** The replica of `member` (our own for `self`). */
  replica(member: string): Replica | undefined {
    return member === this.self ? this.own : this.peers.get(member);
  }

  /** Every member with a replica, self first. */
  *members(): IterableIterator<[string, Replica]> {
    yield [this.self, this.own];
    yield* this.peers;
  }

  /** Where our copy of `member` stands, for digests and summaries. */
  position(member: string): ReplicaPosition | undefined {
    const r = this.replica(member);
    if (r === undefined) return undefined;
    return { generation: r.generation, version: r.version, fill: this.filling.get(member)?.version ?? -1 };
  }

  /** Writes one own key at the next version. Returns the change, or undefined when nothing changed. */
  writeOwn(key: string, value: StateValue | undefined, now: number): MemberKeyChange | undefined {
    const old = this.own.record(key);
    if (old === undefined && value === undefined) return undefined;
    if (old !== undefined && old.value === undefined && value === undefined) return undefined;
    const version = this.own.version + 1;
    this.mutations++;
    const previous = this.own.put(key, value, version, now);
    return { member: this.self, key, value, previous, version };
  }

  /**
   * Applies a delta about a peer. Returns the observed changes in version order, or why it was
   * dropped. A new generation replaces the old one at once (the old process is gone: its keys
   * vanish); a reset rebuilds aside and swaps in when complete.
   */
  apply(d: StoreDelta, now: number): MemberKeyChange[] | DeltaRejection {
    const before = this.position(d.member);
    const out = this.applyDelta(d, now);
    const after = this.position(d.member);
    if (before?.generation !== after?.generation || before?.version !== after?.version) this.mutations++;
    return out;
  }

  private applyDelta(d: StoreDelta, now: number): MemberKeyChange[] | DeltaRejection {
    if (d.member === this.self) return 'self';
    const changes: MemberKeyChange[] = [];
    let r = this.peers.get(d.member);
    if (r !== undefined && d.generation < r.generation) return 'stale-generation';
    if (r !== undefined && d.generation > r.generation) {
      this.drop(d.member, changes, r.version);
      r = undefined;
    }
    if (r === undefined) {
      if (d.from !== 0) return 'gap';
      r = new Replica(d.generation);
      r.gcFloor = d.floor;
      this.peers.set(d.member, r);
      this.merge(d.member, r, d, now, changes);
      return changes;
    }
    // A delta is safe to merge only if the sender collected no tombstone we have not seen: deletes
    // above our version that it no longer holds would be lost. A delta from version 0 lists all the
    // sender holds, so it can rebuild the replica as a reset does (it may be an answer to a summary
    // we sent before we had anything).
    if (!d.reset && d.floor <= r.version && d.from <= r.version) {
      this.merge(d.member, r, d, now, changes);
      return changes;
    }
    if (d.reset || d.from === 0 || this.filling.has(d.member)) return this.fill(d, r, now, changes);
    return 'gap';
  }

  private merge(member: string, r: Replica, d: StoreDelta, now: number, changes: MemberKeyChange[] | undefined): void {
    for (const e of d.entries) {
      // Everything up to r.version is reflected already; a key's older change never overrides.
      const old = r.record(e.key);
      if (e.version <= r.version || (old !== undefined && old.version >= e.version)) continue;
      const previous = r.put(e.key, e.value, e.version, now);
      if (changes && !sameValue(previous, e.value)) changes.push({ member, key: e.key, value: e.value, previous, version: e.version });
    }
    if (d.upTo > r.version) r.version = d.upTo;
  }

  private fill(d: StoreDelta, current: Replica, now: number, changes: MemberKeyChange[]): MemberKeyChange[] | DeltaRejection {
    let f = this.filling.get(d.member);
    if (f === undefined || f.generation !== d.generation || d.from === 0) {
      if (d.from !== 0) return 'gap';
      f = new Replica(d.generation);
      f.gcFloor = d.floor;
      this.filling.set(d.member, f);
    }
    // As for merging: continue only where we are, and only if the sender kept every delete above it.
    // (A sender that collected only what the fill's first sender had collected is safe too: the fill lacks those keys already.)
    if (d.from > f.version || (d.floor > f.version && d.floor > f.gcFloor)) return 'gap';
    this.merge(d.member, f, d, now, undefined);
    // Complete only at the sender's latest, and never behind what readers already saw: a reset from a
    // peer that is itself behind must not move the replica backwards.
    if (f.version < d.latest || f.version < current.version) return changes;
    // A replica is complete only for keys whose latest change is at or below its version: a peer's
    // may still hold an older change of a key we already saw changed again (fast-check found it:
    // test/state/properties.test.ts). Per key, never go back: keep our record where it is newer. A key the rebuild lacks is kept only above its
    // collected floor; at or below it, a collected delete may have superseded it (a newer change,
    // if any, is above the rebuild's version and arrives by delta).
    for (const [key, rec] of current.records()) {
      const rebuilt = f.record(key);
      if (rebuilt === undefined ? rec.version > f.gcFloor : rebuilt.version < rec.version) f.put(key, rec.value, rec.version, now);
    }
    // The other way round: a key we lack although our replica covers the rebuilt record's version
    // changed again (or was deleted and collected) since: that record is stale.
    for (const [key, rec] of [...f.records()]) if (current.record(key) === undefined && rec.version <= current.version) f.forget(key);
    // Complete: report the difference between what readers saw and the owner's state, oldest first.
    this.filling.delete(d.member);
    const diff: MemberKeyChange[] = [];
    for (const [key, value] of current.live()) if (f.get(key) === undefined) diff.push({ member: d.member, key, value: undefined, previous: value, version: f.version });
    for (const [key, value] of f.live()) {
      const previous = current.get(key);
      if (!sameValue(previous, value)) diff.push({ member: d.member, key, value, previous, version: f.record(key)!.version });
    }
    diff.sort((a, b) => a.version - b.version);
    this.peers.set(d.member, f);
    changes.push(...diff);
    return changes;
  }

  /** Forgets a member's state (reaped, or replaced by a new generation); reports its live keys as deleted. */
  drop(member: string, changes?: MemberKeyChange[], version = 0): void {
    const r = this.peers.get(member);
    this.filling.delete(member);
    if (r === undefined) return;
    this.mutations++;
    this.peers.delete(member);
    if (changes) for (const [key, previous] of r.live()) changes.push({ member, key, value: undefined, previous, version });
  }

  /** Drops the replicas of members `keep` rejects (reaped); returns the changes to report. */
  retain(keep: (member: string) => boolean): MemberKeyChange[] {
    const changes: MemberKeyChange[] = [];
    for (const [member, r] of [...this.peers]) if (!keep(member)) this.drop(member, changes, r.version);
    for (const member of [...this.filling.keys()]) if (!keep(member)) this.filling.delete(member);
    return changes;
  }

  /** Collects tombstones recorded before `olderThan` in every replica. Returns how many. */
  collect(olderThan: number): number {
    let n = 0;
    for (const [, r] of this.members()) n += r.collect(olderThan, Infinity);
    return n;
  }

  /**
   * Installs `replica` as our copy of `member` as is, shared with whoever else holds it: the
   * simulator's converged bootstrap for large N (every node would hold equal copies anyway; in a
   * quiet cluster nothing writes them). Not for running nodes.
   */
  share(member: string, replica: Replica): void {
    this.mutations++;
    this.peers.set(member, replica);
  }

  /** Number of resets in progress (for bounds tests and gauges). */
  get fillCount(): number {
    return this.filling.size;
  }

  /** Number of peer replicas held (for bounds tests and gauges). */
  get peerCount(): number {
    return this.peers.size;
  }
}
