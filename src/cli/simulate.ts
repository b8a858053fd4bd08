/**
 * `hearsay simulate`: run a whole cluster on virtual time and report convergence, dissemination,
 * failure detection, false positives and bandwidth, with an SVG chart.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { lan } from '../options.js';
import { CrashDetection, FalseFailures, quantile, runReporting, trafficRate, trafficSample, UpdateSpread } from '../testing/observer.js';
import { Simulator } from '../testing/simulator.js';
import { axisStart, BandwidthTrace, cdfPoints, plural } from './chart-data.js';
import { renderChart } from './svg.js';

/**
 * How the cluster is formed: every node joining through n0 (a join storm, simulated), or the
 * converged state such a storm settles into (`Simulator.bootstrapConverged`, not simulated: at
 * 10,000 nodes the storm alone would take hours of wall time). `auto` picks the storm up to
 * {@link AUTO_CONVERGED_ABOVE} nodes and the converged start above.
 */
export type SimulateStart = 'auto' | 'join' | 'converged';

/** `--start auto` simulates the join storm up to this many nodes, and starts converged above. */
export const AUTO_CONVERGED_ABOVE = 1000;

/** Whether a run of `nodes` with `start` begins converged. */
export function startsConverged(start: SimulateStart, nodes: number): boolean {
  return start === 'converged' || (start === 'auto' && nodes > AUTO_CONVERGED_ABOVE);
}

/** Parsed `simulate` flags. */
export interface SimulateArgs {
  readonly nodes: number;
  readonly start: SimulateStart;
  readonly loss: number;
  readonly seed: number;
  /** Nodes crashed for the detection measurement. */
  readonly crashes: number;
  readonly out: string;
  readonly lifeguard: boolean;
}

/** Summary figures of one run. */
export interface SimulateResult {
  readonly convergedMs: number | undefined;
  readonly updateAll999Ms: number | undefined;
  readonly updateAllMs: number | undefined;
  readonly detectionMs: readonly number[];
  readonly falseFailures: number;
  readonly bytesPerNodePerSec: number;
  readonly packetsPerNodePerSec: number;
  readonly simulatedMs: number;
  readonly wallMs: number;
  /** Whether the cluster started converged (no join simulated). */
  readonly converged: boolean;
  /** Wall ms to start the nodes and form the cluster (the join storm, or the converged start). */
  readonly formWallMs: number;
  /** Simulated s per wall s over the 10 s steady-state window. */
  readonly steadySpeed: number;
  /** Heap in use at the end of the run, and the process's heap limit, bytes. */
  readonly heapUsedBytes: number;
  readonly heapLimitBytes: number;
}

function progress(label: string, fraction: number): void {
  if (!process.stderr.isTTY) return;
  const width = 30;
  const filled = Math.round(fraction * width);
  process.stderr.write(`\r${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%`);
  if (fraction >= 1) process.stderr.write('\n');
}

/** Runs the simulator over `totalMs` of virtual time, drawing a progress bar; stops early once `done()` holds. */
function runWithProgress(sim: Simulator, label: string, totalMs: number, done: () => boolean, onSlice?: () => void): Promise<boolean> {
  return runReporting(sim, totalMs, done, (f) => {
    progress(label, f);
    onSlice?.();
  });
}

/**
 * Runs the standard scenario: the cluster formed (staggered joins through n0, or a converged start,
 * see {@link SimulateStart}), one metadata update, then `crashes` crashes.
 */
export async function simulate(args: SimulateArgs): Promise<SimulateResult> {
  const wallStart = performance.now();
  const n = args.nodes;
  const converged = startsConverged(args.start, n);
  const sim = new Simulator({ seed: args.seed, network: { loss: args.loss }, lifeguard: args.lifeguard });
  const names = Array.from({ length: n }, (_, i) => `n${i}`);
  for (let i = 0; i < n; i++) {
    await sim.addNode(names[i]!);
    if (i % 500 === 499 || i === n - 1) progress('starting nodes', (i + 1) / n);
  }
  const bandwidth = new BandwidthTrace(sim, n);
  const sample = (): void => bandwidth.record();

  let convergedMs: number | undefined;
  if (converged) {
    progress('converging (no join)', 0);
    sim.bootstrapConverged();
    progress('converging (no join)', 1);
    convergedMs = 0;
  } else {
    for (let i = 1; i < n; i++) sim.at((i * 2000) / n, () => sim.join(names[i]!, 'n0'));
    const convergedOk = await runWithProgress(sim, 'joining', 300_000, () => sim.allSee(n), sample);
    convergedMs = convergedOk ? sim.now : undefined;
  }
  const formWallMs = performance.now() - wallStart;

  // False failures: fails about members never crashed, from convergence on.
  const victims = names.slice(n - Math.min(args.crashes, n - 2));
  const victimSet = new Set(victims);
  const falseWatch = new FalseFailures(sim, { healthy: names.filter((x) => !victimSet.has(x)) });

  // Dissemination of one update from n1.
  const spread = new UpdateSpread(sim, 'n1', n);
  sim.setMetadata('n1', { version: '2' });
  await runWithProgress(sim, 'disseminating', 120_000, () => spread.done(), sample);
  spread.stop();
  const informed = spread.times.map((t, i) => [t / 1000, (i + 1) / n] as [number, number]);
  const updateAll999Ms = spread.timeTo(0.999);
  const updateAllMs = spread.timeTo(1);

  // Steady-state traffic over 10 s (datagrams and push/pull streams).
  const before = trafficSample(sim);
  const steadyStart = performance.now();
  await sim.runFor(10_000);
  const steadySpeed = 10 / ((performance.now() - steadyStart) / 1000);
  sample();
  const rate = trafficRate(before, trafficSample(sim), n);
  const bytesPerNodePerSec = rate.bytesPerNodePerSec;
  const packetsPerNodePerSec = rate.packetsPerNodePerSec;

  // Failure detection: crash some nodes, time until each survivor declares each dead.
  const crashes = new CrashDetection(sim, victims);
  await runWithProgress(sim, 'detecting failures', 180_000, () => crashes.done(), sample);
  crashes.stop();
  falseWatch.stop();
  const detection = crashes.allFailDelays();
  const falseFailures = falseWatch.fails.healthy!;

  const result: SimulateResult = {
    convergedMs,
    updateAll999Ms,
    updateAllMs,
    detectionMs: detection,
    falseFailures,
    bytesPerNodePerSec,
    packetsPerNodePerSec,
    simulatedMs: sim.now,
    wallMs: performance.now() - wallStart,
    converged,
    formWallMs,
    steadySpeed,
    heapUsedBytes: process.memoryUsage().heapUsed,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
  };

  const detectionSeconds = detection.map((d) => d / 1000);
  const xMin = axisStart(detectionSeconds);
  const svg = renderChart(
    [
      { title: 'Dissemination of one update', xLabel: 'seconds after the update', yLabel: 'fraction of nodes informed', yMax: 1, series: [{ label: `N=${n}, loss ${args.loss}`, points: informed, color: '#1f77b4' }] },
      {
        title: 'Failure detection',
        xLabel: xMin > 0 ? `seconds after the crash (axis starts at ${xMin} s)` : 'seconds after the crash',
        yLabel: 'fraction of fail events (CDF)',
        yMax: 1,
        xMin,
        series: [{ label: `${plural(victims.length, 'crash', 'crashes')} × ${plural(n - victims.length, 'observer')}`, points: cdfPoints(detectionSeconds, xMin), color: '#d62728' }],
      },
      { title: 'Bandwidth over time', xLabel: 'simulated seconds (join, update, steady, crashes)', yLabel: 'bytes sent per node per second', series: [{ label: 'UDP + push/pull streams', points: bandwidth.series(), color: '#2ca02c' }] },
    ],
    `hearsay simulate --nodes ${n} --start ${converged ? 'converged' : 'join'} --loss ${args.loss} --seed ${args.seed}${args.lifeguard ? '' : ' --no-lifeguard'}`,
  );
  writeFileSync(args.out, svg);
  return result;
}

/** Formats a result as the summary table the CLI prints. */
export function formatResult(args: SimulateArgs, r: SimulateResult): string {
  const ms = (v: number | undefined): string => (v === undefined ? 'not reached' : `${(v / 1000).toFixed(2)} s`);
  const gossipMs = lan().gossipIntervalMs;
  const rounds = (v: number | undefined): string => (v === undefined ? 'not reached' : `${ms(v)} (${(v / gossipMs).toFixed(1)} gossip rounds)`);
  const gb = (b: number): string => (b < 2 ** 30 ? `${(b / 2 ** 20).toFixed(0)} MiB` : `${(b / 2 ** 30).toFixed(2)} GiB`);
  const rows: [string, string][] = [
    ['nodes', String(args.nodes)],
    ['start', r.converged ? `converged (bootstrapConverged, no join simulated${args.start === 'auto' ? `; auto above ${AUTO_CONVERGED_ABOVE} nodes` : ''})` : 'join storm through n0 (simulated)'],
    ['packet loss', `${(args.loss * 100).toFixed(1)} %`],
    ['seed', String(args.seed)],
    ['lifeguard', args.lifeguard ? 'on' : 'off'],
    ['join → all see all (virtual)', r.converged ? 'converged start' : ms(r.convergedMs)],
    ['update → 99.9 % informed', rounds(r.updateAll999Ms)],
    ['update → 100 % informed', rounds(r.updateAllMs)],
    ['crash → fail, median', ms(quantile(r.detectionMs, 0.5))],
    ['crash → fail, p99', ms(quantile(r.detectionMs, 0.99))],
    ['crash → fail, last', ms(r.detectionMs.at(-1))],
    ['false failures', String(r.falseFailures)],
    ['bytes / node / s (steady)', r.bytesPerNodePerSec.toFixed(0)],
    ['packets / node / s (steady)', r.packetsPerNodePerSec.toFixed(1)],
    ['simulated time', `${(r.simulatedMs / 1000).toFixed(1)} s`],
    ['wall time', `${(r.wallMs / 1000).toFixed(1)} s (forming the cluster: ${(r.formWallMs / 1000).toFixed(1)} s)`],
    ['speed (simulated s / wall s)', `${(r.simulatedMs / r.wallMs).toFixed(2)} overall, ${r.steadySpeed.toFixed(2)} steady state`],
    ['heap', `${gb(r.heapUsedBytes)} in use at the end (limit ${gb(r.heapLimitBytes)})`],
    ['chart', args.out],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
