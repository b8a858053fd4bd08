/**
 * Knowing that we were cut off. A probe that fails although we asked relays that send nacks, and
 * nobody — neither the target nor any relay — answered, says nothing about the target: the
 * silence is more likely ours. {@link ISOLATION_PROBES} such probes in a row, with no ack, nack or
 * stream reply from anyone in between, mean we are isolated: from the start of the first of them
 * until anything answers us again. Only replies count as contact (acks, nacks, stream exchanges):
 * a datagram arriving proves we can hear, not that we are heard.
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

  /** Someone answered us (an ack, a nack, a stream exchange): any isolation is over. */
  heard(now: number, fx: Effects): void {
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
