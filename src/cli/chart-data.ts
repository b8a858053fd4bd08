/**
 * Turning `simulate`'s measurements into chart series: the detection CDF as a step function on
 * an axis that starts near the data, bandwidth over time from the simulator's traffic counters,
 * and plurals that read right.
 * @module
 */
import { trafficSample, type TrafficSample } from '../testing/observer.js';
import type { Simulator } from '../testing/simulator.js';

/** `1 crash`, `2 crashes`: `count` and the word, pluralised with `plural` (default: word + s). */
export function plural(count: number, word: string, pluralWord = `${word}s`): string {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

/**
 * An empirical CDF of `seconds` as a step line: it rises by 1/n at each value, starting from 0
 * at `from` so the curve begins at the axis.
 */
export function cdfPoints(seconds: readonly number[], from: number): [number, number][] {
  const sorted = [...seconds].sort((a, b) => a - b);
  const n = sorted.length;
  const out: [number, number][] = n > 0 ? [[from, 0]] : [];
  sorted.forEach((s, i) => {
    out.push([s, i / n], [s, (i + 1) / n]);
  });
  return out;
}

/**
 * Where a detection chart's x axis should start: a round number a little below the fastest
 * detection, so the spread of the CDF fills the panel (0 when the data starts near 0 anyway).
 */
export function axisStart(seconds: readonly number[]): number {
  if (seconds.length === 0) return 0;
  const min = Math.min(...seconds);
  const max = Math.max(...seconds);
  const pad = Math.max((max - min) * 0.25, max * 0.01);
  // Round down to a step that suits the spread: tenths for a tight cluster, whole seconds otherwise.
  const step = max - min < 2 ? 0.1 : 1;
  const start = Math.floor((min - pad) / step) * step;
  return start < max * 0.2 ? 0 : Number(start.toFixed(1));
}

/** Samples a simulator's traffic counters now and then, and turns them into bytes per node per second over time. */
export class BandwidthTrace {
  private readonly samples: TrafficSample[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly nodes: number,
  ) {
    this.record();
  }

  /** Takes a sample (ignored when virtual time has not moved). */
  record(): void {
    const s = trafficSample(this.sim);
    const last = this.samples.at(-1);
    if (!last || s.at > last.at) this.samples.push(s);
  }

  /**
   * The mean send rate per node over each interval between samples, as a step line of
   * [seconds, bytes/node/s]. Intervals shorter than `minIntervalMs` are merged into the next, so
   * a burst measured over a few ms does not draw a spike.
   */
  series(minIntervalMs = 500): [number, number][] {
    const out: [number, number][] = [];
    let from = this.samples[0];
    for (const s of this.samples.slice(1)) {
      if (!from || s.at - from.at < minIntervalMs) continue;
      const rate = (s.bytes - from.bytes) / this.nodes / ((s.at - from.at) / 1000);
      out.push([from.at / 1000, rate], [s.at / 1000, rate]);
      from = s;
    }
    return out;
  }
}
