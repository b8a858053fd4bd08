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
 * - On its own ticker ({@link ReconnectTicker}), every *unscaled* push/pull interval (serf's 30 s on
 *   the LAN preset), with probability `min(1, failed / alive)`, we push/pull with one random
 *   candidate. A dead peer costs one failed TCP attempt; a live one answers. It used to ride the
 *   push/pull tick, whose interval grows with the cluster (90 s at N = 100): after a 50/50 split
 *   healed, the first exchange across waited for someone's next push/pull tick, and every node
 *   took 59–80 s to see the other half again (issue 11, acceptance 3). The probability keeps the cost bounded whatever
 *   the size: about one attempt per interval, cluster-wide, per failed member (fewer failed than
 *   alive), and at most one per node per interval during a split.
 * - Each side merges the other's view of it ("you are dead"), so both refute and bump their
 *   incarnations — but the reply each got was built before that, and an alive at an equal
 *   incarnation does not revive a dead member. A second exchange right after a successful first
 *   one carries the new incarnations across at once instead of a push/pull interval later; from
 *   there ordinary gossip flows both ways and the halves converge.
 * @module
 */
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { MemberEntry, MemberTable } from './members.js';
import type { Random } from './random.js';
import type { SelfState } from './self.js';
import type { ReconnectTickTimer } from './timers.js';
import type { TimerTokens } from './ids.js';

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

/** What the reconnect ticker works with (each owned elsewhere). */
export interface ReconnectDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
  /** Starts a reconnect push/pull with `address` (PushPull owns the exchange and merges its reply). */
  readonly exchange: (fx: Effects, address: string) => void;
}

/** Owns the reconnect ticker. Answers for `reconnect-tick` timers. */
export class ReconnectTicker {
  private tickToken = 0;
  /** When each member was last tried by {@link prompt} (bounded like the failed memory). */
  private readonly prompted = new Map<string, number>();

  constructor(private readonly d: ReconnectDeps) {}

  /** Arms the ticker (a fresh chain); off when push/pull is off, as reconnects are push/pulls. */
  scheduleTick(now: number, fx: Effects, afterMs: number): void {
    if (this.d.config.pushPullIntervalMs <= 0) return;
    this.tickToken = this.d.tokens.next();
    const timer: ReconnectTickTimer = { type: 'reconnect-tick', token: this.tickToken, dueAt: now + afterMs };
    fx.schedule(timer, afterMs);
  }

  /** True when `timer` belongs to a replaced chain. */
  isStale(timer: ReconnectTickTimer): boolean {
    return timer.token !== this.tickToken;
  }

  /**
   * One reconnect round: with probability `min(1, candidates / alive)`, a push/pull with one random
   * failed member. Draws no random number when there is no candidate, so a cluster without failed
   * members behaves exactly as without the ticker. Stops after `leave()`, like push/pull.
   */
  onTick(now: number, fx: Effects, timer: ReconnectTickTimer): void {
    if (timer.token !== this.tickToken || this.d.self.leaving) return;
    const { config: cfg, members, random } = this.d;
    const next: ReconnectTickTimer = { type: 'reconnect-tick', token: timer.token, dueAt: now + cfg.pushPullIntervalMs };
    fx.schedule(next, cfg.pushPullIntervalMs);
    const failed = this.d.failed.pick(now, members.entries(), (name) => members.get(name) !== undefined, members.count('alive'), random);
    if (failed !== undefined) this.d.exchange(fx, failed.address);
  }

  /**
   * Someone else evidently holds `name` as a member while we remember it as failed and reaped
   * (the state layer got state about it from a peer): push/pull with it now instead of waiting for
   * the ticker's odds, at most once per push/pull interval per member. A node that missed a
   * member's refutation after a healed split and then reaped it would otherwise wait for a reconnect
   * drawn with probability 1 / alive per interval, or for a push/pull that lists the member. A member
   * that really is down costs one failed TCP attempt. Returns whether an exchange was started.
   */
  prompt(now: number, fx: Effects, name: string): boolean {
    const { config: cfg, members } = this.d;
    const f = this.d.failed.get(name);
    if (f === undefined || members.get(name) !== undefined || cfg.pushPullIntervalMs <= 0 || this.d.self.leaving) return false;
    const last = this.prompted.get(name);
    if (last !== undefined && now - last < cfg.pushPullIntervalMs) return false;
    this.prompted.delete(name);
    this.prompted.set(name, now);
    if (this.prompted.size > MAX_FAILED_REMEMBERED) this.prompted.delete(this.prompted.keys().next().value as string);
    this.d.exchange(fx, f.address);
    return true;
  }
}
