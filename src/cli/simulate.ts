/**
 * `hearsay simulate`: run a whole cluster on virtual time and report convergence, dissemination,
 * failure detection, false positives and bandwidth, with an SVG chart.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { CrashDetection, FalseFailures, quantile, runReporting, trafficRate, trafficSample, UpdateSpread } from '../testing/observer.js';
import { Simulator } from '../testing/simulator.js';
import { axisStart, BandwidthTrace, cdfPoints, plural } from './chart-data.js';
import { renderChart } from './svg.js';

/** Parsed `simulate` flags. */
export interface SimulateArgs {
  readonly nodes: number;
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

/** Runs the standard scenario: staggered joins, one metadata update, then `crashes` crashes. */
export async function simulate(args: SimulateArgs): Promise<SimulateResult> {
  const wallStart = performance.now();
  const n = args.nodes;
  const sim = new Simulator({ seed: args.seed, network: { loss: args.loss }, lifeguard: args.lifeguard });
  const names = Array.from({ length: n }, (_, i) => `n${i}`);
  for (const name of names) await sim.addNode(name);
  for (let i = 1; i < n; i++) sim.at((i * 2000) / n, () => sim.join(names[i]!, 'n0'));
  const bandwidth = new BandwidthTrace(sim, n);
  const sample = (): void => bandwidth.record();

  const convergedOk = await runWithProgress(sim, 'joining', 300_000, () => sim.allSee(n), sample);
  const convergedMs = convergedOk ? sim.now : undefined;

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
  await sim.runFor(10_000);
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
    `hearsay simulate --nodes ${n} --loss ${args.loss} --seed ${args.seed}${args.lifeguard ? '' : ' --no-lifeguard'}`,
  );
  writeFileSync(args.out, svg);
  return result;
}

/** Formats a result as the summary table the CLI prints. */
export function formatResult(args: SimulateArgs, r: SimulateResult): string {
  const ms = (v: number | undefined): string => (v === undefined ? 'not reached' : `${(v / 1000).toFixed(2)} s`);
  const rows: [string, string][] = [
    ['nodes', String(args.nodes)],
    ['packet loss', `${(args.loss * 100).toFixed(1)} %`],
    ['seed', String(args.seed)],
    ['lifeguard', args.lifeguard ? 'on' : 'off'],
    ['join → all see all (virtual)', ms(r.convergedMs)],
    ['update → 99.9 % informed', ms(r.updateAll999Ms)],
    ['update → 100 % informed', ms(r.updateAllMs)],
    ['crash → fail, median', ms(quantile(r.detectionMs, 0.5))],
    ['crash → fail, p99', ms(quantile(r.detectionMs, 0.99))],
    ['crash → fail, last', ms(r.detectionMs.at(-1))],
    ['false failures', String(r.falseFailures)],
    ['bytes / node / s (steady)', r.bytesPerNodePerSec.toFixed(0)],
    ['packets / node / s (steady)', r.packetsPerNodePerSec.toFixed(1)],
    ['simulated time', `${(r.simulatedMs / 1000).toFixed(1)} s`],
    ['wall time', `${(r.wallMs / 1000).toFixed(1)} s`],
    ['speed (simulated s / wall s)', (r.simulatedMs / r.wallMs).toFixed(2)],
    ['chart', args.out],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
