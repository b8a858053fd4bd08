/**
 * Lifeguard's local health multiplier ("LHM", Lifeguard §IV-A; memberlist `awareness.go`).
 * @module
 */

/**
 * This node's own health score: 0 is healthy, `max − 1` is the worst. A node that misses acks
 * or has to refute accusations is probably the slow one, so it waits longer before blaming
 * others. The score scales only the probe interval (ack-handler lifetime, TCP fallback deadline,
 * and so the probe cadence while probes fail) — not `probeTimeoutMs`, suspicion, gossip or push/pull
 * (reference §5 "Awareness").
 */
export class Awareness {
  private current = 0;

  /** @param max `awarenessMaxMultiplier` (≥ 1): the score stays in [0, max − 1]. */
  constructor(readonly max: number) {}

  /** The score, an integer in [0, max − 1]. */
  get score(): number {
    return this.current;
  }

  /**
   * Adds `delta` (may be negative), clamping to [0, max − 1].
   * @returns the previous score if the score changed, otherwise `undefined`.
   */
  applyDelta(delta: number): number | undefined {
    const previous = this.current;
    const next = Math.min(Math.max(previous + delta, 0), this.max - 1);
    if (next === previous) return undefined;
    this.current = next;
    return previous;
  }

  /** `ms × (score + 1)`: memberlist `ScaleTimeout`. */
  scale(ms: number): number {
    return ms * (this.current + 1);
  }
}
