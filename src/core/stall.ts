/**
 * Event-loop stalls and Lifeguard: a stalled process must blame itself, never a healthy peer.
 *
 * ## The stall rule
 *
 * A Node process can stall (a long GC pause, CPU-bound work on the main thread). When it wakes,
 * libuv runs the overdue timers *before* it polls the sockets, so the acks, nacks and refutations
 * that arrived during the stall are still sitting unread in the UDP buffer while the probe and
 * suspicion timers that were waiting for them fire. A naive implementation would time out probes
 * whose acks are already in the buffer and accuse healthy peers; the cluster then pays for one
 * node's pause with false suspicions. That is exactly the failure Lifeguard set out to remove
 * (Lifeguard §III: "slow message processing" at the *local* node), but Lifeguard's local health
 * only reacts after the fact. hearsay closes the gap directly:
 *
 * 1. The driver notices a stall (a timer fired more than a threshold late) and, **before** it
 *    fires any overdue timer, calls `core.noteStall(now, stalledMs)`.
 * 2. `noteStall` raises our own Lifeguard health score by one per probe interval stalled (at least
 *    one, clamped to `awarenessMaxMultiplier − 1`), so our next probes wait longer — the stalled
 *    node is the one that was unhealthy — and records `stallEndAt = now`. Reporting the same stall
 *    again at the same `now` changes nothing.
 * 3. Every *failure-deciding* timer — probe-timeout (go indirect), probe-end (suspect the target),
 *    relay-timeout (send a nack), suspicion-timeout (declare dead) — whose `dueAt ≤ stallEndAt` and
 *    which fires before `stallEndAt + graceMs` is not acted on. It is re-armed to fire at
 *    `stallEndAt + graceMs`, a fresh window in which the buffered datagrams are read: a buffered
 *    ack completes the probe, a buffered refutation cancels the suspicion.
 *    `graceMs = probeTimeoutMs` — the window memberlist already considers enough for a UDP round
 *    trip; reading a backlog takes far less.
 * 4. When a probe-timeout is deferred, its probe's end moves to keep the indirect phase's usual
 *    length (`interval − probeTimeoutMs`) after the deferred timeout, so relays still get their time.
 * 5. Probes started after the stall proceed normally (with the raised, awareness-scaled interval).
 *
 * Nothing else changes: gossip and probe ticks run late but harmlessly, and a peer that really
 * died during our stall is still detected, one grace window later.
 * @module
 */
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { Health } from './health.js';
import type { Timer } from './timers.js';

/**
 * Owns the stall rule's one piece of state, the end of the last stall, and answers for it:
 * every family with failure-deciding timers asks {@link deferIfStalled} before acting on one.
 */
export class StallGuard {
  /** End of the last event-loop stall (`note`), ms; −∞ when none. */
  private stallEndAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly config: Pick<CoreConfig, 'probeTimeoutMs' | 'probeIntervalMs'>,
    private readonly health: Health,
  ) {}

  /** How long failure timers are held after a stall, ms: `probeTimeoutMs` (see the module comment). */
  get graceMs(): number {
    return this.config.probeTimeoutMs;
  }

  /** When the current (or last) grace window closes, ms: where deferred timers are re-armed. */
  get graceEndsAt(): number {
    return this.stallEndAt + this.graceMs;
  }

  /**
   * Step 2 of the stall rule: raise our health score (+1 per probe interval stalled, at least +1)
   * and open the grace window.
   */
  note(now: number, fx: Effects, stalledMs: number): void {
    // One stall is one penalty: a driver that reports it again at the same instant (once per late
    // timer, say) does not raise the score again.
    if (now <= this.stallEndAt) return;
    const intervals = Math.floor(Math.max(0, stalledMs) / this.config.probeIntervalMs);
    this.health.apply(fx, Math.max(1, intervals));
    this.stallEndAt = now;
    fx.log('debug', { stalledMs, score: this.health.score }, 'event loop stalled: holding failure timers for a grace window');
  }

  /**
   * Step 3: if `timer` (a failure-deciding timer whose token the caller has already validated) was
   * due during the last stall and the grace window is still open, re-arm it at the window's end
   * ({@link graceEndsAt}) and return true (the caller then does nothing). Otherwise return false.
   */
  deferIfStalled(now: number, fx: Effects, timer: Timer): boolean {
    if (timer.dueAt > this.stallEndAt) return false;
    const until = this.graceEndsAt;
    if (now >= until) return false;
    const afterMs = until - now;
    fx.schedule({ ...timer, dueAt: until }, afterMs);
    fx.log('debug', { timer: timer.type, dueAt: timer.dueAt, until }, 'deferring failure timer after a stall');
    return true;
  }
}
