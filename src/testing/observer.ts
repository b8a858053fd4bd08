/**
 * Measurements over a {@link Simulator}: how far an update has spread, how fast a crash is
 * detected, false failures, traffic windows, heap per member entry. Shared by `hearsay simulate`
 * and the benchmark suite (bench/sim-*.ts), so both measure the same thing the same way.
 *
 * Every watcher subscribes to the simulator's events and must be {@link Watch.stop}ped when done
 * (a long benchmark creates hundreds of them).
 * @module
 */
import { seededRandom } from '../core/random.js';
import type { Simulator } from './simulator.js';

/** Nearest-rank quantile of an ascending array: the value at rank ⌈q·n⌉ (so p99 of 50 samples is the maximum). */
export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Ascending copy. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Something that listens to a simulator until stopped. */
export interface Watch {
  stop(): void;
}

/**
 * How one member's metadata update spreads: call right after `sim.setMetadata(member, …)`.
 * A node counts as informed at its first `update` event about `member` (the origin at once), so use
 * a member whose previous update has finished spreading.
 */
export class UpdateSpread implements Watch {
  /** Virtual time of the update, ms. */
  readonly startedAt: number;
  /** Ms after the update at which each informed node learned it, ascending (the origin: 0). */
  readonly times: number[] = [0];
  /** Nodes that learned it from a push/pull (anti-entropy) rather than from gossip or a probe. */
  viaPushPull = 0;
  private readonly informed = new Set<string>();
  private readonly unsubscribe: () => void;

  /** @param n nodes that should learn it, the origin included. */
  constructor(
    sim: Simulator,
    readonly member: string,
    readonly n: number,
  ) {
    this.startedAt = sim.now;
    this.informed.add(member);
    this.unsubscribe = sim.onEvent((e) => {
      if (e.event.type !== 'update' || e.event.member.name !== member || this.informed.has(e.node)) return;
      this.informed.add(e.node);
      this.times.push(e.time - this.startedAt);
      if (sim.input === 'stream') this.viaPushPull++;
    });
  }

  /** Nodes informed so far, the origin included. */
  get count(): number {
    return this.informed.size;
  }

  /** Ms until ⌈fraction · n⌉ nodes knew, or `undefined` if not (yet) reached. */
  timeTo(fraction: number): number | undefined {
    const need = Math.ceil(fraction * this.n - 1e-9);
    return this.times.length >= need ? this.times[need - 1] : undefined;
  }

  /** Every node informed. */
  done(): boolean {
    return this.informed.size >= this.n;
  }

  stop(): void {
    this.unsubscribe();
  }
}

/**
 * Detection of crashed members: per victim, the first `suspect` and `fail` about it from any
 * node, and when every observer (running, not a victim) has emitted `fail`.
 */
export class CrashDetection implements Watch {
  readonly crashedAt: number;
  private readonly victims: Set<string>;
  private readonly observers: Set<string>;
  private readonly firstSuspect = new Map<string, number>();
  private readonly failedAt = new Map<string, Map<string, number>>();
  private readonly unsubscribe: () => void;

  /** Crashes `victims` now and starts watching. */
  constructor(sim: Simulator, victims: readonly string[]) {
    this.crashedAt = sim.now;
    this.victims = new Set(victims);
    this.observers = new Set(sim.runningNames().filter((x) => !this.victims.has(x)));
    for (const v of victims) {
      sim.crash(v);
      this.failedAt.set(v, new Map());
    }
    this.unsubscribe = sim.onEvent((e) => {
      const ev = e.event;
      if ((ev.type !== 'suspect' && ev.type !== 'fail') || !this.victims.has(ev.member.name) || !this.observers.has(e.node)) return;
      const v = ev.member.name;
      if (ev.type === 'suspect') {
        if (!this.firstSuspect.has(v)) this.firstSuspect.set(v, e.time - this.crashedAt);
      } else {
        const m = this.failedAt.get(v)!;
        if (!m.has(e.node)) m.set(e.node, e.time - this.crashedAt);
      }
    });
  }

  /** Every observer has declared every victim failed. */
  done(): boolean {
    for (const m of this.failedAt.values()) if (m.size < this.observers.size) return false;
    return true;
  }

  /** Per victim: ms from the crash to the first suspect, first fail and last fail (if every observer failed it). */
  results(): { victim: string; firstSuspectMs: number | undefined; firstFailMs: number | undefined; allFailMs: number | undefined }[] {
    return [...this.failedAt].map(([victim, m]) => {
      const times = sorted([...m.values()]);
      return {
        victim,
        firstSuspectMs: this.firstSuspect.get(victim),
        firstFailMs: times[0],
        allFailMs: m.size >= this.observers.size ? times.at(-1) : undefined,
      };
    });
  }

  /** Every (victim, observer) fail delay, ms, ascending. */
  allFailDelays(): number[] {
    return sorted([...this.failedAt.values()].flatMap((m) => [...m.values()]));
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** Counts `fail` and `suspect` events about members that never crashed, by group. */
export class FalseFailures implements Watch {
  /** `fail` events per group. */
  readonly fails: Record<string, number> = {};
  /** `suspect` events per group. */
  readonly suspects: Record<string, number> = {};
  private readonly unsubscribe: () => void;

  /** @param groups group name → members (a member in no group is not counted). */
  constructor(sim: Simulator, groups: Readonly<Record<string, readonly string[]>>) {
    const groupOf = new Map<string, string>();
    for (const [g, names] of Object.entries(groups)) {
      this.fails[g] = 0;
      this.suspects[g] = 0;
      for (const name of names) groupOf.set(name, g);
    }
    this.unsubscribe = sim.onEvent((e) => {
      const ev = e.event;
      if (ev.type !== 'fail' && ev.type !== 'suspect') return;
      const g = groupOf.get(ev.member.name);
      if (g === undefined) return;
      if (ev.type === 'fail') this.fails[g]!++;
      else this.suspects[g]!++;
    });
  }

  stop(): void {
    this.unsubscribe();
  }
}

/** Pauses `names` over and over from now until `untilMs`: frozen 2–5 s, then running 0.2–2 s (a thrashing process). */
export function pauseRepeatedly(sim: Simulator, names: readonly string[], untilMs: number, seed: number): void {
  const random = seededRandom(seed);
  for (const name of names) {
    let t = sim.now + random.next() * 5000;
    while (t < untilMs) {
      const pause = 2000 + random.next() * 3000;
      sim.at(t, () => sim.pause(name, pause));
      t += pause + 200 + random.next() * 1800;
    }
  }
}

/** Counters of traffic sent, by message kind. */
export interface TrafficSample {
  /** Virtual time, ms. */
  readonly at: number;
  readonly packets: number;
  readonly bytes: number;
  readonly byType: Readonly<Record<string, { readonly packets: number; readonly bytes: number }>>;
}

/** The simulator's traffic counters now (copied). */
export function trafficSample(sim: Simulator): TrafficSample {
  const s = sim.network.sent;
  const byType: Record<string, { packets: number; bytes: number }> = {};
  for (const [k, v] of s.byType) byType[k] = { packets: v.packets, bytes: v.bytes };
  return { at: sim.now, packets: s.packets, bytes: s.bytes, byType };
}

/** Traffic between two samples, per node per second of virtual time. */
export interface TrafficRate {
  readonly seconds: number;
  readonly packetsPerNodePerSec: number;
  readonly bytesPerNodePerSec: number;
  readonly byType: Readonly<Record<string, { readonly packetsPerNodePerSec: number; readonly bytesPerNodePerSec: number }>>;
}

/** Rates between `before` and `after` over `nodes` senders. */
export function trafficRate(before: TrafficSample, after: TrafficSample, nodes: number): TrafficRate {
  const seconds = (after.at - before.at) / 1000;
  const per = (v: number): number => v / nodes / seconds;
  const byType: Record<string, { packetsPerNodePerSec: number; bytesPerNodePerSec: number }> = {};
  for (const [k, v] of Object.entries(after.byType)) {
    const b = before.byType[k] ?? { packets: 0, bytes: 0 };
    if (v.packets === b.packets) continue;
    byType[k] = { packetsPerNodePerSec: per(v.packets - b.packets), bytesPerNodePerSec: per(v.bytes - b.bytes) };
  }
  return { seconds, packetsPerNodePerSec: per(after.packets - before.packets), bytesPerNodePerSec: per(after.bytes - before.bytes), byType };
}

/** Heap in use after a full GC (when the process runs with --expose-gc; otherwise as it is), bytes. */
export function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

/**
 * Advances `sim` by up to `totalMs` in slices, calling `report(fraction)` between slices, and stops
 * early once `done()` holds (checked every `checkEveryMs` of virtual time). Returns whether it held.
 */
export async function runReporting(sim: Simulator, totalMs: number, done: () => boolean, report: (fraction: number) => void, checkEveryMs = 10): Promise<boolean> {
  const step = Math.max(100, totalMs / 50);
  for (let t = 0; t < totalMs; t += step) {
    report(t / totalMs);
    if (await sim.runUntil(done, Math.min(step, totalMs - t), checkEveryMs)) {
      report(1);
      return true;
    }
  }
  report(1);
  return done();
}
