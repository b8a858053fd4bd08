/**
 * The member table: every node we know, in a randomized round-robin probe order.
 *
 * SWIM §4.3 probes members in a round-robin over a list that is shuffled on every wrap, which
 * bounds the time to first detection; new members are inserted at a random position so a join
 * burst does not push everyone's detection to the end of the round (memberlist `aliveNode`).
 * @module
 */
import { ipToBytes } from '../address.js';
import type { MemberState } from '../events.js';
import { changedRecord, memberRecord, unsharedRecord, type MemberChange, type MemberFields, type MemberRecord } from './member-record.js';
import type { Random } from './random.js';

/**
 * One member as the core tracks it. Internal: the host only ever sees frozen `MemberSnapshot`s
 * built from it. Three fields (docs/architecture.md, "The member table's layout"): the shared,
 * immutable {@link MemberRecord} with everything nodes agree on (read through the getters below,
 * replaced by {@link MemberTable.update} / {@link reviseEntry}, never written into), and the two
 * values that are this node's own. Both start `undefined`, so V8 keeps them as tagged fields: an
 * integer is stored in the field itself, where a field that first held a double (−∞) boxes every
 * value of every entry in a separate 16-byte number.
 */
export class MemberEntry implements MemberFields {
  /** `now` of the last state change; `undefined` while never alive (read {@link stateChangeAt}). */
  changedAt: number | undefined = undefined;
  /** Smoothed round trip of our direct probes, ms (`rtt.ts`); undefined until one completes. */
  rttMs: number | undefined = undefined;

  /** An entry holding `record`, never alive. Use {@link memberEntry} to build one from fields. */
  constructor(public record: MemberRecord) {}

  // The record's fields, as `entry.x` (documented on MemberFields).
  get name(): string {
    return this.record.name;
  }
  get addr(): Uint8Array {
    return this.record.addr;
  }
  get port(): number {
    return this.record.port;
  }
  get address(): string {
    return this.record.address;
  }
  get meta(): Uint8Array {
    return this.record.meta;
  }
  get vsn(): Uint8Array {
    return this.record.vsn;
  }
  get features(): number | undefined {
    return this.record.features;
  }
  get incarnation(): number {
    return this.record.incarnation;
  }
  get state(): MemberState {
    return this.record.state;
  }
  /** `now` of the last state change; −∞ for an entry that was never alive (Go's zero time). */
  get stateChangeAt(): number {
    return this.changedAt ?? Number.NEGATIVE_INFINITY;
  }
}

/**
 * A new entry with fields `f` (arrays as given: intern them first to share, intern.ts) and state
 * change time `stateChangeAt` (−∞, the default: never alive).
 */
export function memberEntry(f: MemberFields, stateChangeAt = Number.NEGATIVE_INFINITY): MemberEntry {
  const e = new MemberEntry(memberRecord(f));
  if (stateChangeAt !== Number.NEGATIVE_INFINITY) e.changedAt = stateChangeAt;
  return e;
}

/**
 * A new entry for a member just heard of, before its alive is applied: Go stores it as dead at
 * incarnation 0 with the zero state-change time (never alive). Its record is not shared, so the
 * shared table keeps the record the alive then makes, which every core reaches alike.
 */
export function newMemberEntry(f: Omit<MemberFields, 'incarnation' | 'state' | 'features'>): MemberEntry {
  return new MemberEntry(unsharedRecord({ ...f, features: undefined, incarnation: 0, state: 'dead' }));
}

/**
 * Changes fields of `entry` that are not its state (incarnation, metadata, address, …) by
 * replacing its record. State changes go through {@link MemberTable.update}, which keeps the
 * table's counts.
 */
export function reviseEntry(entry: MemberEntry, change: Omit<MemberChange, 'state'>): void {
  entry.record = changedRecord(entry.record, change);
}

/** Member counts by state (self included). */
export type StateCounts = Record<MemberState, number>;

/**
 * Name → entry map plus the probe list. Lookups are O(1); the probe list is rebuilt (reaped and
 * shuffled) only when the probe index wraps.
 */
export class MemberTable {
  private readonly byName = new Map<string, MemberEntry>();
  private list: MemberEntry[] = [];
  private probeIndex = 0;
  private readonly counts: StateCounts = { alive: 0, suspect: 0, dead: 0, left: 0 };
  /** Entries whose name is an IP literal (memberlist's CRC rule looks addresses up by name). */
  private ipNamed = 0;

  /** True if some member's name is an IP literal (only then can an address name a member). */
  get hasIpNamedMembers(): boolean {
    return this.ipNamed > 0;
  }

  /** The entry named `name`. */
  get(name: string): MemberEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * Estimated cluster size `n`: every entry, including self, suspects, unreaped dead and left
   * (reference §7.16). Feeds the retransmit limit, suspicion timeouts and push/pull scale.
   */
  get size(): number {
    return this.list.length;
  }

  /** Entries in probe order (the order memberlist sends them in a push/pull). */
  entries(): readonly MemberEntry[] {
    return this.list;
  }

  /** How many entries are in `state` (self included). */
  count(state: MemberState): number {
    return this.counts[state];
  }

  /**
   * Adds a new entry at a random position: appended, then swapped with a random earlier slot
   * (memberlist's `randomOffset` + swap, so the displaced member moves to the end).
   */
  add(entry: MemberEntry, random: Random): void {
    const n = this.list.length;
    this.byName.set(entry.name, entry);
    this.counts[entry.state]++;
    if (ipToBytes(entry.name) !== undefined) this.ipNamed++;
    this.list.push(entry);
    if (n > 0) {
      const offset = random.int(n);
      this.list[n] = this.list[offset]!;
      this.list[offset] = entry;
    }
  }

  /** Moves `entry` to `state` at `now`, keeping the counts right. Does not touch events. */
  setState(entry: MemberEntry, state: MemberState, now: number): void {
    if (entry.state !== state) this.update(entry, now, { state });
  }

  /**
   * Applies `change` to `entry` (one new record for all of it); a change of state also counts and
   * stamps `stateChangeAt` = `now`. Does not touch events.
   */
  update(entry: MemberEntry, now: number, change: MemberChange): void {
    const from = entry.state;
    entry.record = changedRecord(entry.record, change);
    if (entry.state !== from) {
      this.counts[from]--;
      this.counts[entry.state]++;
      entry.changedAt = now;
    }
  }

  /**
   * The next member to probe, memberlist's `probe()` walk: advance the index, skipping self, dead
   * and left (suspects *are* probed); on wrap, {@link reset} and start over; give up after one
   * full pass without a candidate.
   * @param reapAfterMs `gossipToTheDeadMs`: dead and left entries older than this are removed on wrap.
   * @param onReap called for each removed entry.
   */
  nextProbeTarget(now: number, selfName: string, reapAfterMs: number, random: Random, onReap?: (e: MemberEntry) => void): MemberEntry | undefined {
    let numCheck = 0;
    for (;;) {
      if (numCheck >= this.list.length) return undefined;
      if (this.probeIndex >= this.list.length) {
        this.reset(now, reapAfterMs, random, onReap);
        this.probeIndex = 0;
        numCheck++;
        continue;
      }
      const e = this.list[this.probeIndex++]!;
      if (e.name === selfName || e.state === 'dead' || e.state === 'left') {
        numCheck++;
        continue;
      }
      return e;
    }
  }

  /**
   * memberlist `resetNodes`: removes dead entries older than `reapAfterMs` — and left ones too
   * (memberlist ≥ 0.3.1; v0.2.2 kept left members forever, #253) — then shuffles the list.
   */
  reset(now: number, reapAfterMs: number, random: Random, onReap?: (e: MemberEntry) => void): void {
    const kept: MemberEntry[] = [];
    for (const e of this.list) {
      if ((e.state === 'dead' || e.state === 'left') && now - e.stateChangeAt > reapAfterMs) {
        this.byName.delete(e.name);
        this.counts[e.state]--;
        if (ipToBytes(e.name) !== undefined) this.ipNamed--;
        onReap?.(e);
      } else {
        kept.push(e);
      }
    }
    // Fisher–Yates, as Go's shuffleNodes.
    for (let i = kept.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      const t = kept[i]!;
      kept[i] = kept[j]!;
      kept[j] = t;
    }
    this.list = kept;
  }

  /**
   * Who sent a user message from `address` (`host:port`): the member advertised at exactly that
   * address (a live one first), else the one alive or suspect member other than `selfName` whose
   * host it is (a stream arrives from an ephemeral port), else `undefined` — no match, or several
   * members on that host. O(n), so for user messages only, never per protocol packet.
   */
  senderAt(address: string, selfName: string): string | undefined {
    const hostPrefix = address.slice(0, address.lastIndexOf(':') + 1);
    let exact: MemberEntry | undefined;
    let onHost: MemberEntry | undefined;
    let onHostCount = 0;
    for (const e of this.list) {
      const up = e.state === 'alive' || e.state === 'suspect';
      if (e.address === address) {
        if (exact === undefined || up) exact = e;
      } else if (up && e.name !== selfName && hostPrefix.length > 0 && e.address.startsWith(hostPrefix)) {
        onHost = e;
        onHostCount++;
      }
    }
    return exact?.name ?? (onHostCount === 1 ? onHost?.name : undefined);
  }

  /**
   * Up to `k` distinct random entries for which `exclude` is false (memberlist `kRandomNodes`).
   * Small tables are searched exhaustively (a partial shuffle over the candidates, as memberlist
   * v0.6 does for small clusters); large ones by rejection sampling bounded at 3n tries, O(k)
   * expected, so a big table costs nothing per gossip round.
   */
  kRandom(k: number, random: Random, exclude: (e: MemberEntry) => boolean): MemberEntry[] {
    const n = this.list.length;
    const out: MemberEntry[] = [];
    if (k <= 0 || n === 0) return out;
    if (n <= 3 * k + 8) {
      const candidates: MemberEntry[] = [];
      for (const e of this.list) if (!exclude(e)) candidates.push(e);
      for (let i = 0; i < candidates.length && out.length < k; i++) {
        const j = i + random.int(candidates.length - i);
        const t = candidates[j]!;
        candidates[j] = candidates[i]!;
        candidates[i] = t;
        out.push(t);
      }
      return out;
    }
    outer: for (let i = 0; i < 3 * n && out.length < k; i++) {
      const e = this.list[random.int(n)]!;
      if (exclude(e)) continue;
      for (const o of out) if (o === e) continue outer;
      out.push(e);
    }
    return out;
  }
}
