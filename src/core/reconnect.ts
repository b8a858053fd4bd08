/**
 * Reconnecting to failed members: how a cluster that was split heals itself.
 *
 * memberlist alone never re-merges two halves of a long partition: each half declares the other
 * dead, reaps it after `gossipToTheDeadMs`, and periodic push/pull only ever picks *alive*
 * members. serf papers over this with a reconnect loop (every 30 s, with probability
 * failed/alive, try to join one random failed member). hearsay folds the same rule into the core:
 *
 * - Members declared dead stay reconnect candidates — in the table until reaped, then in a bounded
 *   memory ({@link MAX_FAILED_REMEMBERED} entries, {@link FAILED_MEMORY_MS}) — unless they left.
 * - On each push/pull tick, with probability `min(1, failed / alive)`, we also push/pull with one
 *   random candidate. A dead peer costs one failed TCP attempt; a live one answers.
 * - Each side merges the other's view of it ("you are dead"), so both refute and bump their
 *   incarnations — but the reply each got was built before that, and an alive at an equal
 *   incarnation does not revive a dead member. A second exchange right after a successful first
 *   one carries the new incarnations across at once instead of a push/pull interval later; from
 *   there ordinary gossip flows both ways and the halves converge.
 * @module
 */
import type { MemberEntry } from './members.js';
import type { Random } from './random.js';

/** Most reaped failed members remembered for reconnection. */
export const MAX_FAILED_REMEMBERED = 1024;
/** How long a reaped failed member stays a reconnect candidate, ms (serf's `reconnect_timeout`, 24 h). */
export const FAILED_MEMORY_MS = 24 * 60 * 60 * 1000;

/** Where to reach a failed member. */
export interface FailedMember {
  readonly name: string;
  readonly address: string;
  readonly failedAt: number;
  /** The incarnation it was declared dead at (what a dead note about it must carry to be heard). */
  readonly incarnation: number;
}

/** The bounded memory of reaped failed members (insertion order = age). */
export class FailedMembers {
  private readonly byName = new Map<string, FailedMember>();

  /** Remembers a member reaped while dead. Left members are never remembered: they said goodbye. */
  remember(entry: MemberEntry, now: number): void {
    if (entry.state !== 'dead') return;
    this.byName.delete(entry.name);
    this.byName.set(entry.name, { name: entry.name, address: entry.address, failedAt: entry.stateChangeAt, incarnation: entry.incarnation });
    if (this.byName.size > MAX_FAILED_REMEMBERED) this.byName.delete(this.byName.keys().next().value as string);
    this.prune(now);
  }

  /** The remembered member called `name`, if any. */
  get(name: string): FailedMember | undefined {
    return this.byName.get(name);
  }

  /** Number remembered. */
  get size(): number {
    return this.byName.size;
  }

  private prune(now: number): void {
    for (const [name, f] of this.byName) {
      if (now - f.failedAt <= FAILED_MEMORY_MS) break;
      this.byName.delete(name);
    }
  }

  /**
   * Picks the reconnect target, or `undefined`: candidates are dead table entries plus remembered
   * members no longer in the table; fires with probability `min(1, candidates / alive)`.
   */
  pick(now: number, table: Iterable<MemberEntry>, inTable: (name: string) => boolean, alive: number, random: Random): FailedMember | undefined {
    this.prune(now);
    const candidates: FailedMember[] = [];
    for (const e of table) if (e.state === 'dead') candidates.push({ name: e.name, address: e.address, failedAt: e.stateChangeAt, incarnation: e.incarnation });
    for (const f of this.byName.values()) if (!inTable(f.name)) candidates.push(f);
    if (candidates.length === 0) return undefined;
    if (random.next() >= Math.min(1, candidates.length / Math.max(1, alive))) return undefined;
    return candidates[random.int(candidates.length)];
  }
}
