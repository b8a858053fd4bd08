/**
 * False positives: `fail` events about members that never crashed, while a fraction of nodes
 * stalls again and again (frozen 2–5 s, then running 0.2–2 s: `pauseRepeatedly`, as in
 * test/sim/faults.test.ts) under packet loss, with Lifeguard on and off.
 *
 * Per cell and seed: a converged cluster (bootstrapConverged), stalls for 10 simulated minutes,
 * then one more minute (late verdicts count too). Counted from the first stall on, over all nodes'
 * events, split by the member the event is about: never stalled, or stalled (alive all along,
 * only slow). Suspicions are counted the same way.
 */
import { FalseFailures, pauseRepeatedly } from '../src/testing/observer.js';
import { bootstrappedCluster, int, nodeNames, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

export interface FalsePositiveParams {
  readonly n: number;
  readonly stall: number;
  readonly loss: number;
  readonly lifeguard: boolean;
  /** Seeds 1…seeds, summed. */
  readonly seeds: number;
  /** Stall phase, virtual ms (default 10 min). */
  readonly stallMs?: number;
}

export interface FalsePositiveResult extends FalsePositiveParams {
  readonly stalledNodes: number;
  readonly failsHealthy: number;
  readonly failsStalled: number;
  readonly suspectsHealthy: number;
  readonly suspectsStalled: number;
  readonly wallSeconds: number;
}

export async function runFalsePositives(p: FalsePositiveParams): Promise<FalsePositiveResult> {
  setProgressLabel(`false positives N=${p.n} stall=${p.stall} loss=${p.loss} lifeguard=${p.lifeguard ? 'on' : 'off'}`);
  const wall = stopwatch();
  const stallMs = p.stallMs ?? 10 * 60_000;
  const k = Math.round(p.n * p.stall);
  const totals = { failsHealthy: 0, failsStalled: 0, suspectsHealthy: 0, suspectsStalled: 0 };
  for (let seed = 1; seed <= p.seeds; seed++) {
    const sim = await bootstrappedCluster(p.n, { seed, network: { loss: p.loss }, lifeguard: p.lifeguard });
    const names = nodeNames(p.n);
    // Stalled: every (n / k)-th node, spread over the name space.
    const stalled = names.filter((_, i) => k > 0 && Math.floor((i * k) / p.n) !== Math.floor(((i + 1) * k) / p.n));
    const stalledSet = new Set(stalled);
    const watch = new FalseFailures(sim, { healthy: names.filter((x) => !stalledSet.has(x)), stalled });
    pauseRepeatedly(sim, stalled, sim.now + stallMs, seed * 7919);
    const end = sim.now + stallMs + 60_000;
    while (sim.now < end) {
      await sim.runFor(Math.min(30_000, end - sim.now));
      progress(`seed ${seed}: ${(sim.now / 1000).toFixed(0)} s simulated, fails so far ${watch.fails.healthy! + watch.fails.stalled!}`);
    }
    watch.stop();
    totals.failsHealthy += watch.fails.healthy!;
    totals.failsStalled += watch.fails.stalled!;
    totals.suspectsHealthy += watch.suspects.healthy!;
    totals.suspectsStalled += watch.suspects.stalled!;
  }
  return { ...p, stallMs, stalledNodes: k, ...totals, wallSeconds: wall() };
}

export function renderFalsePositives(results: readonly FalsePositiveResult[]): string {
  // One row per (N, stall, loss): Lifeguard on and off side by side.
  const key = (r: FalsePositiveResult): string => `${r.n}|${r.stall}|${r.loss}`;
  const groups = new Map<string, { on?: FalsePositiveResult; off?: FalsePositiveResult }>();
  for (const r of results) {
    const g = groups.get(key(r)) ?? {};
    if (r.lifeguard) g.on = r;
    else g.off = r;
    groups.set(key(r), g);
  }
  const cells = (r: FalsePositiveResult | undefined): string[] =>
    r === undefined ? ['—', '—', '—'] : [int(r.failsHealthy), int(r.failsStalled), `${int(r.suspectsHealthy)} / ${int(r.suspectsStalled)}`];
  const rows = [...groups.values()].map(({ on, off }) => {
    const r = (on ?? off)!;
    return [r.n.toLocaleString('en-US'), `${r.stall * 100} % (${r.stalledNodes})`, `${r.loss * 100} %`, String(r.seeds), ...cells(on), ...cells(off)];
  });
  return table(
    ['N', 'stalled nodes', 'loss', 'seeds', 'Lifeguard on: fails, never stalled', 'on: fails, stalled', 'on: suspects (never stalled / stalled)', 'Lifeguard off: fails, never stalled', 'off: fails, stalled', 'off: suspects (never stalled / stalled)'],
    'rrrrrrrrrr',
    rows,
  );
}

runIfMain(import.meta.url, runFalsePositives);
