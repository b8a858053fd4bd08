/**
 * Steady state: bandwidth per node by message type, simulator speed, and heap per member entry.
 *
 * One run: `n` nodes, converged either by `bootstrapConverged` (default) or by a real join storm
 * (`mode: 'join'`, the check that the bootstrap is honest), then run to `windowStartMs` (90 s
 * virtual), then measured over one push/pull period (`pushPullScale(30 s, n)`): every node starts
 * its first push/pull 30–60 s after boot and then one per period, so that window holds exactly one
 * push/pull per node — the long-run average. Traffic is payload bytes (no UDP/TCP/IP headers);
 * push/pull streams count request and reply at their encoded size.
 *
 * Heap: after a full GC (the child runs with --expose-gc); the event log is off (`recordLog: false`).
 * "Per entry" = (heap at window start − heap with n started, unjoined nodes) / n².
 */
import { loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { pushPullScale } from '../src/core/push-pull.js';
import { lan } from '../src/options.js';
import { heapUsed, trafficRate, trafficSample, type TrafficRate } from '../src/testing/observer.js';
import { Simulator } from '../src/testing/simulator.js';
import { fix, int, joinStorm, nodeNames, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

export interface SteadyParams {
  readonly n: number;
  readonly mode?: 'bootstrap' | 'join';
  /** Virtual ms before the window (default 90 s). */
  readonly windowStartMs?: number;
  /** Window length, virtual ms (default: one push/pull period). */
  readonly windowMs?: number;
  /** Write a CPU profile of the window to this path and report its top self-time functions. */
  readonly profile?: string;
  readonly seed?: number;
  /**
   * Digest push/pull between the nodes (`digestPushPull`, default true); `false` is the full
   * push/pull baseline, memberlist's exchange, for the comparison in the same run.
   */
  readonly digest?: boolean;
}

export interface ProfileEntry {
  readonly fn: string;
  readonly file: string;
  readonly ms: number;
  readonly pct: number;
  /** The caller with the largest share of this self time, and that share (%). */
  readonly caller: string;
  readonly callerPct: number;
}

export interface SteadyResult {
  readonly n: number;
  /** Digest push/pull on; undefined in runs from before it existed (full push/pull). */
  readonly digest?: boolean;
  readonly mode: 'bootstrap' | 'join';
  /** Wall seconds to build the converged cluster (addNode + bootstrap, or the join storm). */
  readonly convergeWallSeconds: number;
  /** Virtual ms at which every node saw everyone (join mode). */
  readonly convergedAtMs: number | undefined;
  /** Heap of one started, unjoined node (its core, timers, bookkeeping), bytes. */
  readonly heapPerNodeBase: number;
  /** Heap per member-table entry at steady state, bytes. */
  readonly heapPerEntry: number;
  /** Heap of the whole simulation at window start, bytes. */
  readonly heapTotal: number;
  readonly rssBytes: number;
  readonly warmupMs: number;
  readonly warmupWallSeconds: number;
  readonly windowMs: number;
  /** Wall seconds of the bandwidth window (byte counting on). */
  readonly bandwidthWallSeconds: number;
  /** Wall seconds of the speed window (the next period, byte counting off). */
  readonly windowWallSeconds: number;
  /** CPU seconds (user + system, all threads: GC helpers included) over the window. */
  readonly windowCpuSeconds: number;
  readonly traffic: TrafficRate;
  readonly loadavg: number[];
  readonly profileTop?: ProfileEntry[];
}

export async function runSteady(p: SteadyParams): Promise<SteadyResult> {
  const mode = p.mode ?? 'bootstrap';
  const digest = p.digest ?? true;
  setProgressLabel(`steady N=${p.n} ${mode}${digest ? '' : ' full push/pull'}${p.profile ? ' (profiling)' : ''}`);
  const heap0 = heapUsed();
  let wall = stopwatch();
  const sim = new Simulator({ seed: p.seed ?? 1, recordLog: false, node: { digestPushPull: digest } });
  for (const name of nodeNames(p.n)) await sim.addNode(name);
  const heap1 = heapUsed();
  wall = stopwatch();
  let convergedAtMs: number | undefined;
  if (mode === 'bootstrap') {
    sim.bootstrapConverged();
  } else {
    await joinStorm(sim, p.n, (ms) => progress(`joining: ${(ms / 1000).toFixed(0)} s simulated`));
    convergedAtMs = sim.now;
  }
  const convergeWallSeconds = wall();
  progress(`converged in ${convergeWallSeconds.toFixed(1)} s wall`, true);

  const windowStartMs = p.windowStartMs ?? 90_000;
  const windowMs = p.windowMs ?? pushPullScale(lan().pushPullIntervalMs, p.n);
  const warmupMs = windowStartMs - sim.now;
  wall = stopwatch();
  while (sim.now < windowStartMs) {
    await sim.runFor(Math.min(10_000, windowStartMs - sim.now));
    progress(`warm-up: ${(sim.now / 1000).toFixed(0)} s simulated`);
  }
  const warmupWallSeconds = wall();
  const heapAtWindow = heapUsed();
  const rssBytes = process.memoryUsage().rss;
  progress(`heap ${(heapAtWindow / 1e6).toFixed(0)} MB at window start; measuring ${windowMs / 1000} s`, true);

  // Window 1: bandwidth (streams counted at their encoded size).
  const before = trafficSample(sim);
  wall = stopwatch();
  const end1 = sim.now + windowMs;
  while (sim.now < end1) {
    await sim.runFor(Math.min(10_000, end1 - sim.now));
    progress(`bandwidth window: ${(sim.now / 1000).toFixed(0)} s simulated`);
  }
  const bandwidthWallSeconds = wall();
  const traffic = trafficRate(before, trafficSample(sim), p.n);

  // Window 2, the next push/pull period: speed, and the profile if asked for.
  const session = p.profile ? await startProfile() : undefined;
  const load = loadavg();
  const cpu0 = process.cpuUsage();
  wall = stopwatch();
  const end2 = sim.now + windowMs;
  while (sim.now < end2) {
    await sim.runFor(Math.min(10_000, end2 - sim.now));
    progress(`speed window: ${(sim.now / 1000).toFixed(0)} s simulated`);
  }
  const windowWallSeconds = wall();
  const cpu1 = process.cpuUsage(cpu0);
  const windowCpuSeconds = (cpu1.user + cpu1.system) / 1e6;
  const profileTop = session ? await stopProfile(session, p.profile!) : undefined;
  return {
    n: p.n,
    digest,
    mode,
    convergeWallSeconds,
    convergedAtMs,
    heapPerNodeBase: (heap1 - heap0) / p.n,
    heapPerEntry: (heapAtWindow - heap1) / (p.n * p.n),
    heapTotal: heapAtWindow - heap0,
    rssBytes,
    warmupMs,
    warmupWallSeconds,
    windowMs,
    bandwidthWallSeconds,
    windowWallSeconds,
    windowCpuSeconds,
    traffic,
    loadavg: load,
    ...(profileTop ? { profileTop } : {}),
  };
}

// ---- CPU profile of the window (node:inspector, so warm-up and bootstrap stay out of it) ----

interface InspectorSession {
  connect(): void;
  post(method: string, params?: object): Promise<unknown>;
  disconnect(): void;
}

async function startProfile(): Promise<InspectorSession> {
  const { Session } = (await import('node:inspector/promises')) as unknown as { Session: new () => InspectorSession };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return session;
}

interface CpuProfile {
  readonly nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  readonly samples: number[];
  readonly timeDeltas: number[];
}

async function stopProfile(session: InspectorSession, path: string): Promise<ProfileEntry[]> {
  const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
  session.disconnect();
  writeFileSync(path, JSON.stringify(profile));
  return topSelfTime(profile, 20);
}

/** Self time per function (name + file), largest first, with the caller that accounts for most of it. Sample i lasts until sample i + 1. */
export function topSelfTime(profile: CpuProfile, count: number): ProfileEntry[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const callers = new Map<string, Map<string, number>>();
  let total = 0;
  for (let i = 0; i < profile.samples.length - 1; i++) {
    const id = profile.samples[i]!;
    const node = byId.get(id);
    const us = profile.timeDeltas[i + 1] ?? 0;
    if (node === undefined) continue;
    const { functionName, url } = node.callFrame;
    const file = url.replace(/^file:\/\//, '').replace(/^.*?\/(src|bench|node_modules)\//, '$1/');
    const key = `${functionName || '(anonymous)'}\t${file}`;
    self.set(key, (self.get(key) ?? 0) + us);
    const p = byId.get(parent.get(id) ?? -1)?.callFrame.functionName || '(root)';
    const c = callers.get(key) ?? new Map<string, number>();
    c.set(p, (c.get(p) ?? 0) + us);
    callers.set(key, c);
    total += us;
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([k, us]) => {
      const [fn, file] = k.split('\t') as [string, string];
      const [caller, callerUs] = [...(callers.get(k) ?? new Map<string, number>())].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
      return { fn, file, ms: us / 1000, pct: (100 * us) / total, caller, callerPct: us > 0 ? (100 * callerUs) / us : 0 };
    });
}

// ---- rendering ---------------------------------------------------------------------------------

const TYPE_LABELS: Record<string, string> = {
  ping: 'ping (UDP)',
  ack: 'ack (UDP)',
  'indirect-ping': 'indirect ping (UDP)',
  nack: 'nack (UDP)',
  compound: 'compound: ping/ack + piggybacked gossip, or gossip (UDP)',
  alive: 'alive (UDP, alone)',
  suspect: 'suspect (UDP, alone)',
  dead: 'dead (UDP, alone)',
  'stream:push-pull': 'push/pull request + reply (TCP)',
  'stream:digest-push-pull': 'digest push/pull: request + reply (+ entries) (TCP)',
  'stream:ping': 'fallback ping (TCP)',
  'stream:ack': 'fallback ack (TCP)',
};

/** Which push/pull a run used, for labels: empty for runs from before digest push/pull existed. */
export function pushPullLabel(r: SteadyResult): string {
  return r.digest === undefined ? '' : r.digest ? ' digest' : ' full push/pull';
}

/** Bandwidth: one column pair per run, one row per message type. */
export function renderBandwidth(results: readonly SteadyResult[]): string {
  const types = [...new Set(results.flatMap((r) => Object.keys(r.traffic.byType)))].sort(
    (a, b) => Math.max(...results.map((r) => r.traffic.byType[b]?.bytesPerNodePerSec ?? 0)) - Math.max(...results.map((r) => r.traffic.byType[a]?.bytesPerNodePerSec ?? 0)),
  );
  const header = ['message type', ...results.flatMap((r) => [`N = ${int(r.n)}${pushPullLabel(r)}: packets / node / s`, `N = ${int(r.n)}${pushPullLabel(r)}: bytes / node / s`])];
  const rows = types.map((t) => [
    TYPE_LABELS[t] ?? t,
    ...results.flatMap((r) => {
      const v = r.traffic.byType[t];
      return v === undefined ? ['0', '0'] : [fix(v.packetsPerNodePerSec, 3), fix(v.bytesPerNodePerSec, 1)];
    }),
  ]);
  rows.push([
    '**total**',
    ...results.flatMap((r) => [`**${fix(r.traffic.packetsPerNodePerSec, 2)}**`, `**${fix(r.traffic.bytesPerNodePerSec, 0)}**`]),
  ]);
  rows.push(['window (virtual s)', ...results.flatMap((r) => [`${fix(r.windowMs / 1000, 0)} s after ${fix(r.warmupMs / 1000 + (r.convergedAtMs ?? 0) / 1000, 0)} s`, ''])]);
  return table(header, 'l' + 'r'.repeat(header.length - 1), rows);
}

/** Bytes as kB / MB / GB with 3 significant digits. */
const size = (b: number): string => (b < 1e6 ? `${(b / 1e3).toPrecision(3)} kB` : b < 1e9 ? `${(b / 1e6).toPrecision(3)} MB` : `${(b / 1e9).toPrecision(3)} GB`);

/** Simulator speed and memory, one row per run. */
export function renderSpeed(results: readonly SteadyResult[]): string {
  const rows = results.map((r) => [
    `${int(r.n)}${pushPullLabel(r)}`,
    r.mode === 'bootstrap' ? '`bootstrapConverged`' : `join storm (all see all at ${fix((r.convergedAtMs ?? 0) / 1000, 1)} s virtual)`,
    fix(r.convergeWallSeconds, 1),
    int(r.heapPerEntry),
    fix(r.heapPerNodeBase / 1024, 1),
    size(r.heapPerEntry * r.n + r.heapPerNodeBase),
    size(r.heapTotal),
    fix(r.warmupMs / 1000 / r.warmupWallSeconds, 2),
    `**${fix(r.windowMs / 1000 / r.windowWallSeconds, 2)}** (${fix(r.windowMs / 1000, 0)} s in ${fix(r.windowWallSeconds, 1)} s)`,
    fix(r.windowMs / 1000 / r.windowCpuSeconds, 2),
    r.loadavg.map((x) => x.toFixed(1)).join(' '),
  ]);
  return table(
    ['N', 'converged by', 'converge wall s', 'heap / member entry, B', 'heap / idle node, KiB', 'heap / core (N entries + node)', 'heap, whole sim', 'speed, first 90 s (sim s / wall s)', 'speed, steady window (sim s / wall s)', 'steady window: sim s / CPU s', 'load avg at window (1/5/15 min)'],
    'rlrrrrrrrrl',
    rows,
  );
}

/** The bootstrap check: bootstrap and join-storm runs of the same N side by side. */
export function renderBootstrapCheck(results: readonly SteadyResult[]): string {
  const ns = [...new Set(results.filter((r) => r.mode === 'join').map((r) => r.n))];
  const rows: string[][] = [];
  for (const n of ns) {
    for (const r of results.filter((x) => x.n === n)) {
      rows.push([
        int(n),
        r.mode === 'join' ? `join storm (all see all at ${fix((r.convergedAtMs ?? 0) / 1000, 1)} s)` : '`bootstrapConverged`',
        fix(r.traffic.packetsPerNodePerSec, 4),
        fix(r.traffic.bytesPerNodePerSec, 2),
        fix(r.traffic.byType['stream:push-pull']?.bytesPerNodePerSec ?? 0, 2),
        int(r.heapPerEntry),
        fix(r.convergeWallSeconds, 1),
      ]);
    }
  }
  return table(['N', 'converged by', 'packets / node / s', 'bytes / node / s', 'of which push/pull', 'heap / entry, B', 'converge wall s'], 'rlrrrrr', rows);
}

/** The profile of one run as a table. */
export function renderProfile(r: SteadyResult): string {
  return table(
    ['self time', '%', 'function', 'file', 'mostly called from'],
    'rrlll',
    (r.profileTop ?? []).map((e) => [`${int(e.ms)} ms`, fix(e.pct, 1), `\`${e.fn}\``, e.file, e.caller ? `\`${e.caller}\` (${fix(e.callerPct, 0)} %)` : '']),
  );
}

runIfMain(import.meta.url, runSteady);
