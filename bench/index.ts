/**
 * `npm run bench`: the simulation benchmark suite — dissemination, failure detection, false
 * positives, bandwidth, simulator speed and memory, and a CPU profile of the core at steady state —
 * on the deterministic virtual-time simulator (src/testing/simulator.ts).
 *
 * Every measurement runs in its own child process (`node --expose-gc --import tsx bench/sim-*.ts
 * --json '{…}'`), so heap figures are clean and a big heap is gone before the next run. Figures
 * that depend only on virtual time (all but speed and the profile) are deterministic per seed, so
 * up to `--jobs` (default 2) of them run side by side; the wall-clock runs (steady state, profile)
 * run alone, at the end.
 *
 * Flags:
 *   --quick             a fast subset (N ≤ 1,000, fewer samples, ~1–2 min); prints, does not write
 *                       BENCHMARKS.md unless --write
 *   --only a,b          groups: dissemination, detection, false-positives, state, steady (= bandwidth +
 *                       speed), profile, scale (not in the default run)
 *   --n 1000,3000       scale: the cluster sizes (default 1000,3000; 10000 needs ~16 GiB of heap).
 *                       Each size runs twice, digest push/pull and the full push/pull baseline; the
 *                       scale tables are printed, never written to BENCHMARKS.md
 *   --steady-n 3000     steady-state runs at these N instead of the default list (merged into
 *                       the recorded rows; e.g. a one-off large-N speed run)
 *   --jobs 2            deterministic runs in parallel
 *   --write / --no-write
 *
 * Results are kept in bench/sim-results.json (each with the command, Node version, CPU and date
 * that produced it) and the `## Simulation: …` sections of BENCHMARKS.md are rendered from it; the
 * Codec section and anything else in the file are left as they are.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeSections } from './doc-sections.js';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { lan } from '../src/options.js';
import { renderDetection, type DetectionParams, type DetectionResult } from './sim-detection.js';
import { pushBound, pushPullBound, renderDissemination, type DisseminationParams, type DisseminationResult } from './sim-dissemination.js';
import { renderFalsePositives, type FalsePositiveParams, type FalsePositiveResult } from './sim-false-positives.js';
import { renderPartitionHeal, type PartitionHealParams, type PartitionHealResult } from './sim-partition-heal.js';
import { renderState, type StateBenchParams, type StateBenchResult } from './sim-state.js';
import { renderScale, renderScaleTraffic, type ScaleParams, type ScaleResult } from './sim-scale.js';
import { renderBandwidth, renderBootstrapCheck, renderProfile, renderSpeed, type SteadyParams, type SteadyResult } from './sim-steady.js';
import { fix, int } from './sim-common.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = new URL('./sim-results.json', import.meta.url);
const DOC = new URL('../BENCHMARKS.md', import.meta.url);
const PROFILE_DIR = fileURLToPath(new URL('./.profiles/', import.meta.url));

type Group = 'dissemination' | 'detection' | 'false-positives' | 'partition-heal' | 'steady' | 'profile' | 'state' | 'scale';
const GROUPS: readonly Group[] = ['dissemination', 'detection', 'false-positives', 'partition-heal', 'steady', 'profile', 'state', 'scale'];

interface Task {
  readonly id: string;
  readonly group: Group;
  readonly script: string;
  readonly params: object;
  /** Runs alone (wall-clock figures). */
  readonly exclusive: boolean;
  /** Heap ceiling for the child, MB. */
  readonly heapMb: number;
  /** Killed after this long, s. */
  readonly timeoutS: number;
  /** Produced by a non-default flag (kept when the default set of its group is re-run). */
  readonly extra: boolean;
}

interface Meta {
  readonly command: string;
  readonly node: string;
  readonly cpu: string;
  readonly date: string;
}

interface Stored {
  readonly id: string;
  readonly group: Group;
  readonly extra: boolean;
  readonly meta: Meta;
  readonly wallSeconds: number;
  readonly result: unknown;
}

// ---- arguments -----------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name: string): boolean => argv.includes(`--${name}`);
const option = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const quick = flag('quick');
const only = option('only')?.split(',') as Group[] | undefined;
for (const g of only ?? []) if (!GROUPS.includes(g)) throw new Error(`unknown group ${g}; groups: ${GROUPS.join(', ')}`);
const steadyN = option('steady-n')?.split(',').map(Number);
const scaleN = option('n')?.split(',').map(Number);
const jobs = Math.max(1, Number(option('jobs') ?? 2));
const write = flag('write') || (!quick && !flag('no-write'));
const command = `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`;

// ---- the task list -------------------------------------------------------------------------------

function task(group: Group, script: string, params: object, o: { exclusive?: boolean; heapMb?: number; timeoutS?: number; extra?: boolean } = {}): Task {
  return {
    id: `${group}:${JSON.stringify(params)}`,
    group,
    script,
    params,
    exclusive: o.exclusive ?? false,
    heapMb: o.heapMb ?? 8192,
    timeoutS: o.timeoutS ?? 600,
    extra: o.extra ?? false,
  };
}

function tasks(): Task[] {
  const out: Task[] = [];
  const want = (g: Group): boolean => only === undefined || only.includes(g);
  if (want('dissemination')) {
    for (const [n, updates] of (quick ? [[100, 10]] : [[100, 30], [1000, 20]]) as [number, number][]) {
      for (const loss of [0, 0.1]) out.push(task('dissemination', 'sim-dissemination.ts', { n, loss, updates } satisfies DisseminationParams));
    }
  }
  if (want('detection')) {
    const runs = quick ? [{ n: 100, seeds: 2, crashes: 5 }] : [{ n: 100, seeds: 10, crashes: 5 }, { n: 1000, seeds: 1, crashes: 50 }];
    for (const p of runs) out.push(task('detection', 'sim-detection.ts', p satisfies DetectionParams));
  }
  if (want('false-positives')) {
    const sizes = (quick ? [[30, 1]] : [[30, 3], [100, 1]]) as [number, number][];
    const stalls = quick ? [0, 0.2] : [0, 0.1, 0.2];
    for (const [n, seeds] of sizes) {
      for (const stall of stalls) {
        for (const loss of [0, 0.1]) {
          for (const lifeguard of [true, false]) out.push(task('false-positives', 'sim-false-positives.ts', { n, stall, loss, lifeguard, seeds } satisfies FalsePositiveParams));
        }
      }
    }
  }
  if (want('partition-heal')) {
    out.push(task('partition-heal', 'sim-partition-heal.ts', { seeds: quick ? 3 : 10, harder: !quick, detectionSeeds: quick ? 0 : 10 } satisfies PartitionHealParams, { timeoutS: 3600 }));
  }
  if (want('steady')) {
    const sizes = steadyN ?? (quick ? [100, 1000] : [100, 1000, 2000]);
    for (const n of sizes) {
      // Digest push/pull (the default) and the full push/pull baseline, memberlist's, in the same run.
      for (const digest of [true, false]) {
        const params: SteadyParams = quick ? { n, windowMs: 30_000, ...(digest ? {} : { digest }) } : { n, ...(digest ? {} : { digest }) };
        out.push(task('steady', 'sim-steady.ts', params, { exclusive: true, heapMb: n >= 2000 ? 20_000 : 8192, timeoutS: n >= 3000 ? 1800 : 900, extra: steadyN !== undefined }));
      }
    }
    // The honesty check of bootstrapConverged: the same measurement after a real join storm.
    if (steadyN === undefined) {
      for (const n of quick ? [100] : [100, 1000]) out.push(task('steady', 'sim-steady.ts', { n, mode: 'join' } satisfies SteadyParams, { exclusive: true }));
    }
  }
  if (want('state')) {
    out.push(task('state', 'sim-state.ts', { mode: 'propagation', n: quick ? 100 : 1000, loss: 0.1, writes: quick ? 5 : 20 } satisfies StateBenchParams, { timeoutS: 3600 }));
    out.push(task('state', 'sim-state.ts', { mode: 'events', n: quick ? 100 : 1000, loss: 0.1, writes: 50 } satisfies StateBenchParams, { timeoutS: 3600 }));
    for (const n of quick ? [100] : [100, 1000, 3000]) {
      out.push(task('state', 'sim-state.ts', { mode: 'anti-entropy', n, keys: 100, windowMs: n >= 3000 ? 10_000 : 30_000, settleMs: n >= 3000 ? 5_000 : 30_000 } satisfies StateBenchParams, { exclusive: n >= 3000, heapMb: n >= 3000 ? 20_000 : 8192, timeoutS: 3600 }));
    }
    out.push(task('state', 'sim-state.ts', { mode: 'churn', n: 8, ops: quick ? 20_000 : 100_000, checkpoint: quick ? 5_000 : 20_000 } satisfies StateBenchParams, { timeoutS: 3600 }));
  }
  // Scale runs only when asked for (`--only scale`): the largest needs ~16 GiB and most of an hour.
  if (only?.includes('scale')) {
    for (const n of scaleN ?? [1000, 3000]) {
      const big = { exclusive: true, heapMb: n >= 5000 ? 16_384 : 8192, timeoutS: n >= 5000 ? 7200 : 3600 };
      out.push(task('scale', 'sim-scale.ts', { n } satisfies ScaleParams, big));
      out.push(task('scale', 'sim-scale.ts', { n, pushPull: 'full' } satisfies ScaleParams, big));
    }
  }
  if (want('profile') && !quick) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    out.push(task('profile', 'sim-steady.ts', { n: 1000, profile: `${PROFILE_DIR}sim-steady-n1000.cpuprofile` } satisfies SteadyParams, { exclusive: true }));
  }
  return out;
}

// ---- running -------------------------------------------------------------------------------------

function runTask(t: Task, label: string): Promise<{ result: unknown; wallSeconds: number }> {
  const started = performance.now();
  process.stderr.write(`${label} ${t.id} …\n`);
  const args = ['--expose-gc', '--max-semi-space-size=64', `--max-old-space-size=${t.heapMb}`, '--import', 'tsx', `bench/${t.script}`, '--json', JSON.stringify(t.params)];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => process.stderr.write(d.replace(/^npm warn.*\n/gm, '')));
  const timer = setTimeout(() => {
    process.stderr.write(`${label} ${t.id}: no result after ${t.timeoutS} s, killing it\n`);
    child.kill('SIGKILL');
  }, t.timeoutS * 1000);
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const wallSeconds = (performance.now() - started) / 1000;
      const last = stdout.trim().split('\n').at(-1);
      if (code !== 0 || last === undefined || last === '') {
        reject(new Error(`${t.id} failed (exit ${code})`));
        return;
      }
      process.stderr.write(`${label} done in ${wallSeconds.toFixed(1)} s\n`);
      resolve({ result: JSON.parse(last), wallSeconds });
    });
  });
}

async function runAll(list: readonly Task[], onDone: (t: Task, r: { result: unknown; wallSeconds: number }) => void): Promise<string[]> {
  const failures: string[] = [];
  let index = 0;
  const label = (): string => `[${++index}/${list.length}]`;
  const parallel = list.filter((t) => !t.exclusive);
  const serial = list.filter((t) => t.exclusive);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < parallel.length) {
      const t = parallel[next++]!;
      try {
        onDone(t, await runTask(t, label()));
      } catch (e) {
        failures.push(String(e));
        process.stderr.write(`${String(e)}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, parallel.length) }, worker));
  for (const t of serial) {
    try {
      onDone(t, await runTask(t, label()));
    } catch (e) {
      failures.push(String(e));
      process.stderr.write(`${String(e)}\n`);
    }
  }
  return failures;
}

// ---- rendering -----------------------------------------------------------------------------------

function metaLine(meta: Meta): string {
  return `\`${meta.command}\` · Node ${meta.node} · ${meta.cpu} · ${meta.date}`;
}

/** "Command: …" for a section's rows; with several provenances, a lettered legend (rows then carry the letter). */
function provenance(rows: readonly Stored[]): { header: string; mark: (s: Stored) => string } {
  const metas = [...new Map(rows.map((r) => [JSON.stringify(r.meta), r.meta])).values()];
  if (metas.length <= 1) return { header: metas[0] ? `Command: ${metaLine(metas[0])}.` : '', mark: () => '' };
  const letter = (m: Meta): string => String.fromCharCode(97 + metas.findIndex((x) => JSON.stringify(x) === JSON.stringify(m)));
  return {
    header: `Commands: ${metas.map((m) => `(${letter(m)}) ${metaLine(m)}`).join('; ')}.`,
    mark: (s) => ` (${letter(s.meta)})`,
  };
}

const wallOf = (rows: readonly Stored[]): string => `${fix(rows.reduce((a, r) => a + r.wallSeconds, 0), 0)} s of child-process wall time`;

function sections(store: readonly Stored[]): Map<string, string> {
  const of = (g: Group): Stored[] => store.filter((s) => s.group === g);
  const out = new Map<string, string>();
  const p = lan();

  const diss = of('dissemination');
  if (diss.length > 0) {
    const { header } = provenance(diss);
    const ns = [...new Set(diss.map((s) => (s.result as DisseminationResult).n))];
    out.set(
      'Simulation: dissemination',
      [
        header + ` ${wallOf(diss)}.`,
        '',
        `One metadata update (\`setMetadata\`: incarnation + 1, an \`alive\` broadcast) and the time until 99.9 % and 100 % of the nodes have emitted its \`update\` event — in simulated seconds and in gossip rounds (÷ gossipIntervalMs = ${p.gossipIntervalMs} ms). ` +
          `Memberlist LAN defaults: every ${p.gossipIntervalMs} ms a node sends its queued broadcasts to ${p.gossipNodes} random members, and piggybacks them on pings and acks too; each message is sent retransmitMult × ⌈log₁₀(N+1)⌉ times (12 at N = 100, 16 at N = 1,000). ` +
          'Per row: a converged cluster (`bootstrapConverged`, seed 1), 30 s of steady state, then one update after the other from different nodes, each followed by 10 s of quiet. Network latency 1–5 ms, loss applied to every datagram (push/pull streams are reliable). At N = 100, 99.9 % is all 100 nodes.',
        '',
        renderDissemination(diss.map((s) => s.result as DisseminationResult)),
        '',
        'Bounds, in synchronous rounds: push–pull rumour spreading (Karp, Schindelhauer, Shenker, Vöcking 2000) needs log₃N + O(ln ln N) rounds — the column is log₃N + ln ln N; ' +
          `push gossip with fanout f needs about log_{f+1} N + ln N / f rounds (Frieze–Grimmett / Pittel for f = 1: log₂N + ln N; the column uses f = ${p.gossipNodes}: log₄N + ln N / 3). ` +
          `For reference: ${ns.map((n) => `N = ${int(n)}: ${fix(pushPullBound(n), 2)} and ${fix(pushBound(n, p.gossipNodes), 2)}`).join('; ')}; N = 10,000: ${fix(pushPullBound(10_000), 2)} and ${fix(pushBound(10_000, p.gossipNodes), 2)}. ` +
          'The measured "rounds" are elapsed time ÷ interval, not synchronous rounds: a node forwards at its own next tick, on average half an interval after it learns (ticks are staggered at random), and probes carry gossip between ticks, so elapsed rounds come out below the synchronous bounds. ' +
          'A node that misses every gossip copy waits for push/pull anti-entropy (every 90 s per node at N = 100, 180 s at N = 1,000); the "push/pull" column counts the nodes whose `update` came from a push/pull merge (some just happen to exchange while the update spreads), and a slow maximum is such a node. ' +
          'N = 10,000 is not run: it does not fit in memory (see the speed section).',
      ].join('\n'),
    );
  }

  const det = of('detection');
  if (det.length > 0) {
    const { header } = provenance(det);
    out.set(
      'Simulation: failure detection',
      [
        header + ` ${wallOf(det)}.`,
        '',
        'A converged cluster (`bootstrapConverged`), 30 s of steady state, then one crash at a time: crash a node (it stops answering at once, and its address refuses connections as a host whose process died does), run until every running node has emitted `fail` for it, wait 5 s, crash the next (so the cluster shrinks by one per crash). ' +
          'Per crash: the first `suspect` anywhere, the first `fail` anywhere, and the `fail` at the last survivor, in seconds after the crash. Median and p99 over the crashes (nearest rank: with 50 crashes p99 is the slowest). ' +
          `LAN defaults: probe every ${p.probeIntervalMs / 1000} s, ${p.probeTimeoutMs} ms ack timeout, ${p.indirectChecks} indirect probes; suspicion timeout min = ${p.suspicionMult} × max(1, log₁₀N) × probe interval (8 s at N = 100, 12 s at N = 1,000), shrinking from ${p.suspicionMaxTimeoutMult}× that as ${p.suspicionMult - 2} independent peers confirm (Lifeguard), or one probe interval once the prober's TCP fallback was refused (docs/architecture.md). No packet loss.`,
        '',
        renderDetection(det.map((s) => s.result as DetectionResult)),
      ].join('\n'),
    );
  }

  const fp = of('false-positives');
  if (fp.length > 0) {
    const { header } = provenance(fp);
    out.set(
      'Simulation: false positives under stalls and loss',
      [
        header + ` ${wallOf(fp)}.`,
        '',
        '`fail` events about members that never crashed, with a fraction of the nodes stalling over and over (frozen 2–5 s, then running 0.2–2 s: `pauseRepeatedly`, a thrashing process; timers and packets wait, then timers run first, as in Node) for 10 simulated minutes, plus one more minute; packet loss on every datagram. ' +
          'Counted over every node\'s events, split by whom the event is about: members that never stalled, and stalled members (alive all along, only slow). Suspicions are counted the same way (one suspicion is one `suspect` event at each node that hears it). ' +
          'Lifeguard off = plain SWIM: no local-health multiplier, suspicion timeout fixed at its minimum, no stall rule. Sums over the seeds given; each seed is its own converged cluster (`bootstrapConverged`).',
        '',
        renderFalsePositives(fp.map((s) => s.result as FalsePositiveResult)),
      ].join('\n'),
    );
  }

  const heal = of('partition-heal');
  if (heal.length > 0) {
    const { header } = provenance(heal);
    out.set(
      'Simulation: partitions heal without collateral deaths',
      [
        header + ` ${wallOf(heal)}.`,
        '',
        'Collateral `fail` events: a `fail` whose observer and the member it is about were on the same side of the cut (so the member never lost contact with the observer), counted from the cut to 60 s after the heal, per seed. The rules are in docs/architecture.md ("Partitions heal without collateral deaths"); crash detection beside them shows true failures are still declared as before.',
        '',
        ...heal.map((h) => renderPartitionHeal(h.result as PartitionHealResult)),
      ].join('\n'),
    );
  }

  const steady = of('steady');
  const boot = steady.filter((s) => (s.result as SteadyResult).mode === 'bootstrap').sort((a, b) => (a.result as SteadyResult).n - (b.result as SteadyResult).n || Number((a.result as SteadyResult).digest === false) - Number((b.result as SteadyResult).digest === false));
  if (boot.length > 0) {
    const { header, mark } = provenance(boot);
    out.set(
      'Simulation: bandwidth at steady state',
      [
        header,
        '',
        'Per node per second, by message type, in a converged, quiet cluster (`bootstrapConverged`, no loss, no failures): measured from 90 s after boot over one push/pull period (30 s × (⌈log₂N − 5⌉ + 1): 90 s at N = 100, 180 s at N = 1,000, 210 s at N = 2,000), which holds exactly one push/pull per node, so the figures are long-run averages. ' +
          'Bytes are payload bytes (add 28 bytes of IPv4 + UDP header per datagram); push/pull counts the request and the reply as two stream messages at their encoded size (memberlist framing, uncompressed, unencrypted). ' +
          'With nothing to gossip, traffic is the probe cycle (one ping and one ack per node per second) plus push/pull, whose size grows with N.' +
          (boot.some((s) => mark(s) !== '') ? ` Runs: ${boot.map((s) => `N = ${int((s.result as SteadyResult).n)}${mark(s)}`).join(', ')}.` : ''),
        '',
        renderBandwidth(boot.map((s) => s.result as SteadyResult)),
      ].join('\n'),
    );
    const rows = [...boot, ...steady.filter((s) => (s.result as SteadyResult).mode === 'join')];
    const pv = provenance(rows);
    const largest = boot.filter((s) => (s.result as SteadyResult).digest !== false).at(-1)?.result as SteadyResult ?? (boot.at(-1)!.result as SteadyResult);
    const perEntry = largest.heapPerEntry;
    const tenK = 10_000 * 10_000 * perEntry + 10_000 * largest.heapPerNodeBase;
    const joinRows = steady.filter((s) => (s.result as SteadyResult).mode === 'join').map((s) => s.result as SteadyResult);
    out.set(
      'Simulation: simulator speed and memory',
      [
        pv.header,
        '',
        'Simulated seconds per wall-clock second, one core, in the same runs as the bandwidth table (plus the join-storm runs): "first 90 s" includes every node\'s first push/pull (all within 30–60 s of boot); "steady window" is the push/pull period right after the bandwidth window (again one push/pull per node). Runs dated 2026-11-22 are from the earlier simulator, which drove bare cores and handed stream messages across as objects (stream byte counting off); runs from 2026-12-03 on run real `Hearsay` nodes — driver, packet sealing with CRC, every push/pull encoded and decoded as on a socket — so their speed includes that work (at N = 1,000 the full-state push/pull encode, decode and merge is about a third of the profile). ' +
          'Heap after a full GC (`--expose-gc`), event log off: per member-table entry = (heap at window start − heap of N started, unjoined nodes) / N²; "idle node" = one started, unjoined node. Sim s / CPU s divides by the process\'s CPU time instead (user + system, all threads, GC helpers included), which other work on this shared 2-vCPU machine disturbs less than wall time; the load average shows how busy the machine was.' +
          (rows.some((s) => pv.mark(s) !== '') ? ` Runs: ${rows.map((s) => `N = ${int((s.result as SteadyResult).n)} ${(s.result as SteadyResult).mode}${pv.mark(s)}`).join(', ')}.` : ''),
        '',
        renderSpeed(rows.map((s) => s.result as SteadyResult)),
        '',
        `**What N = 10,000 needs.** Every core holds the full member table, so the simulator holds N² entries: at the measured ${int(perEntry)} B per entry (N = ${int(largest.n)}, bootstrap; the join storm's is higher${joinRows.length > 0 ? `: ${joinRows.map((r) => `${int(r.heapPerEntry)} B at N = ${int(r.n)}`).join(', ')}` : ''}) 10,000 nodes need about ${fix(tenK / 1e9, 0)} GB of heap, against ${fix(totalmem() / 2 ** 30, 0)} GiB of RAM (the run itself: "Scale" below). ` +
          `The largest N run is ${int(largest.n)} (${fix(largest.heapTotal / 1e9, 1)} GB of heap, ${fix(largest.convergeWallSeconds, 0)} s to bootstrap); heap grows as N², bootstrap time faster (GC over a growing old generation). ` +
          speedTrend(boot.map((s) => s.result as SteadyResult).filter((r) => r.digest !== false)),
        '',
        '`bootstrapConverged` (src/testing/simulator.ts) gives every core the full membership through one shared push/pull message merged with `mergeRemoteState` (the join path\'s own merge: random probe-order insertion, entries, member snapshots for the `join` events), then empties each core\'s broadcast queue — where a real cluster is once gossip has finished. ' +
          'Timers keep the random staggers each node got when it started. Not reproduced: the join traffic, health-score bumps from packets lost in the storm, probe-list shuffles. ' +
          'The check: the same seed converged by a real join storm (staggered joins through one seed node over 1 s), measured over the same windows. Traffic agrees; heap per entry is higher after the storm because entries decoded from gossip own their byte arrays, where bootstrap entries share the one message\'s.',
        '',
        renderBootstrapCheck(rows.map((s) => s.result as SteadyResult)),
      ].join('\n'),
    );
  }

  const st = of('state');
  if (st.length > 0) {
    const { header } = provenance(st);
    out.set(
      'Simulation: cluster state',
      [
        header + ` ${wallOf(st)}.`,
        '',
        'Issue 11. Propagation: a converged cluster (`bootstrapConverged`, seed 1), 30 s of steady state, then state writes one after the other, each from a different node and followed by 10 s of quiet, each followed in turn by a metadata update (membership gossip) from the same node for comparison; a node has a write at its `state` event for it, an update at its `update` event; loss on every datagram. ' +
          'Anti-entropy: a converged cluster whose nodes each hold 100 keys (16-byte values) and a copy of everyone else\'s (installed shared, `StateStore.share`, since N copies of N × 100 keys do not fit one process at N = 3,000), then the state layer\'s sent bytes (payload, as in the bandwidth table) over the window: one digest per node per second whose root matches. "Full-state exchange" is what sending one\'s whole copy to one peer per sync interval would cost instead. ' +
          'Churn (acceptance 5): 8 nodes, 100 writes and deletes per virtual second from the running nodes in turn (distinct keys over time; every 10th write with a 5 s TTL, every 50th a 3 KiB value sent in fragments; an event every 100th op), a crash for good plus a new member, or a restart under the same name, every 5,000 ops; tombstone grace 60 s. Per checkpoint: heap after a full GC and the state layer\'s counted sizes summed over the running nodes.',
        '',
        renderState(st.map((s) => s.result as StateBenchResult)),
      ].join('\n'),
    );
  }

  const prof = of('profile');
  if (prof.length > 0) {
    const s = prof.at(-1)!;
    const r = s.result as SteadyResult;
    out.set(
      'Simulation: profile at N = 1,000 (steady state)',
      [
        `Command: ${metaLine(s.meta)}. V8 sampling profiler (200 µs) over the ${fix(r.windowMs / 1000, 0)} s speed window of an N = ${int(r.n)} steady-state run (bootstrap, warm-up and the bandwidth window not included; the profiled run's speed was ${fix(r.windowMs / 1000 / r.windowWallSeconds, 2)} sim s / wall s). Top self time; names are the TypeScript functions (tsx keeps them), files relative to the repository. V8 inlines small callees into their callers, so the simulator loop's \`runUntil\` also carries most of the timer heap\'s push/pop and the event dispatch.`,
        '',
        renderProfile(r),
      ].join('\n'),
    );
  }
  return out;
}

/**
 * How steady-state speed scales between the two largest bootstrap runs (speed ∝ N^−k), and what
 * that would give at 10,000 nodes — an extrapolation, labelled as one.
 */
function speedTrend(rows: readonly SteadyResult[]): string {
  const speed = (r: SteadyResult): number => r.windowMs / 1000 / r.windowWallSeconds;
  if (rows.length < 2) return '';
  const [a, b] = [rows.at(-2)!, rows.at(-1)!];
  const k = Math.log(speed(a) / speed(b)) / Math.log(b.n / a.n);
  const at10k = speed(b) * (b.n / 10_000) ** k;
  return (
    `Steady-state speed falls as about N^−${fix(k, 1)} between N = ${int(a.n)} and ${int(b.n)}: events per simulated second grow as N (probes, gossip ticks), push/pull work as N² (N / period exchanges of N entries each, the period growing only with log N), and each step costs more as the heap outgrows the caches. ` +
    `Extrapolated (not measured) to 10,000 nodes that is about ${fix(at10k, 2)} sim s / wall s, so the ≥ 1 target needs a faster step as well as less memory per entry; see the profile.`
  );
}

// ---- main ----------------------------------------------------------------------------------------

const list = tasks();
const meta: Meta = {
  command,
  node: process.version,
  cpu: `${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} vCPU)`,
  date: new Date().toISOString().slice(0, 10),
};
process.stderr.write(`hearsay simulation benchmarks: ${list.length} runs${quick ? ' (quick)' : ''}, ${metaLine(meta)}\n`);
const started = performance.now();
const fresh: Stored[] = [];
const failures = await runAll(list, (t, r) => {
  fresh.push({ id: t.id, group: t.group, extra: t.extra, meta, wallSeconds: r.wallSeconds, result: r.result });
});

// Printed: this run's figures. Scale figures are only printed (BENCHMARKS.md's scale section is hand-written).
const scale = fresh.filter((s) => s.group === 'scale');
fresh.splice(0, fresh.length, ...fresh.filter((s) => s.group !== 'scale'));
const printed = sections(fresh);
for (const [title, body] of printed) process.stdout.write(`\n## ${title}\n\n${body}\n`);
if (scale.length > 0) {
  const results = scale.map((s) => s.result as ScaleResult);
  process.stdout.write(`\n## Scale (${metaLine(meta)})\n\n${renderScale(results)}\n\n${renderScaleTraffic(results)}\n`);
}
process.stdout.write(`\n${list.length - failures.length}/${list.length} runs in ${fix((performance.now() - started) / 1000, 0)} s wall\n`);

if (write && fresh.length > 0) {
  let store: Stored[] = existsSync(RESULTS) ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as Stored[]) : [];
  // A default run of a group replaces that group's default rows; extras replace only their own id.
  const defaultGroups = new Set(fresh.filter((s) => !s.extra).map((s) => s.group));
  const ids = new Set(fresh.map((s) => s.id));
  store = store.filter((s) => !ids.has(s.id) && !(defaultGroups.has(s.group) && !s.extra));
  store.push(...fresh);
  store.sort((a, b) => GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group));
  writeFileSync(RESULTS, `${JSON.stringify(store, null, 1)}\n`);
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# hearsay benchmarks\n';
  writeFileSync(DOC, writeSections(doc, sections(store)));
  process.stderr.write(`wrote ${fileURLToPath(RESULTS)} and the Simulation sections of ${fileURLToPath(DOC)}\n`);
}
if (failures.length > 0) {
  process.stderr.write(`${failures.length} run(s) failed:\n${failures.join('\n')}\n`);
  process.exitCode = 1;
}
