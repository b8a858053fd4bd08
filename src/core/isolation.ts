/**
 * Knowing that we were cut off. A probe that fails although we asked relays that send nacks, and
 * nobody — neither the target nor any relay — answered, says nothing about the target: the
 * silence is more likely ours. {@link ISOLATION_PROBES} such probes in a row, with nothing
 * reaching us in between, mean we are isolated: from the start of the first of them until anything
 * reaches us again. Contact is any datagram or stream from anyone, not only answers to our probes:
 * random targets and relays can all sit across a partition while our own side reaches us (a 50/50
 * split), and what an isolation guards against is not hearing the cluster — a suspicion we heard
 * of may have been refuted where we could not hear. Our own silent probes' suspicions are held
 * whether or not we are isolated. The probe after a silent one asks the peer that last reached us
 * as one of its relays ({@link Isolation.witness}), for when our own side is reachable but quiet.
 *
 * While isolated, the membership rules hold our verdicts (`Membership.cutOffStarted`); when it
 * ends they tell the suspects and re-check them (`Membership.cutOffEnded`), and the host gets
 * `self:isolated` with the episode's start, end and duration.
 * @module
 */
import { METRIC } from '../observability.js';
import type { Effects } from './effects.js';
import type { Membership } from './state-merge.js';

/** Silent probes in a row that make an isolation (one alone is a target and three relays all down, or bad luck). */
export const ISOLATION_PROBES = 2;

/** Owns the silent-probe count and the current isolation episode. */
export class Isolation {
  /** Silent probes since anyone last answered us. */
  private silent = 0;
  /** Start of the first of them, ms. */
  private firstSilentAt = 0;
  /** Start of the current episode, ms; `undefined` when not isolated. */
  private since: number | undefined;
  /** Address of the last peer that reached us (a datagram or a stream), if known. */
  private lastFrom: string | undefined;

  constructor(private readonly membership: Membership) {}

  /**
   * A probe ended without reaching its target. `silent`: we asked nack-capable relays and nobody
   * answered at all. A probe that got a nack has already ended any episode (its nack is contact).
   */
  probeFailed(fx: Effects, startedAt: number, silent: boolean): void {
    if (!silent) return;
    if (this.silent++ === 0) this.firstSilentAt = startedAt;
    if (this.since !== undefined || this.silent < ISOLATION_PROBES) return;
    this.since = this.firstSilentAt;
    fx.log('debug', { since: this.since, probes: this.silent }, 'isolated: no ack or nack from anyone; holding verdicts');
    this.membership.cutOffStarted();
  }

  /**
   * The relay to add to our next probe, as an address: while silent probes are adding up (and no
   * isolation is declared yet), the peer that last reached us. Random relays can all sit across a
   * partition while our own side is fine; a peer that just reached us is the likeliest to answer
   * if anyone can, so its silence too is what makes the next silent probe count.
   */
  witness(): string | undefined {
    return this.silent > 0 && this.since === undefined ? this.lastFrom : undefined;
  }

  /**
   * Someone reached us: an answer to us (an ack, a nack, a stream exchange we started), or any
   * datagram or stream from a peer (`from`, its address). Any isolation is over.
   */
  heard(now: number, fx: Effects, from?: string): void {
    if (from !== undefined) this.lastFrom = from;
    this.silent = 0;
    const since = this.since;
    if (since === undefined) return;
    this.since = undefined;
    fx.emit({ type: 'self:isolated', startedAt: since, endedAt: now, durationMs: now - since });
    fx.metric('increment', METRIC.isolations, 1);
    fx.log('debug', { since, durationMs: now - since }, 'isolation over: re-checking the suspicions held meanwhile');
    this.membership.cutOffEnded(now, fx);
  }
}
