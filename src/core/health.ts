/**
 * Our own health as the core reports it: Lifeguard's bounded score (`awareness.ts`) plus the
 * `self:health` event and gauge on every change.
 * @module
 */
import { METRIC } from '../observability.js';
import { Awareness } from './awareness.js';
import type { Effects } from './effects.js';

/** Owns the Lifeguard local health score; every change is reported. */
export class Health {
  private readonly awareness: Awareness;

  /** @param maxMultiplier `awarenessMaxMultiplier`: the score stays in [0, max − 1]. */
  constructor(maxMultiplier: number) {
    this.awareness = new Awareness(maxMultiplier);
  }

  /** The score: 0 (healthy) … awarenessMaxMultiplier − 1. */
  get score(): number {
    return this.awareness.score;
  }

  /** `ms × (score + 1)`: memberlist `ScaleTimeout`. */
  scale(ms: number): number {
    return this.awareness.scale(ms);
  }

  /** Applies a Lifeguard score delta; on change emits `self:health` and the gauge. */
  apply(fx: Effects, delta: number): void {
    const previous = this.awareness.applyDelta(delta);
    if (previous === undefined) return;
    const score = this.awareness.score;
    fx.emit({ type: 'self:health', score, previous });
    fx.metric('gauge', METRIC.healthScore, score);
  }
}
