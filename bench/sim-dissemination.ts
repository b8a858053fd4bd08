/**
 * Dissemination: how long one metadata update takes to reach 99.9 % and 100 % of the cluster,
 * in simulated seconds and in gossip rounds (÷ gossipIntervalMs), next to the textbook bounds.
 *
 * Per run: a converged cluster (bootstrapConverged), 30 s of steady state, then `updates` metadata
 * updates one after the other, each from a different node, each followed by 10 s of quiet so its
 * retransmissions are over before the next starts. A node is informed at its `update` event.
 */
import { lan } from '../src/options.js';
import { quantile, sorted, UpdateSpread } from '../src/testing/observer.js';
import { bootstrappedCluster, fix, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

export interface DisseminationParams {
  readonly n: number;
  readonly loss: number;
  readonly updates: number;
  readonly seed?: number;
}

export interface DisseminationResult extends DisseminationParams {
  readonly gossipIntervalMs: number;
  /** Per update: ms to 99.9 % and to 100 % (`null`: not reached within the cap). */
  readonly to999: (number | null)[];
  readonly to100: (number | null)[];
  /** Per update: nodes that learned it from a push/pull, not from gossip. */
  readonly viaPushPull: number[];
  readonly wallSeconds: number;
}

/** Longest wait for one update, virtual ms. */
const CAP_MS = 300_000;

export async function runDissemination(p: DisseminationParams): Promise<DisseminationResult> {
  setProgressLabel(`dissemination N=${p.n} loss=${p.loss}`);
  const wall = stopwatch();
  const sim = await bootstrappedCluster(p.n, { seed: p.seed ?? 1, network: { loss: p.loss } });
  progress(`bootstrapped in ${wall().toFixed(1)} s`, true);
  await sim.runFor(30_000);
  const to999: (number | null)[] = [];
  const to100: (number | null)[] = [];
  const viaPushPull: number[] = [];
  const step = Math.max(1, Math.floor(p.n / p.updates));
  for (let u = 0; u < p.updates; u++) {
    const origin = `n${(1 + u * step) % p.n}`;
    const spread = new UpdateSpread(sim, origin, p.n);
    sim.setMetadata(origin, { version: String(u + 2) });
    await sim.runUntil(() => spread.done(), CAP_MS, 5);
    spread.stop();
    to999.push(spread.timeTo(0.999) ?? null);
    to100.push(spread.timeTo(1) ?? null);
    viaPushPull.push(spread.viaPushPull);
    progress(`update ${u + 1}/${p.updates}: 100 % after ${fix((to100.at(-1) ?? NaN) / 1000, 2)} s`);
    await sim.runFor(10_000);
  }
  return { ...p, gossipIntervalMs: lan().gossipIntervalMs, to999, to100, viaPushPull, wallSeconds: wall() };
}

/** Push–pull rumour spreading (Karp et al. 2000): log₃ N + ln ln N rounds. */
export function pushPullBound(n: number): number {
  return Math.log(n) / Math.log(3) + Math.log(Math.log(n));
}

/** Push gossip with fanout f (Frieze–Grimmett / Pittel, generalised): log_{f+1} N + ln N / f rounds. */
export function pushBound(n: number, fanout: number): number {
  return Math.log(n) / Math.log(fanout + 1) + Math.log(n) / fanout;
}

export function renderDissemination(results: readonly DisseminationResult[]): string {
  const fanout = lan().gossipNodes;
  const rows = results.map((r) => {
    const reached = (xs: (number | null)[]): number[] => sorted(xs.filter((x): x is number => x !== null));
    const a = reached(r.to999);
    const b = reached(r.to100);
    const missed = r.to100.length - b.length;
    const rounds = (ms: number | undefined): string => (ms === undefined ? '—' : fix(ms / r.gossipIntervalMs, 1));
    const s = (ms: number | undefined): string => (ms === undefined ? '—' : fix(ms / 1000, 2));
    return [
      r.n.toLocaleString('en-US'),
      `${r.loss * 100} %`,
      String(r.updates) + (missed > 0 ? ` (${missed} not reached)` : ''),
      `${rounds(quantile(a, 0.5))} / ${rounds(a.at(-1))}`,
      `${s(quantile(a, 0.5))} / ${s(a.at(-1))}`,
      `${rounds(quantile(b, 0.5))} / ${rounds(b.at(-1))}`,
      `${s(quantile(b, 0.5))} / ${s(b.at(-1))}`,
      String(r.viaPushPull.reduce((a, b) => a + b, 0)),
      fix(pushPullBound(r.n), 1),
      fix(pushBound(r.n, fanout), 1),
    ];
  });
  return table(
    ['N', 'loss', 'updates', '99.9 %: rounds (median / max)', '99.9 %: s (median / max)', '100 %: rounds (median / max)', '100 %: s (median / max)', 'nodes informed by push/pull, not gossip (all updates)', 'push-pull bound log₃N + ln ln N', `push, fanout ${fanout}: log₄N + ln N / ${fanout}`],
    'rrrrrrrrrr',
    rows,
  );
}

runIfMain(import.meta.url, runDissemination);
