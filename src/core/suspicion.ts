/**
 * Lifeguard dynamic suspicion (Lifeguard §IV-B; memberlist `suspicion.go`, `util.go`).
 *
 * A suspicion starts long (`max`) and shrinks towards `min` as independent peers confirm it, so a
 * lone slow accuser cannot kill a healthy node quickly, while a widely observed failure is
 * declared fast. The math lives in pure functions, as in memberlist.
 * @module
 */
import type { MemberSnapshot, SuspicionEvent } from '../events.js';

/** Timeouts for one suspicion in a cluster of estimated size `n` (reference §5 "Suspicion"). */
export interface SuspicionTimeouts {
  /** Floor of the timeout, ms: reached once `k` confirmations are in. */
  readonly minMs: number;
  /** Starting timeout, ms, when confirmations are expected (`k ≥ 1`). */
  readonly maxMs: number;
  /** Independent confirmations expected; 0 means "start at `minMs` and ignore confirmations". */
  readonly k: number;
}

/** The options {@link suspicionTimeouts} reads. */
export interface SuspicionOptions {
  readonly suspicionMult: number;
  readonly suspicionMaxTimeoutMult: number;
  readonly probeIntervalMs: number;
}

/**
 * memberlist `suspicionTimeout` plus the `k` rule of `suspectNode`, with one departure:
 * - `k = suspicionMult − 2`, and `k = 0` when `canConfirm < k`. memberlist takes `n − 2` (n minus
 *   ourselves and the suspect) for `canConfirm`, counting dead and left members, which cannot
 *   confirm, so the timeout never decays from its maximum; the core passes the live members
 *   other than us and the suspect (docs/architecture.md, "Suspicion expects confirmations only
 *   from live members");
 * - `min = suspicionMult × max(1, log10(max(1, n))) × probeIntervalMs`. Go truncates
 *   `nodeScale × 1000` to an integer before multiplying (`time.Duration(nodeScale*1000)`), and so
 *   do we; the result is rounded to whole ms (Go keeps ns; the difference is < 1 ms).
 *   The config comment says log(N+1) but the code uses log10(n), never below 1×;
 * - `max = suspicionMaxTimeoutMult × min`.
 *
 * Examples: LAN (mult 4, interval 1 s) with n ≤ 3 → k = 0, min 4000; n = 100 → min 8000, max 48000, k = 2.
 * @param n estimated cluster size: every table entry including self, suspects, unreaped dead and left.
 * @param canConfirm members that could confirm the suspicion; default `n − 2`, memberlist's figure.
 */
export function suspicionTimeouts(n: number, opts: SuspicionOptions, canConfirm = n - 2): SuspicionTimeouts {
  let k = opts.suspicionMult - 2;
  if (canConfirm < k) k = 0;
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  const scaled = Math.trunc(nodeScale * 1000);
  const minMs = Math.round((opts.suspicionMult * scaled * opts.probeIntervalMs) / 1000);
  return { minMs, maxMs: opts.suspicionMaxTimeoutMult * minMs, k: Math.max(0, k) };
}

/**
 * How long a suspicion runs, at most, once the suspect's host has refused our TCP fallback ping
 * while the relays could not reach it either: one probe interval, ms (LAN: 1 s). A refusal is the
 * host saying nothing listens on the member's port, so the process is gone, not slow; this window
 * is left for the member to refute all the same (a process restarting on the same port rejoins
 * and sees itself suspect). Local only: the wire carries the usual suspect and dead
 * (docs/architecture.md, "A refused fallback shortens the suspicion").
 */
export function refusedSuspicionMs(opts: Pick<SuspicionOptions, 'probeIntervalMs'>): number {
  return opts.probeIntervalMs;
}

/** Go's `time.Duration.Seconds()` for a whole-ms duration: `sec + nsec/1e9`, rounded the same way. */
function goSeconds(ms: number): number {
  const sec = Math.trunc(ms / 1000);
  const nsec = (ms - sec * 1000) * 1e6;
  return sec + nsec / 1e9;
}

/**
 * memberlist `remainingSuspicionTime`: the timeout after `confirmations` independent
 * confirmations, minus the time already spent.
 *
 * `timeout = floor(1000 × (max − (ln(c+1) / ln(k+1)) × (max − min)))` ms (computed in seconds as Go
 * does), never below `min`; the result is `timeout − elapsedMs` and may be ≤ 0, meaning "fire now".
 * Only meaningful for k ≥ 1 (with k = 0 confirmations are never accepted).
 */
export function remainingSuspicionMs(confirmations: number, k: number, elapsedMs: number, minMs: number, maxMs: number): number {
  return suspicionTimeoutMs(confirmations, k, minMs, maxMs) - elapsedMs;
}

/** The whole timeout after `confirmations` of `k`, ms from the start: {@link remainingSuspicionMs} before subtracting the time spent. */
export function suspicionTimeoutMs(confirmations: number, k: number, minMs: number, maxMs: number): number {
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  const maxS = goSeconds(maxMs);
  const raw = maxS - frac * (maxS - goSeconds(minMs));
  const timeout = Math.floor(1000 * raw);
  return timeout >= minMs ? timeout : minMs; // also catches NaN
}

/**
 * One running suspicion of one member: the accuser, the independent confirmations so far (at
 * most `k`, so a peer flooding suspects cannot grow it), and the generation token of its timer.
 */
export class Suspicion {
  /** Peers whose word already counted (the accuser plus at most `k` confirmers). */
  private readonly seen = new Set<string>();
  private confirmed = 0;
  /**
   * The evidence may be our own isolation's, not the member's failure: raised by a probe nobody
   * answered (not even the relays), while we were cut off, or by an accuser we hold dead or that
   * only just came back. An unverified suspicion never turns into a death at its timeout; our own
   * probe decides it (see `Membership.onSuspicionTimeout`).
   */
  unverified = false;
  /** Its timeout has passed while unverified: it waits for a probe of ours to decide it. */
  held = false;
  /** The suspect has been sent this suspicion directly (after we were cut off or accused ourselves). */
  told = false;
  /** When the pending `suspicion-timeout` timer is due (set by whoever schedules it): the deadline the host sees. */
  deadlineAt: number;
  /** The whole timeout as the confirmations so far make it, ms from `startedAt` (whole ms, as Go's). */
  timeoutMs: number;
  /** The member's host refused our fallback: the suspicion ends by then, whatever else happens, ms. */
  private refusedBy = Number.POSITIVE_INFINITY;

  /** True once the suspect's host refused our fallback ping ({@link hasten}). */
  get refused(): boolean {
    return this.refusedBy !== Number.POSITIVE_INFINITY;
  }

  /**
   * @param accuser who raised the suspicion; never counts as a confirmation.
   * @param startedAt `now` when the member became suspect (also its `stateChangeAt`).
   * @param token generation token of the pending `suspicion-timeout` timer.
   */
  constructor(
    readonly accuser: string,
    readonly k: number,
    readonly minMs: number,
    readonly maxMs: number,
    readonly startedAt: number,
    public token: number,
  ) {
    this.seen.add(accuser);
    this.timeoutMs = this.initialTimeoutMs;
    this.deadlineAt = startedAt + this.timeoutMs;
  }

  /** Independent confirmations received, ≤ k. */
  get confirmations(): number {
    return this.confirmed;
  }

  /** The first timeout: `max` when confirmations are expected, else `min`. */
  get initialTimeoutMs(): number {
    return this.k < 1 ? this.minMs : this.maxMs;
  }

  /**
   * Registers `from`'s agreement. Ignores the accuser, repeats, and anything past `k`.
   * @returns the new remaining time in ms (≤ 0 means "now") if this was new information, which
   *   the caller re-gossips and reschedules; `undefined` if it changed nothing.
   */
  confirm(from: string, now: number): number | undefined {
    if (this.confirmed >= this.k) return undefined;
    if (this.seen.has(from)) return undefined;
    this.seen.add(from);
    this.confirmed++;
    this.timeoutMs = Math.min(suspicionTimeoutMs(this.confirmed, this.k, this.minMs, this.maxMs), this.refusedBy - this.startedAt);
    return this.timeoutMs - (now - this.startedAt);
  }

  /**
   * The suspect's host refused our fallback ping: this suspicion now ends within `windowMs`
   * ({@link refusedSuspicionMs}), and confirmations can no longer push that end back.
   * @returns the new delay in ms if the end moved earlier (the caller re-arms the timer), else `undefined`.
   */
  hasten(now: number, windowMs: number): number | undefined {
    this.refusedBy = Math.min(this.refusedBy, now + windowMs);
    if (this.refusedBy >= this.deadlineAt) return undefined;
    this.timeoutMs = this.refusedBy - this.startedAt;
    return this.refusedBy - now;
  }
}

/**
 * The host's view of suspicion `s` of `member` at `now` (the `suspicion` event): read from the
 * running timer itself, so the deadline the host sees is the one the core will act on.
 * @param confirmedBy the member whose confirmation this reports; `undefined` when the suspicion
 *   starts or when a refused fallback shortened it.
 */
export function suspicionView(member: MemberSnapshot, s: Suspicion, now: number, confirmedBy: string | undefined): SuspicionEvent {
  return {
    member,
    accuser: s.accuser,
    confirmedBy,
    refused: s.refused,
    confirmations: s.confirmations,
    expected: s.k,
    startedAt: s.startedAt,
    deadlineAt: s.deadlineAt,
    timeoutMs: s.timeoutMs,
    remainingMs: Math.max(0, s.deadlineAt - now),
  };
}
