/**
 * SWIM dissemination: the gossip ticker (memberlist `gossip`, reference §5 "Gossip" and §6).
 *
 * The ticker parks while there is nothing to send: a tick with both queues empty sends nothing
 * and draws no random numbers, so parking changes no protocol behaviour, and it saves an idle
 * node ~5 wake-ups a second. It resumes on its old phase as soon as a step queues something.
 * @module
 */
import { COMPOUND_OVERHEAD, type CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { TimerTokens } from './ids.js';
import type { MemberTable } from './members.js';
import type { Outbox } from './outbox.js';
import type { GossipQueues } from './queues.js';
import type { Random } from './random.js';
import type { GossipTickTimer } from './timers.js';

/** What the gossip ticker works with (each owned elsewhere). */
export interface GossipDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly members: MemberTable;
  readonly queues: GossipQueues;
  readonly outbox: Outbox;
}

/** Owns the gossip ticker: its chain token and whether it is parked. Answers for `gossip-tick` timers. */
export class GossipTicker {
  /** Token of the current ticker chain. */
  private token = 0;
  /** The ticker found both queues empty and stopped; `resumeAt` is when its next tick would have come. */
  private parked = false;
  private resumeAt = 0;

  constructor(private readonly d: GossipDeps) {}

  /** Arms the ticker (a fresh chain: older tick timers go stale). */
  schedule(now: number, fx: Effects, afterMs: number): void {
    this.token = this.d.tokens.next();
    const timer: GossipTickTimer = { type: 'gossip-tick', token: this.token, dueAt: now + afterMs };
    fx.schedule(timer, afterMs);
  }

  /** True when `timer` belongs to a replaced chain. */
  isStale(timer: GossipTickTimer): boolean {
    return timer.token !== this.token;
  }

  /**
   * One gossip round: up to `gossipNodes` random members that are not us and are alive, suspect,
   * or dead for at most `gossipToTheDeadMs` (so a wrongly declared node hears it and refutes) —
   * never left. Each gets a fresh batch from the queues; the round stops when they run dry.
   * Sent with the node known, so with a CRC for PMax ≥ 5. Keeps running after `leave()`: that is
   * how our leave spreads.
   */
  onTick(now: number, fx: Effects, timer: GossipTickTimer): void {
    if (timer.token !== this.token) return;
    const { config: cfg, queues, outbox } = this.d;
    if (queues.isEmpty) {
      // Nothing queued: park instead of ticking idle (a steady cluster has nothing to gossip, and
      // each wake-up costs a host process far more than the tick's work).
      this.parked = true;
      this.resumeAt = now + cfg.gossipIntervalMs;
      return;
    }
    const next: GossipTickTimer = { type: 'gossip-tick', token: timer.token, dueAt: now + cfg.gossipIntervalMs };
    fx.schedule(next, cfg.gossipIntervalMs);
    const selfName = cfg.name;
    const deadMs = cfg.gossipToTheDeadMs;
    const targets = this.d.members.kRandom(cfg.gossipNodes, this.d.random, (e) => {
      if (e.name === selfName) return true;
      if (e.state === 'alive' || e.state === 'suspect') return false;
      if (e.state === 'dead') return now - e.stateChangeAt > deadMs;
      return true;
    });
    const limit = outbox.budget - COMPOUND_OVERHEAD;
    for (const target of targets) {
      const msgs: Uint8Array[] = [];
      outbox.fill(limit, msgs);
      if (msgs.length === 0) return;
      outbox.sendToMember(fx, target, msgs);
    }
  }

  /**
   * Restarts a parked ticker once something is queued (called at the end of every core step).
   * The next tick keeps the parked ticker's phase — the first instant `resumeAt + k × interval`
   * not in the past — so dissemination timing is what an always-running ticker gives.
   * @param news whether there is something to send (default: a queue holds something); the
   *   converged start (converge.ts) passes true for the alives it does not queue.
   */
  resumeIfParked(now: number, fx: Effects, news = !this.d.queues.isEmpty): void {
    if (!this.parked || !news) return;
    this.parked = false;
    const interval = this.d.config.gossipIntervalMs;
    let due = this.resumeAt;
    if (due < now) due += Math.ceil((now - due) / interval) * interval;
    this.schedule(now, fx, due - now);
  }
}
