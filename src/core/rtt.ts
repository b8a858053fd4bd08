/**
 * Smoothed round-trip time per member, from our direct probes.
 *
 * memberlist hands each sample to its `PingDelegate` and keeps nothing; hearsay also keeps a
 * smoothed value on every member so hosts can read it from a snapshot without a hook. The
 * estimator is TCP's SRTT (RFC 6298 §2): the first sample is taken as is, later ones move the
 * estimate by 1/8 of their difference. One slow ack (a GC pause at the peer) then shifts it by an
 * eighth, while a lasting change shows within a few probe rounds.
 * @module
 */

/** Weight of a new sample (RFC 6298's α). */
export const RTT_ALPHA = 1 / 8;

/** The smoothed round trip after one more sample, ms. `previous` undefined: the first sample. */
export function smoothRtt(previous: number | undefined, sampleMs: number): number {
  return previous === undefined ? sampleMs : previous + RTT_ALPHA * (sampleMs - previous);
}
