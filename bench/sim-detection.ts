/**
 * Failure detection: crash → first `suspect`, first `fail`, and `fail` at every survivor.
 *
 * Per seed: a converged cluster (bootstrapConverged), 30 s of steady state, then `crashes` crashes
 * one at a time: crash one node, run until every running node has declared it failed, wait 5 s,
 * crash the next. The cluster shrinks by one per crash (5 % over 50 crashes at N = 1,000).
 */
import { CrashDetection, quantile, sorted } from '../src/testing/observer.js';
import { bootstrappedCluster, fix, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

export interface DetectionParams {
  readonly n: number;
  /** Seeds 1…seeds, one cluster each. */
  readonly seeds: number;
  /** Crashes per seed. */
  readonly crashes: number;
  readonly loss?: number;
}

export interface DetectionResult extends DetectionParams {
  /** Per crash, ms after it (`null`: not within the cap). */
  readonly firstSuspect: (number | null)[];
  readonly firstFail: (number | null)[];
  readonly allFail: (number | null)[];
  readonly simulatedSeconds: number;
  readonly wallSeconds: number;
}

/** Longest wait for one crash to be declared everywhere, virtual ms. */
const CAP_MS = 300_000;

export async function runDetection(p: DetectionParams): Promise<DetectionResult> {
  setProgressLabel(`detection N=${p.n}`);
  const wall = stopwatch();
  const firstSuspect: (number | null)[] = [];
  const firstFail: (number | null)[] = [];
  const allFail: (number | null)[] = [];
  let simulated = 0;
  for (let seed = 1; seed <= p.seeds; seed++) {
    const sim = await bootstrappedCluster(p.n, { seed, network: { loss: p.loss ?? 0 } });
    await sim.runFor(30_000);
    // Victims spread over the name space, never n0.
    const stride = Math.max(1, Math.floor((p.n - 1) / p.crashes));
    for (let c = 0; c < p.crashes; c++) {
      const victim = `n${1 + ((c * stride + seed) % (p.n - 1))}`;
      const watch = new CrashDetection(sim, [victim]);
      await sim.runUntil(() => watch.done(), CAP_MS, 50);
      watch.stop();
      const [r] = watch.results();
      firstSuspect.push(r?.firstSuspectMs ?? null);
      firstFail.push(r?.firstFailMs ?? null);
      allFail.push(r?.allFailMs ?? null);
      progress(`seed ${seed}, crash ${c + 1}/${p.crashes}: all fail after ${fix((r?.allFailMs ?? NaN) / 1000, 1)} s (wall ${wall().toFixed(0)} s)`);
      await sim.runFor(5_000);
    }
    simulated += sim.now;
  }
  return { ...p, firstSuspect, firstFail, allFail, simulatedSeconds: simulated / 1000, wallSeconds: wall() };
}

export function renderDetection(results: readonly DetectionResult[]): string {
  const rows = results.map((r) => {
    const cell = (xs: (number | null)[]): string => {
      const ok = sorted(xs.filter((x): x is number => x !== null));
      const missed = xs.length - ok.length;
      return `${fix((quantile(ok, 0.5) ?? NaN) / 1000, 2)} / ${fix((quantile(ok, 0.99) ?? NaN) / 1000, 2)}${missed > 0 ? ` (${missed} missed)` : ''}`;
    };
    return [
      r.n.toLocaleString('en-US'),
      `${(r.loss ?? 0) * 100} %`,
      `${r.seeds} × ${r.crashes} = ${r.firstFail.length}`,
      cell(r.firstSuspect),
      cell(r.firstFail),
      cell(r.allFail),
    ];
  });
  return table(['N', 'loss', 'crashes (seeds × per seed)', 'first suspect, s (median / p99)', 'first fail, s (median / p99)', 'all fail, s (median / p99)'], 'rrrrrr', rows);
}

runIfMain(import.meta.url, runDetection);
