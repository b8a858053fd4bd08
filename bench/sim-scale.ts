/**
 * Scale (issue 12): one converged cluster of `n` nodes per run, measured in this order —
 *
 * 1. memory: heap per member entry and per node (after a full GC; the child runs with --expose-gc);
 * 2. traffic and speed: after `warmupMs`, bytes and packets per node per second by message type
 *    over one push/pull period (every node does one push/pull in it), and simulated seconds per
 *    wall and per CPU second over the same window;
 * 3. dissemination: `updates` metadata updates from different nodes, one after the other, each
 *    until every node has it (or 60 s) and then 10 s of quiet: time and gossip rounds to 99.9 % and
 *    100 % of the nodes (`UpdateSpread`);
 * 4. detection: `crashes` crashes one at a time: crash → first `suspect` anywhere, and → `fail` at
 *    every survivor (`CrashDetection`), then 5 s of quiet;
 * 5. false deaths: 10 % loss on every datagram while 1 % of the nodes stall 2–5 s again and again
 *    (`pauseRepeatedly`) for `stallMs`, then 30 s more; `fail` events about members that never
 *    crashed, stalled and healthy apart (`FalseFailures`).
 *
 * `pushPull: 'full'` runs the same cluster with the digest push/pull off (every periodic exchange
 * ships the whole table: memberlist's), for traffic and speed only (steps 1–2). Progress on stderr;
 * the result is one JSON line on stdout (see sim-common.ts `runIfMain`).
 */
import { loadavg } from 'node:os';
import { pushPullScale } from '../src/core/push-pull.js';
import { lan, type HearsayOptions } from '../src/options.js';
import { CrashDetection, FalseFailures, heapUsed, pauseRepeatedly, quantile, sorted, trafficRate, trafficSample, UpdateSpread, type TrafficRate } from '../src/testing/observer.js';
import { Simulator } from '../src/testing/simulator.js';
import { fix, int, nodeNames, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

/** Ms as seconds, or "not reached". */
const secs = (ms: number | undefined): string => (ms === undefined ? 'not reached' : `${(ms / 1000).toFixed(2)} s`);

export interface ScaleParams {
  readonly n: number;
  /** Periodic push/pull between hearsay nodes: the digest exchange (default) or the whole table (memberlist's). */
  readonly pushPull?: 'digest' | 'full';
  readonly seed?: number;
  /** Virtual ms of steady state before the traffic window (default 90 s: every first push/pull is done). */
  readonly warmupMs?: number;
  /** Traffic window, virtual ms (default one push/pull period). */
  readonly windowMs?: number;
  readonly updates?: number;
  readonly crashes?: number;
  /** How long 1 % of the nodes keep stalling under 10 % loss, virtual ms (0: skip). */
  readonly stallMs?: number;
}

export interface ScaleResult extends Required<ScaleParams> {
  readonly formWallSeconds: number;
  readonly heapPerEntry: number;
  readonly heapPerNode: number;
  readonly heapTotal: number;
  readonly traffic: TrafficRate;
  readonly windowWallSeconds: number;
  readonly windowCpuSeconds: number;
  readonly loadavg: readonly number[];
  /** Per update, ms to 99.9 % and 100 % of the nodes (`null`: not within 60 s). */
  readonly update999: (number | null)[];
  readonly update100: (number | null)[];
  /** Per crash, ms to the first suspect and to `fail` at every survivor. */
  readonly firstSuspect: (number | null)[];
  readonly allFail: (number | null)[];
  readonly falseFailsHealthy: number;
  readonly falseFailsStalled: number;
  readonly falseSuspectsHealthy: number;
  readonly stalledNodes: number;
  readonly simulatedSeconds: number;
  readonly wallSeconds: number;
}

/** Options of every node for a push/pull mode (`digestPushPull` is the digest option once present). */
function nodeOptions(mode: 'digest' | 'full'): Partial<HearsayOptions> {
  return mode === 'full' ? ({ digestPushPull: false } as Partial<HearsayOptions>) : {};
}

/** Runs virtual time to `until` in slices, with a progress line. */
async function runTo(sim: Simulator, until: number, what: string): Promise<void> {
  while (sim.now < until) {
    await sim.runFor(Math.min(10_000, until - sim.now));
    progress(`${what}: ${(sim.now / 1000).toFixed(0)} s simulated`);
  }
}

export async function runScale(p: ScaleParams): Promise<ScaleResult> {
  const q: Required<ScaleParams> = {
    n: p.n,
    pushPull: p.pushPull ?? 'digest',
    seed: p.seed ?? 1,
    warmupMs: p.warmupMs ?? 90_000,
    windowMs: p.windowMs ?? pushPullScale(lan().pushPullIntervalMs, p.n),
    updates: p.updates ?? 5,
    crashes: p.crashes ?? 3,
    stallMs: p.stallMs ?? 120_000,
  };
  const full = q.pushPull === 'full';
  setProgressLabel(`scale N=${q.n} ${q.pushPull}`);
  const wall = stopwatch();
  const heap0 = heapUsed();
  const sim = new Simulator({ seed: q.seed, recordLog: false, node: nodeOptions(q.pushPull) });
  const names = nodeNames(q.n);
  for (const name of names) await sim.addNode(name);
  const heap1 = heapUsed();
  sim.bootstrapConverged();
  const formWallSeconds = wall();
  progress(`converged in ${fix(formWallSeconds, 1)} s wall`, true);

  await runTo(sim, q.warmupMs, 'warm-up');
  const heapAtWindow = heapUsed();
  progress(`heap ${fix(heapAtWindow / 2 ** 30, 2)} GiB at window start; window ${q.windowMs / 1000} s`, true);

  // Traffic and speed over one push/pull period.
  const before = trafficSample(sim);
  const load = loadavg();
  const cpu0 = process.cpuUsage();
  const windowWall = stopwatch();
  await runTo(sim, sim.now + q.windowMs, 'traffic window');
  const windowWallSeconds = windowWall();
  const cpu = process.cpuUsage(cpu0);
  const traffic = trafficRate(before, trafficSample(sim), q.n);

  const update999: (number | null)[] = [];
  const update100: (number | null)[] = [];
  const firstSuspect: (number | null)[] = [];
  const allFail: (number | null)[] = [];
  let falseFailsHealthy = 0;
  let falseFailsStalled = 0;
  let falseSuspectsHealthy = 0;
  let stalledNodes = 0;
  if (!full) {
    // Dissemination: updates from nodes spread over the name space.
    for (let u = 0; u < q.updates; u++) {
      const origin = names[1 + Math.floor((u * (q.n - 1)) / q.updates)]!;
      const spread = new UpdateSpread(sim, origin, q.n);
      sim.setMetadata(origin, { update: String(u) });
      await sim.runUntil(() => spread.done(), 60_000, 10);
      spread.stop();
      update999.push(spread.timeTo(0.999) ?? null);
      update100.push(spread.timeTo(1) ?? null);
      progress(`update ${u + 1}/${q.updates}: 100 % after ${secs(spread.timeTo(1))}`, true);
      await sim.runFor(10_000);
    }
    // Detection: crashes one at a time, never n0 or an update origin.
    const victims: string[] = [];
    for (let c = 0; c < q.crashes; c++) {
      const victim = names[Math.floor(((c + 0.5) * (q.n - 1)) / q.crashes) + 1]!;
      victims.push(victim);
      const watch = new CrashDetection(sim, [victim]);
      await sim.runUntil(() => watch.done(), 300_000, 50);
      watch.stop();
      const [r] = watch.results();
      firstSuspect.push(r?.firstSuspectMs ?? null);
      allFail.push(r?.allFailMs ?? null);
      progress(`crash ${c + 1}/${q.crashes}: suspected after ${secs(r?.firstSuspectMs)}, failed by all after ${secs(r?.allFailMs)}`, true);
      await sim.runFor(5_000);
    }
    // False deaths: 10 % loss, 1 % of the survivors stalling again and again.
    if (q.stallMs > 0) {
      const crashed = new Set(victims);
      const alive = names.filter((x) => !crashed.has(x));
      stalledNodes = Math.max(1, Math.round(q.n / 100));
      const stalled = alive.filter((_, i) => i % Math.floor(alive.length / stalledNodes) === 1).slice(0, stalledNodes);
      const stalledSet = new Set(stalled);
      const watch = new FalseFailures(sim, { healthy: alive.filter((x) => !stalledSet.has(x)), stalled });
      sim.network.faults = { ...sim.network.faults, loss: 0.1 };
      pauseRepeatedly(sim, stalled, sim.now + q.stallMs, q.seed);
      await runTo(sim, sim.now + q.stallMs + 30_000, 'stalls under 10 % loss');
      watch.stop();
      falseFailsHealthy = watch.fails.healthy!;
      falseFailsStalled = watch.fails.stalled!;
      falseSuspectsHealthy = watch.suspects.healthy!;
    }
  }
  return {
    ...q,
    formWallSeconds,
    heapPerEntry: (heapAtWindow - heap1) / (q.n * q.n),
    heapPerNode: (heap1 - heap0) / q.n,
    heapTotal: heapAtWindow - heap0,
    traffic,
    windowWallSeconds,
    windowCpuSeconds: (cpu.user + cpu.system) / 1e6,
    loadavg: load,
    update999,
    update100,
    firstSuspect,
    allFail,
    falseFailsHealthy,
    falseFailsStalled,
    falseSuspectsHealthy,
    stalledNodes,
    simulatedSeconds: sim.now / 1000,
    wallSeconds: wall(),
  };
}

// ---- rendering -----------------------------------------------------------------------------------

const median = (xs: readonly (number | null)[]): number | undefined => quantile(sorted(xs.filter((x): x is number => x !== null)), 0.5);
const missed = (xs: readonly (number | null)[]): string => {
  const m = xs.filter((x) => x === null).length;
  return m > 0 ? ` (${m} of ${xs.length} not reached)` : '';
};

/** Traffic by message type: one packets and one bytes column per run. */
export function renderScaleTraffic(results: readonly ScaleResult[]): string {
  const types = [...new Set(results.flatMap((r) => Object.keys(r.traffic.byType)))].sort(
    (a, b) => Math.max(...results.map((r) => r.traffic.byType[b]?.bytesPerNodePerSec ?? 0)) - Math.max(...results.map((r) => r.traffic.byType[a]?.bytesPerNodePerSec ?? 0)),
  );
  const head = (r: ScaleResult): string => `N = ${int(r.n)} ${r.pushPull}`;
  const header = ['message type', ...results.flatMap((r) => [`${head(r)}: packets / node / s`, `${head(r)}: bytes / node / s`])];
  const rows = types.map((t) => [t, ...results.flatMap((r) => [fix(r.traffic.byType[t]?.packetsPerNodePerSec ?? 0, 3), fix(r.traffic.byType[t]?.bytesPerNodePerSec ?? 0, 1)])]);
  rows.push(['**total**', ...results.flatMap((r) => [`**${fix(r.traffic.packetsPerNodePerSec, 2)}**`, `**${fix(r.traffic.bytesPerNodePerSec, 0)}**`])]);
  return table(header, 'l' + 'r'.repeat(header.length - 1), rows);
}

/** Everything else: one row per run. */
export function renderScale(results: readonly ScaleResult[]): string {
  const g = lan().gossipIntervalMs;
  const rounds = (ms: number | undefined): string => (ms === undefined ? '—' : `${fix(ms / g, 1)} (${fix(ms / 1000, 2)} s)`);
  const rows = results.map((r) => {
    const digest = r.pushPull === 'digest';
    return [
      int(r.n),
      r.pushPull,
      `${fix(r.heapPerEntry, 0)} B / ${fix(r.heapPerNode / 1024, 1)} KiB / ${fix(r.heapTotal / 2 ** 30, 2)} GiB`,
      `${fix(r.windowMs / 1000 / r.windowWallSeconds, 2)} / ${fix(r.windowMs / 1000 / r.windowCpuSeconds, 2)} (load ${r.loadavg.map((x) => x.toFixed(1)).join(' ')})`,
      digest ? rounds(median(r.update999)) + missed(r.update999) : '',
      digest ? rounds(median(r.update100)) + missed(r.update100) : '',
      digest ? secs(median(r.firstSuspect)) : '',
      digest ? secs(median(r.allFail)) + missed(r.allFail) : '',
      digest && r.stallMs > 0 ? `${r.falseFailsHealthy} (stalled: ${r.falseFailsStalled})` : '',
      `${fix(r.formWallSeconds, 0)} s + ${fix(r.wallSeconds - r.formWallSeconds, 0)} s for ${fix(r.simulatedSeconds, 0)} sim s`,
    ];
  });
  return table(
    ['N', 'push/pull', 'heap: per entry / per node / whole sim', 'speed over the window: sim s per wall s / per CPU s', 'update → 99.9 %: rounds (s), median', 'update → 100 %: rounds (s), median', 'crash → first suspect, median', 'crash → failed by all, median', 'false deaths of healthy nodes (1 % stalled, 10 % loss)', 'wall: forming + running'],
    'rlrrrrrrrl',
    rows,
  );
}

runIfMain(import.meta.url, runScale);
