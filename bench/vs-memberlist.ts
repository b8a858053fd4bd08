/**
 * hearsay vs HashiCorp memberlist, side by side: the same scenario on both implementations, one
 * OS process per node, LAN defaults on both sides (memberlist `DefaultLANConfig`, hearsay preset
 * `'lan'`), everything on 127.0.0.1. Rounds alternate (hearsay, memberlist, hearsay, …) so drift
 * in a shared machine's load hits both. Prints a table and replaces the `## hearsay vs memberlist`
 * section of BENCHMARKS.md.
 *
 * Run: `npm run bench:vs-memberlist` (tsx bench/vs-memberlist.ts), about 13 minutes. Needs `go`
 * and Debian's `golang-github-hashicorp-memberlist-dev` (the Go peer, test/interop/peer, is
 * rebuilt here when stale).
 *
 * One round, for one implementation and N nodes:
 * 1. spawn N nodes (hearsay: `bench/vs-memberlist-node.ts`, bundled once with esbuild and run by
 *    plain `node`; memberlist: `test/interop/bin/peer -bench`), all binding 127.0.0.1:0;
 * 2. join: every node but n000 is told `join <n000>`, in waves of BENCH_JOIN_WAVE every
 *    BENCH_JOIN_WAVE_GAP_MS (all at once, memberlist's seed refuses push/pulls past 128 pending
 *    and the refused nodes stay alone). **Join convergence** is per node: the moment it sees N−1
 *    peers alive, minus the first join command; reported at 50 %, 90 % and 100 % of the nodes;
 * 3. settle, then a **steady window**: CPU = time on CPU of every thread of the process
 *    (/proc/<pid>/task/<tid>/schedstat, ns; the user/system split from /proc/<pid>/stat ticks),
 *    RSS from /proc/<pid>/status, bytes and packets sent from counters inside each node (hearsay:
 *    the `metrics` counters `hearsay.packets.sent` / `hearsay.bytes.sent`, plus a counting
 *    transport wrapper for TCP; Go: a counting wrapper around memberlist's NetTransport). On
 *    hearsay rounds PROFILED nodes run an in-process V8 CPU profile over the window (they are left
 *    out of the CPU mean) and the bench prints where their JavaScript time went;
 * 4. **leave**: BENCH_LEAVES nodes leave gracefully, one at a time; each: time until every other
 *    node reports it left;
 * 5. **kill**: BENCH_KILLS other nodes are SIGKILLed, one at a time; each: time to the **first
 *    suspicion anywhere**, to the first and to the last survivor declaring it dead.
 * Event times are the nodes' own wall-clock stamps (`ts`), so reading 200 pipes late does not
 * inflate them. A suspicion on the Go side is memberlist's "Suspect X has failed" log line
 * (v0.2.2 has no suspect callback): only the prober writes it, and the prober is the first node
 * to suspect anyway, so "first suspicion anywhere" means the same thing on both sides.
 *
 * Environment: BENCH_N ("50,200"), BENCH_IMPLS ("hearsay,memberlist"), BENCH_STEADY_S (20),
 * BENCH_SETTLE_S (10), BENCH_LEAVES (3), BENCH_KILLS (3), BENCH_JOIN_WAVE (20),
 * BENCH_JOIN_WAVE_GAP_MS (200), BENCH_CONVERGE_CAP_S (75: after that the round goes on if 90 %
 * converged, and the figure is a lower bound), BENCH_BUDGET_S (780: no round starts after this,
 * and a repeat pass only if it fits), BENCH_HARD_LIMIT_S (870: every wait fails past this),
 * BENCH_PROFILE (1), BENCH_WRITE (1: update BENCHMARKS.md), BENCH_SPAWN_CONCURRENCY (16),
 * BENCH_DEBUG (name the peers a node is missing while it converges).
 * Every child is tracked and SIGKILLed on exit, error or signal; children also exit when their
 * stdin closes, so a dead bench cannot leave nodes behind.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

type Impl = 'hearsay' | 'memberlist';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..');
const GO_PEER_BIN = join(repoRoot, 'test/interop/bin/peer');
const GO_PEER_SRC = join(repoRoot, 'test/interop/peer/main.go');
const CHILD_SRC = join(here, 'vs-memberlist-node.ts');

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const NS = env('BENCH_N', '50,200')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 5);
const STEADY_MS = Number(env('BENCH_STEADY_S', '20')) * 1000;
const SETTLE_MS = Number(env('BENCH_SETTLE_S', '10')) * 1000;
const BUDGET_MS = Number(env('BENCH_BUDGET_S', '780')) * 1000;
const PROFILE = env('BENCH_PROFILE', '1') !== '0';
const IMPLS = env('BENCH_IMPLS', 'hearsay,memberlist')
  .split(',')
  .filter((x): x is Impl => x === 'hearsay' || x === 'memberlist');
const WRITE = env('BENCH_WRITE', '1') !== '0';
const SPAWN_CONCURRENCY = Number(env('BENCH_SPAWN_CONCURRENCY', '16'));
/** Nodes that leave gracefully, then nodes SIGKILLed, one after another per round. */
const LEAVES = Math.max(1, Number(env('BENCH_LEAVES', '3')));
const KILLS = Math.max(1, Number(env('BENCH_KILLS', '3')));
/** Join commands go out in waves (memberlist refuses more than 128 pending push/pulls on the seed). */
const JOIN_WAVE = Math.max(1, Number(env('BENCH_JOIN_WAVE', '20')));
const JOIN_WAVE_GAP_MS = Number(env('BENCH_JOIN_WAVE_GAP_MS', '200'));
/** Join convergence is not waited for past this; the round goes on if ≥ 90 % of the nodes converged. */
const CONVERGE_CAP_MS = Number(env('BENCH_CONVERGE_CAP_S', '75')) * 1000;
/** Nothing runs past this: waits fail, children are killed, what was measured is reported. */
const HARD_LIMIT_MS = Number(env('BENCH_HARD_LIMIT_S', '870')) * 1000;
/** Nodes profiled per hearsay round (indexes 1…PROFILED), and the V8 sampling interval. */
const PROFILED = PROFILE ? 3 : 0;
const PROFILE_INTERVAL_US = 100;

const startedAt = Date.now();
const HARD_DEADLINE = startedAt + HARD_LIMIT_MS;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (msg: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
const name = (i: number) => `n${String(i).padStart(3, '0')}`;

// ------------------------------------------------------------------------------------------------
// Child processes
// ------------------------------------------------------------------------------------------------

/** Every child ever spawned, until it exits: SIGKILLed on the way out, whatever happens. */
const live = new Set<ChildProcessWithoutNullStreams>();
function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(sig, () => {
    log(`${sig}: killing ${live.size} children`);
    killAll();
    process.exit(130);
  });
}

interface Departure {
  readonly observer: string;
  readonly name: string;
  /** 2 = dead (failed), 3 = left. */
  readonly state: number;
  readonly ts: number;
}

/** What the whole cluster reported, in the order the bench read it. */
class Cluster {
  readonly nodes: Node[] = [];
  readonly suspects: { observer: string; name: string; ts: number }[] = [];
  readonly departures: Departure[] = [];
  readonly errors: string[] = [];
  constructor(
    readonly impl: Impl,
    readonly n: number,
  ) {}
  running(): Node[] {
    return this.nodes.filter((x) => !x.exited);
  }
}

class Node {
  readonly proc: ChildProcessWithoutNullStreams;
  addr = '';
  pid = 0;
  exited = false;
  /** Peers this node currently sees alive or suspect (not itself). */
  readonly alive = new Set<string>();
  /** `ts` at which `alive` last reached N−1. */
  convergedAt: number | undefined;
  private readonly waiters: { event: string; resolve: (e: Record<string, unknown>) => void }[] = [];
  private readonly stderrTail: string[] = [];
  readonly ready: Promise<void>;
  readonly exit: Promise<void>;

  constructor(
    readonly cluster: Cluster,
    readonly index: number,
    cmd: string,
    args: string[],
  ) {
    this.proc = spawn(cmd, args, { stdio: 'pipe', cwd: repoRoot });
    live.add(this.proc);
    this.exit = new Promise((resolve) =>
      this.proc.once('exit', () => {
        this.exited = true;
        live.delete(this.proc);
        resolve();
      }),
    );
    this.proc.stdin.on('error', () => {});
    this.proc.stderr.setEncoding('utf8');
    this.proc.stderr.on('data', (s: string) => {
      this.stderrTail.push(s);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
    this.ready = new Promise((resolve, reject) => {
      this.waiters.push({ event: 'ready', resolve: () => resolve() });
      void this.exit.then(() => reject(new Error(`${this.name} exited before ready: ${this.tail()}`)));
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.onLine(line));
  }

  get name(): string {
    return name(this.index);
  }

  tail(): string {
    return this.stderrTail.join('').slice(-1500);
  }

  send(line: string): void {
    if (!this.exited) this.proc.stdin.write(`${line}\n`);
  }

  /** Sends `line` and resolves with the next `event` this node emits (or rejects after `timeoutMs`). */
  request(line: string, event: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no "${event}" reply to "${line}" in ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        event,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
      this.send(line);
    });
  }

  private onLine(line: string): void {
    let e: Record<string, unknown>;
    try {
      e = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const ts = typeof e.ts === 'number' ? e.ts : Date.now();
    const c = this.cluster;
    const node = e.node as { name: string; state: number } | undefined;
    switch (e.event) {
      case 'ready':
        this.addr = String(e.addr);
        this.pid = Number(e.pid);
        break;
      case 'join':
        if (node && node.name !== this.name) {
          this.alive.add(node.name);
          if (this.alive.size >= c.n - 1 && this.convergedAt === undefined) this.convergedAt = ts;
        }
        break;
      case 'leave':
        if (node && node.name !== this.name) {
          this.alive.delete(node.name);
          c.departures.push({ observer: this.name, name: node.name, state: node.state, ts });
        }
        break;
      case 'suspect':
        c.suspects.push({ observer: this.name, name: String(e.name), ts });
        break;
      case 'error':
        c.errors.push(`${this.name} ${String(e.cmd)}: ${String(e.error)}`);
        break;
      case 'log':
        if (e.level === 'ERR') c.errors.push(`${this.name}: ${String(e.line)}`);
        break;
    }
    const i = this.waiters.findIndex((w) => w.event === e.event);
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(e);
  }

  /** Closes stdin (both kinds of node exit on that), then SIGKILL after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.exited) return;
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}

// ------------------------------------------------------------------------------------------------
// Building
// ------------------------------------------------------------------------------------------------

function buildGoPeer(): void {
  if (existsSync(GO_PEER_BIN) && statSync(GO_PEER_BIN).mtimeMs >= statSync(GO_PEER_SRC).mtimeMs) return;
  log('building the Go peer (GOPATH mode, offline)');
  mkdirSync(dirname(GO_PEER_BIN), { recursive: true });
  const r = spawnSync(process.env.GO ?? 'go', ['build', '-o', GO_PEER_BIN, './test/interop/peer'], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 180_000,
    env: {
      ...process.env,
      GOPATH: process.env.GOCODE ?? '/usr/share/gocode',
      GO111MODULE: 'off',
      GOFLAGS: '',
      GOPROXY: 'off',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      ...(!process.env.GOCACHE && !process.env.HOME && !process.env.XDG_CACHE_HOME ? { GOCACHE: join(dirname(GO_PEER_BIN), 'gocache') } : {}),
    },
  });
  if (r.status !== 0) throw new Error(`building the Go peer failed: ${r.error?.message ?? ''}\n${r.stdout}${r.stderr}`);
}

/** Bundles the hearsay node into one .mjs so each child is a plain `node` process (no tsx loader). */
async function bundleChild(dir: string): Promise<string> {
  // esbuild is in node_modules through tsup and tsx (both devDependencies).
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  const outfile = join(dir, 'vs-memberlist-node.mjs');
  await esbuild.build({ entryPoints: [CHILD_SRC], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile, logLevel: 'warning' });
  return outfile;
}

function command(impl: Impl, i: number, childJs: string): [string, string[]] {
  return impl === 'hearsay'
    ? [process.execPath, [childJs, '--name', name(i), '--bind', '127.0.0.1:0', '--preset', 'lan']]
    : [GO_PEER_BIN, ['-name', name(i), '-bind', '127.0.0.1:0', '-preset', 'lan', '-bench']];
}

// ------------------------------------------------------------------------------------------------
// /proc
// ------------------------------------------------------------------------------------------------

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime and stime of a process or thread, seconds, from a /proc …/stat file. */
function readTimes(file: string): { user: number; sys: number; comm: string } | undefined {
  try {
    const stat = readFileSync(file, 'utf8');
    const close = stat.lastIndexOf(')');
    const f = stat.slice(close + 2).split(' ');
    // Fields after "(comm)": state is f[0], so utime (field 14) is f[11] and stime (15) f[12].
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK, comm: stat.slice(stat.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

/** utime and stime of `pid` (all threads), seconds. */
function cpuSeconds(pid: number): { user: number; sys: number } | undefined {
  return readTimes(`/proc/${pid}/stat`);
}

/**
 * CPU time of `pid`, seconds, to the nanosecond: the sum of /proc/<pid>/task/<tid>/schedstat
 * (time on CPU per thread) over its live threads, and the main thread's share. /proc/<pid>/stat
 * counts in 10 ms ticks, too coarse for nodes that use ~2 ms a second each.
 */
function cpuPrecise(pid: number): { total: number; main: number } | undefined {
  try {
    let total = 0;
    let main = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      let ns: number;
      try {
        ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        continue; // the thread just ended
      }
      total += ns / 1e9;
      if (Number(tid) === pid) main = ns / 1e9;
    }
    return { total, main };
  } catch {
    return undefined;
  }
}

function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------------------------------------------
// One round
// ------------------------------------------------------------------------------------------------

interface Kill {
  victim: string;
  /** First suspicion of the victim anywhere, ms after the SIGKILL (undefined: nobody suspected first, all went straight to dead). */
  suspectMs: number | undefined;
  firstDeadMs: number;
  allDeadMs: number;
  /** Survivors that reported it left (3) rather than dead (2): should be 0. */
  sawLeft: number;
}

interface Leave {
  leaver: string;
  /** Until the last other node reported it left, ms after the leave command. */
  allMs: number;
  /** Nodes that reported it dead (2) instead of left (3): should be 0. */
  sawDead: number;
}

interface RoundResult {
  impl: Impl;
  n: number;
  ok: boolean;
  failure?: string;
  /** Stopped by the run's hard time limit: not the implementation's fault, left out of the results. */
  aborted?: boolean;
  spawnMs?: number;
  /** Per-node join convergence quantiles, ms after the join commands went out. */
  convergeP50Ms?: number;
  convergeP90Ms?: number;
  /** The last node; the cap when some node had not converged by then (see convergeCapped). */
  convergeAllMs?: number;
  /** Nodes that had not seen everyone alive by the cap. */
  convergeCapped?: number;
  /** CPU all nodes used from the first join command until convergence (or the cap), minus the steady-state rate, per node, ms. */
  joinCpuMsPerNode?: number;
  /** The same CPU as a share of one core over that time: 200 % = both vCPUs of the machine saturated. */
  joinMachinePct?: number;
  cpuPct?: number;
  cpuPctMax?: number;
  /** Mean per node: the main thread's part of cpuPct, and cpuPct split into user and system time (in the ratio of the /proc/<pid>/stat ticks). */
  cpuMainPct?: number;
  cpuUserPct?: number;
  cpuSysPct?: number;
  udpBytesPerS?: number;
  udpPacketsPerS?: number;
  tcpBytesPerS?: number;
  /** Cluster-wide TCP bytes sent / TCP dials from convergence to the end of the window: one push/pull exchange, both directions. */
  tcpBytesPerExchange?: number;
  /** Push/pull exchanges (dials) that figure is based on. */
  tcpExchanges?: number;
  /** TCP dials (push/pull exchanges) per node per minute in the window. */
  exchangesPerNodeMin?: number;
  rssMiB?: number;
  rssMiBMax?: number;
  steadySuspects?: number;
  steadyDeaths?: number;
  leaves: Leave[];
  kills: Kill[];
  durationMs: number;
  profiles: string[];
}

async function waitUntil(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Math.min(Date.now() + timeoutMs, HARD_DEADLINE);
  while (!pred()) {
    if (Date.now() > deadline) {
      throw new Error(Date.now() >= HARD_DEADLINE ? `the run's time limit hit while waiting for ${what}` : `timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(100);
  }
}

interface Counters {
  ts: number;
  udpPacketsSent: number;
  udpBytesSent: number;
  tcpBytesSent: number;
  tcpDials: number;
}

interface Snapshot {
  at: number;
  /** Per node: precise CPU seconds (all threads, main thread) and tick-based user / system seconds. */
  cpu: Map<string, { total: number; main: number; user: number; sys: number }>;
  stats: Map<string, Counters>;
}

async function snapshot(nodes: Node[]): Promise<Snapshot> {
  const replies = nodes.map((x) => x.request('stats', 'stats'));
  const at = Date.now();
  const cpu: Snapshot['cpu'] = new Map();
  for (const x of nodes) {
    const ticks = cpuSeconds(x.pid);
    const precise = cpuPrecise(x.pid);
    if (ticks && precise) cpu.set(x.name, { ...precise, user: ticks.user, sys: ticks.sys });
  }
  const stats = new Map<string, Counters>();
  (await Promise.all(replies)).forEach((r, i) =>
    stats.set(nodes[i]!.name, {
      ts: Number(r.ts),
      udpPacketsSent: Number(r.udpPacketsSent ?? 0),
      udpBytesSent: Number(r.udpBytesSent ?? 0),
      tcpBytesSent: Number(r.tcpBytesSent ?? 0),
      tcpDials: Number(r.tcpDials ?? 0),
    }),
  );
  return { at, cpu, stats };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const secs = (ms: number | undefined, digits = 2) => (ms === undefined ? '—' : (ms / 1000).toFixed(digits));

/** Node indexes of the leavers and the kill victims, spread over the cluster (n000 is the seed; 1…PROFILED are profiled before). */
function roles(n: number): { leavers: number[]; victims: number[] } {
  const all = Array.from({ length: LEAVES + KILLS }, (_, j) => Math.floor((n * (j + 1)) / (LEAVES + KILLS + 1)));
  return { leavers: all.slice(0, LEAVES), victims: all.slice(LEAVES) };
}

async function runRound(impl: Impl, n: number, childJs: string, profDir: string, roundNo: number): Promise<RoundResult> {
  const t = Date.now();
  const c = new Cluster(impl, n);
  const r: RoundResult = { impl, n, ok: false, leaves: [], kills: [], durationMs: 0, profiles: [] };
  log(`${impl} N=${n}: spawning`);
  try {
    // 1. spawn, SPAWN_CONCURRENCY at a time (a burst of 200 Node start-ups starves the first ones)
    let next = 0;
    const spawnOne = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const [cmd, args] = command(impl, i, childJs);
        const node = new Node(c, i, cmd, args);
        c.nodes[i] = node;
        await Promise.race([node.ready, sleep(60_000).then(() => Promise.reject(new Error(`${node.name} not ready in 60 s`)))]);
      }
    };
    await Promise.all(Array.from({ length: Math.min(SPAWN_CONCURRENCY, n) }, spawnOne));
    r.spawnMs = Date.now() - t;
    log(`${impl} N=${n}: ${n} nodes up in ${secs(r.spawnMs, 1)} s`);
    await sleep(1000);

    // 2. join everyone to n000
    const seed = c.nodes[0]!;
    const cpuAtJoin = c.nodes.map((x) => cpuPrecise(x.pid)?.total ?? 0);
    const t0 = Date.now();
    for (let i = 1; i < n; i += JOIN_WAVE) {
      if (i > 1) await sleep(JOIN_WAVE_GAP_MS);
      for (const x of c.nodes.slice(i, i + JOIN_WAVE)) x.send(`join ${seed.addr}`);
    }
    let lastReport = Date.now();
    const allConverged = () => c.nodes.every((x) => x.convergedAt !== undefined);
    try {
      await waitUntil(
        () => {
          if (Date.now() - lastReport >= 10_000) {
            lastReport = Date.now();
            const done = c.nodes.filter((x) => x.convergedAt !== undefined).length;
            log(`${impl} N=${n}: ${done}/${n} nodes see everyone; fewest peers seen: ${Math.min(...c.nodes.map((x) => x.alive.size))} of ${n - 1}`);
            if (process.env.BENCH_DEBUG) {
              for (const x of c.nodes.filter((y) => y.convergedAt === undefined)) {
                log(`  ${x.name} misses ${c.nodes.filter((y) => y !== x && !x.alive.has(y.name)).map((y) => y.name).join(' ')}`);
              }
            }
          }
          return allConverged();
        },
        CONVERGE_CAP_MS,
        `all ${n} nodes to see ${n - 1} peers alive`,
      );
    } catch (error) {
      if (Date.now() >= HARD_DEADLINE || c.nodes.filter((x) => x.convergedAt !== undefined).length < n * 0.9) throw error;
    }
    const joinWall = (Date.now() - t0) / 1000;
    const joinCpu = c.nodes.reduce((sum, x, i) => sum + (cpuPrecise(x.pid)?.total ?? 0) - cpuAtJoin[i]!, 0);
    const perNode = c.nodes.map((x) => (x.convergedAt === undefined ? Infinity : x.convergedAt - t0)).sort((a, b) => a - b);
    const q = (f: number) => perNode[Math.min(n - 1, Math.ceil(f * n) - 1)]!;
    r.convergeP50Ms = q(0.5);
    r.convergeP90Ms = q(0.9);
    r.convergeCapped = c.nodes.filter((x) => x.convergedAt === undefined).length;
    r.convergeAllMs = r.convergeCapped > 0 ? CONVERGE_CAP_MS : q(1);
    log(
      `${impl} N=${n}: join: half the nodes saw everyone after ${secs(r.convergeP50Ms)} s, 90 % after ${secs(r.convergeP90Ms)} s, ` +
        (r.convergeCapped > 0 ? `${r.convergeCapped} node(s) still missing peers at the ${CONVERGE_CAP_MS / 1000} s cap` : `all after ${secs(r.convergeAllMs)} s`),
    );

    // 3. steady state (counters read once more here: push/pull bytes per exchange are taken from now on, for more exchanges)
    const afterJoin = await snapshot(c.nodes);
    await sleep(SETTLE_MS);
    const profiled = impl === 'hearsay' ? c.nodes.slice(1, 1 + PROFILED) : [];
    await Promise.all(profiled.map((x) => x.request(`prof-start ${PROFILE_INTERVAL_US}`, 'profiling')));
    const suspectsBefore = c.suspects.length;
    const departuresBefore = c.departures.length;
    const a = await snapshot(c.nodes);
    await sleep(STEADY_MS);
    const b = await snapshot(c.nodes);
    r.steadySuspects = new Set(c.suspects.slice(suspectsBefore).map((x) => x.name)).size;
    r.steadyDeaths = c.departures.length - departuresBefore;
    for (const [k, x] of profiled.entries()) {
      const file = join(profDir, `${impl}-n${n}-r${roundNo}-${x.name}.cpuprofile`);
      await x.request(`prof-stop ${file}`, 'profile', 30_000);
      r.profiles.push(file);
      if (k === 0) log(`${impl} N=${n}: profiles written to ${profDir}`);
    }
    const wall = (b.at - a.at) / 1000;
    const measured = c.nodes.filter((x) => !profiled.includes(x) && a.cpu.has(x.name) && b.cpu.has(x.name));
    const pct = (x: Node, part: 'total' | 'main' | 'user' | 'sys') => ((b.cpu.get(x.name)![part] - a.cpu.get(x.name)![part]) / wall) * 100;
    const cpuPcts = measured.map((x) => pct(x, 'total'));
    r.cpuPct = mean(cpuPcts);
    r.cpuPctMax = Math.max(...cpuPcts);
    r.cpuMainPct = mean(measured.map((x) => pct(x, 'main')));
    // The tick counts only split the precise total into user and system.
    const ticks = measured.reduce((sum, x) => sum + pct(x, 'user') + pct(x, 'sys'), 0);
    const userShare = ticks > 0 ? measured.reduce((sum, x) => sum + pct(x, 'user'), 0) / ticks : 0;
    r.cpuUserPct = r.cpuPct * userShare;
    r.cpuSysPct = r.cpuPct * (1 - userShare);
    // What absorbing the join cost beyond the steady-state rate measured just now, per node.
    r.joinCpuMsPerNode = ((joinCpu - (r.cpuPct / 100) * joinWall * n) / n) * 1000;
    r.joinMachinePct = (joinCpu / joinWall) * 100;
    const delta = (x: Node, field: Exclude<keyof Counters, 'ts'>) => b.stats.get(x.name)![field] - a.stats.get(x.name)![field];
    const perSec = (x: Node) => (b.stats.get(x.name)!.ts - a.stats.get(x.name)!.ts) / 1000;
    r.udpBytesPerS = mean(c.nodes.map((x) => delta(x, 'udpBytesSent') / perSec(x)));
    r.udpPacketsPerS = mean(c.nodes.map((x) => delta(x, 'udpPacketsSent') / perSec(x)));
    r.tcpBytesPerS = mean(c.nodes.map((x) => delta(x, 'tcpBytesSent') / perSec(x)));
    const dials = c.nodes.reduce((sum, x) => sum + delta(x, 'tcpDials'), 0);
    r.exchangesPerNodeMin = (dials / n / wall) * 60;
    const since = (x: Node, field: 'tcpDials' | 'tcpBytesSent') => b.stats.get(x.name)![field] - afterJoin.stats.get(x.name)![field];
    const exchanges = c.nodes.reduce((sum, x) => sum + since(x, 'tcpDials'), 0);
    if (exchanges > 0) r.tcpBytesPerExchange = c.nodes.reduce((sum, x) => sum + since(x, 'tcpBytesSent'), 0) / exchanges;
    r.tcpExchanges = exchanges;
    const rss = c.nodes.map((x) => rssBytes(x.pid)).filter((v): v is number => v !== undefined).map((v) => v / 2 ** 20);
    r.rssMiB = mean(rss);
    r.rssMiBMax = Math.max(...rss);
    log(`${impl} N=${n}: the join used ${r.joinMachinePct.toFixed(0)} % of a core (all nodes) for ${joinWall.toFixed(1)} s: ${r.joinCpuMsPerNode.toFixed(0)} ms per node beyond steady state`);
    log(
      `${impl} N=${n}: steady ${wall.toFixed(1)} s: CPU ${r.cpuPct.toFixed(2)} %/node (user ${r.cpuUserPct.toFixed(2)}, sys ${r.cpuSysPct.toFixed(2)}; max ${r.cpuPctMax.toFixed(2)}; ` +
        `main thread ${r.cpuMainPct.toFixed(2)}), ` +
        `UDP ${r.udpBytesPerS.toFixed(0)} B/s ${r.udpPacketsPerS.toFixed(2)} pkt/s, TCP ${r.tcpBytesPerS.toFixed(0)} B/s (${dials} exchanges, ` +
        `${r.tcpBytesPerExchange?.toFixed(0) ?? '—'} B each over ${r.tcpExchanges} since convergence), RSS ${r.rssMiB.toFixed(1)} MiB; suspected ${r.steadySuspects} node(s), ${r.steadyDeaths} death(s)`,
    );

    // 4. graceful leaves, one node at a time
    const { leavers, victims: vi } = roles(n);
    const gone: Node[] = [];
    const watchers = () => c.nodes.filter((x) => !gone.includes(x) && !x.exited);
    const heardOf = (who: Node, since: number) => {
      const seen = new Map<string, Departure>();
      for (const d of c.departures) if (d.name === who.name && d.ts >= since && !seen.has(d.observer)) seen.set(d.observer, d);
      return seen;
    };
    for (const li of leavers) {
      const leaver = c.nodes[li]!;
      gone.push(leaver);
      const leaveWatchers = watchers();
      const tL = Date.now();
      // leave() resolves once its broadcast went out its full count (or after 5 s): shut down only then.
      const left = leaver.request('leave 5000', 'left', 20_000).catch(() => undefined);
      await waitUntil(() => leaveWatchers.every((x) => heardOf(leaver, tL).has(x.name)), 60_000, `everyone to see ${leaver.name} leave`);
      const leaves = [...heardOf(leaver, tL).values()];
      const leave: Leave = { leaver: leaver.name, allMs: Math.max(...leaves.map((d) => d.ts)) - tL, sawDead: leaves.filter((d) => d.state !== 3).length };
      r.leaves.push(leave);
      log(`${impl} N=${n}: ${leaver.name}'s leave seen by all in ${secs(leave.allMs)} s (${leave.sawDead} saw it as a failure)`);
      await left;
      await leaver.request('shutdown', 'shutdown', 10_000).catch(() => leaver.proc.kill('SIGKILL'));
      await leaver.stop(2000);
      await sleep(1000);
    }

    // 5. SIGKILL, one node at a time
    const maxSuspicionMs = 6 * 4 * Math.max(1, Math.log10(n)) * 1000;
    for (const v of vi) {
      await sleep(1500);
      const victim = c.nodes[v]!;
      const tK = Date.now();
      victim.proc.kill('SIGKILL');
      gone.push(victim);
      const killWatchers = watchers();
      await waitUntil(() => killWatchers.every((x) => heardOf(victim, tK).has(x.name)), maxSuspicionMs + 45_000, `everyone to declare ${victim.name} dead`);
      const deaths = [...heardOf(victim, tK).values()];
      const suspicions = c.suspects.filter((x) => x.name === victim.name && x.ts >= tK);
      const kill: Kill = {
        victim: victim.name,
        suspectMs: suspicions.length > 0 ? Math.min(...suspicions.map((x) => x.ts)) - tK : undefined,
        firstDeadMs: Math.min(...deaths.map((d) => d.ts)) - tK,
        allDeadMs: Math.max(...deaths.map((d) => d.ts)) - tK,
        sawLeft: deaths.filter((d) => d.state === 3).length,
      };
      r.kills.push(kill);
      log(`${impl} N=${n}: kill ${victim.name} → first suspect ${secs(kill.suspectMs)} s, first dead ${secs(kill.firstDeadMs)} s, all dead ${secs(kill.allDeadMs)} s`);
    }
    r.ok = true;
  } catch (error) {
    r.failure = error instanceof Error ? error.message : String(error);
    r.aborted = Date.now() >= HARD_DEADLINE;
    log(`${impl} N=${n}: ${r.aborted ? 'ABORTED (time limit)' : 'FAILED'}: ${r.failure}`);
    const dead = c.nodes.find((x) => x?.exited);
    if (dead) log(`  e.g. ${dead.name} exited; stderr: ${dead.tail()}`);
  } finally {
    const errors = c.errors.filter((e) => !/AbortError/.test(e));
    if (errors.length > 0) log(`${impl} N=${n}: ${errors.length} error report(s), first: ${errors.slice(0, 3).join(' | ')}`);
    await Promise.all(c.nodes.filter(Boolean).map((x) => x.stop()));
    r.durationMs = Date.now() - t;
    log(`${impl} N=${n}: round took ${secs(r.durationMs, 0)} s`);
  }
  return r;
}

// ------------------------------------------------------------------------------------------------
// CPU profile summary
// ------------------------------------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function and by source module (mapped back through esbuild's `// src/…` markers). */
function summarizeProfiles(files: string[], bundle: string): string[] {
  const lines = readFileSync(bundle, 'utf8').split('\n');
  const moduleAt: string[] = [];
  let current = '(bundle)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:src|bench|node_modules)\/\S+)$/.exec(lines[i]!);
    if (m) current = m[1]!.replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'npm:$1');
    moduleAt[i] = current;
  }
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalMs = 0;
  let wallMs = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    const parent = new Map<number, number>();
    for (const x of p.nodes) for (const child of x.children ?? []) parent.set(child, x.id);
    /** Samples inside the profiler's own start/stop calls (node:inspector `post`) are not hearsay's. */
    const inInspector = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)!.callFrame;
        if (f.url === 'node:inspector') return true;
      }
      return false;
    };
    wallMs += (p.endTime - p.startTime) / 1000;
    // Sample i lasted until sample i+1: attribute timeDeltas[i+1] to samples[i].
    for (let i = 0; i < p.samples.length; i++) {
      const node = byId.get(p.samples[i]!)!;
      const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      let module: string;
      if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' || functionName === '(root)') module = functionName;
      else if (url.endsWith('.mjs') && url.includes('vs-memberlist-node')) module = moduleAt[lineNumber] ?? '(bundle)';
      else if (url.startsWith('node:')) module = url.replace(/^node:internal\/([^/]+).*$/, 'node:internal/$1');
      else if (url === '') module = '(native)';
      else module = url;
      if (functionName === '(idle)' || inInspector(p.samples[i]!)) continue;
      totalMs += ms;
      const fn = `${functionName || '(anonymous)'} · ${module}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
      byModule.set(module, (byModule.get(module) ?? 0) + ms);
    }
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([key, ms]) => `| ${key} | ${ms.toFixed(1)} | ${((100 * ms) / totalMs).toFixed(1)} % |`);
  return [
    `${files.length} profile(s), ${(wallMs / 1000).toFixed(1)} s of wall time, ${totalMs.toFixed(0)} ms sampled in JavaScript/V8 on the main thread = ${((100 * totalMs) / wallMs).toFixed(3)} % of one core per node. ` +
      "V8's sampler sees only that: libuv, the kernel and V8's background threads (JIT compiler, GC helpers) count as idle here, so this is a fraction of the CPU measured from /proc.",
    '',
    '| module (self time) | ms | share |',
    '|---|---:|---:|',
    ...top(byModule, 14),
    '',
    '| function · module (self time) | ms | share |',
    '|---|---:|---:|',
    ...top(byFn, 20),
  ];
}

// ------------------------------------------------------------------------------------------------
// Main
// ------------------------------------------------------------------------------------------------

const median = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

interface Row {
  label: string;
  unit: string;
  digits: number;
  /** The issue's goal: ratio ≤ 1.0. */
  goal?: boolean;
  /** The figure for one implementation at one N, from all its rounds; `atLeast` when it is a lower bound. */
  value(rounds: RoundResult[]): { v: number | undefined; atLeast?: boolean; count?: number };
}

const fromRounds = (key: keyof RoundResult, scale = 1) => (rounds: RoundResult[]) => {
  const v = median(rounds.map((x) => x[key] as number | undefined));
  return { v: v === undefined ? undefined : v * scale, count: rounds.length };
};
const fromKills = (key: 'suspectMs' | 'allDeadMs' | 'firstDeadMs' | 'suspicionMs') => (rounds: RoundResult[]) => {
  const all = rounds.flatMap((x) => x.kills.map((k) => (key === 'suspicionMs' ? (k.suspectMs === undefined ? undefined : k.firstDeadMs - k.suspectMs) : k[key])));
  const v = median(all);
  return { v: v === undefined ? undefined : v / 1000, count: all.length };
};

const ROWS: Row[] = [
  { label: 'join: half the nodes see all N alive', unit: 's', digits: 2, value: fromRounds('convergeP50Ms', 1e-3) },
  { label: 'join: 90 % of the nodes see all N alive', unit: 's', digits: 2, value: fromRounds('convergeP90Ms', 1e-3) },
  {
    label: 'join convergence: every node sees all N alive',
    unit: 's',
    digits: 2,
    value: (rounds) => ({ ...fromRounds('convergeAllMs', 1e-3)(rounds), atLeast: rounds.some((x) => (x.convergeCapped ?? 0) > 0) }),
  },
  { label: 'join: CPU per node to absorb it (beyond steady state)', unit: 'ms', digits: 0, value: fromRounds('joinCpuMsPerNode') },
  { label: 'steady CPU per node', unit: '% of a core', digits: 2, goal: true, value: fromRounds('cpuPct') },
  { label: 'UDP bytes sent per node', unit: 'B/s', digits: 1, goal: true, value: fromRounds('udpBytesPerS') },
  { label: 'UDP packets sent per node', unit: 'pkt/s', digits: 2, value: fromRounds('udpPacketsPerS') },
  { label: 'TCP bytes per push/pull exchange (both ways)', unit: 'B', digits: 0, goal: true, value: fromRounds('tcpBytesPerExchange') },
  { label: 'RSS per node', unit: 'MiB', digits: 1, value: fromRounds('rssMiB') },
  { label: 'kill → first suspicion anywhere', unit: 's', digits: 2, goal: true, value: fromKills('suspectMs') },
  { label: 'kill → first node declares it dead', unit: 's', digits: 2, value: fromKills('firstDeadMs') },
  { label: 'first suspicion → first dead (suspicion timeout)', unit: 's', digits: 2, value: fromKills('suspicionMs') },
  { label: 'kill → all others declared it dead', unit: 's', digits: 2, goal: true, value: fromKills('allDeadMs') },
  {
    label: 'leave → all others see it left',
    unit: 's',
    digits: 2,
    goal: true,
    value: (rounds) => {
      const all = rounds.flatMap((x) => x.leaves.map((l) => l.allMs));
      const v = median(all);
      return { v: v === undefined ? undefined : v / 1000, count: all.length };
    },
  },
];

function resultsTable(results: RoundResult[], ns: number[]): string[] {
  const table = ['| N | metric | hearsay | memberlist | hearsay / memberlist |', '|---:|---|---:|---:|---:|'];
  for (const n of ns) {
    for (const row of ROWS) {
      const pick = (impl: Impl) => row.value(results.filter((x) => x.ok && x.impl === impl && x.n === n));
      const h = pick('hearsay');
      const g = pick('memberlist');
      const fmt = (x: ReturnType<Row['value']>) => (x.v === undefined ? '—' : `${x.atLeast ? '≥ ' : ''}${x.v.toFixed(row.digits)}`);
      let ratio = '—';
      if (h.v !== undefined && g.v !== undefined && g.v > 0) {
        const bound = h.atLeast && !g.atLeast ? '≥ ' : g.atLeast && !h.atLeast ? '≤ ' : h.atLeast && g.atLeast ? '? ' : '';
        const r2 = (h.v / g.v).toFixed(2);
        ratio = `${bound}${r2}${row.goal && !bound.startsWith('≤') && Number(r2) > 1 ? ' ⚠' : ''}`;
      }
      table.push(`| ${n} | ${row.label} (${row.unit}) | ${fmt(h)} | ${fmt(g)} | ${ratio} |`);
    }
  }
  return table;
}

function perRoundTable(results: RoundResult[]): string[] {
  const f = (v: number | undefined, d: number) => (v === undefined ? '—' : v.toFixed(d));
  return [
    '| # | impl | N | spawn s | join s: p50 / p90 / all · CPU | CPU %: all (user / sys; max node) | UDP B/s | UDP pkt/s | TCP in window: B/s · exch/node/min · B/exchange since join (n) | RSS MiB (max) | steady: suspected / deaths | leave s | kills: first suspect / first dead / all dead s | round s |',
    '|---:|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|---:|',
    ...results.map((x, i) => {
      const head = `| ${i + 1} | ${x.impl} | ${x.n} |`;
      if (!x.ok) return `${head} failed: ${x.failure} |||||||||| ${secs(x.durationMs, 0)} |`;
      const join =
        `${secs(x.convergeP50Ms)} / ${secs(x.convergeP90Ms)} / ${x.convergeCapped ? `> ${secs(x.convergeAllMs, 0)} (${x.convergeCapped} short)` : secs(x.convergeAllMs)}` +
        ` · ${f(x.joinCpuMsPerNode, 0)} ms CPU/node, machine ${f(x.joinMachinePct, 0)} %`;
      const kills = x.kills.map((k) => `${secs(k.suspectMs)} / ${secs(k.firstDeadMs)} / ${secs(k.allDeadMs)}`).join('; ');
      const leave = x.leaves.map((l) => `${secs(l.allMs)}${l.sawDead ? ` (${l.sawDead} saw a failure)` : ''}`).join('; ');
      return (
        `${head} ${secs(x.spawnMs, 1)} | ${join} | ${f(x.cpuPct, 2)} (${f(x.cpuUserPct, 2)} / ${f(x.cpuSysPct, 2)}; ${f(x.cpuPctMax, 2)}) | ${f(x.udpBytesPerS, 1)} | ${f(x.udpPacketsPerS, 2)} | ` +
        `${f(x.tcpBytesPerS, 0)} · ${f(x.exchangesPerNodeMin, 2)} · ${f(x.tcpBytesPerExchange, 0)} (${x.tcpExchanges ?? 0}) | ${f(x.rssMiB, 1)} (${f(x.rssMiBMax, 1)}) | ` +
        `${x.steadySuspects} / ${x.steadyDeaths} | ${leave} | ${kills} | ${secs(x.durationMs, 0)} |`
      );
    }),
  ];
}

/** Steady CPU per node split by thread and by user / system time, medians over rounds. */
function threadTable(results: RoundResult[], ns: number[]): string[] {
  const out = ['| impl | N | CPU % per node | main thread | other threads | user | system |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const n of ns) {
    for (const impl of IMPLS) {
      const rounds = results.filter((x) => x.ok && x.impl === impl && x.n === n);
      if (rounds.length === 0) continue;
      const m = (f: (x: RoundResult) => number | undefined) => {
        const v = median(rounds.map(f));
        return v === undefined ? '—' : v.toFixed(3);
      };
      out.push(
        `| ${impl} | ${n} | ${m((x) => x.cpuPct)} | ${impl === 'memberlist' ? 'n/a (Go schedules goroutines on any thread)' : m((x) => x.cpuMainPct)} | ` +
          `${impl === 'memberlist' ? '' : m((x) => (x.cpuPct ?? 0) - (x.cpuMainPct ?? 0))} | ${m((x) => x.cpuUserPct)} | ${m((x) => x.cpuSysPct)} |`,
      );
    }
  }
  return out;
}

async function main(): Promise<void> {
  if (NS.length === 0) throw new Error('BENCH_N names no N ≥ 5');
  buildGoPeer();
  const work = mkdtempSync(join(tmpdir(), 'hearsay-vs-memberlist-'));
  const profDir = join(repoRoot, 'bench', '.profiles');
  if (PROFILE) {
    mkdirSync(profDir, { recursive: true });
    for (const f of readdirSync(profDir)) if (f.endsWith('.cpuprofile')) rmSync(join(profDir, f));
  }
  const childJs = await bundleChild(work);
  const goVersion = spawnSync(process.env.GO ?? 'go', ['version'], { encoding: 'utf8' }).stdout.trim().replace(/^go version /, '');
  log(
    `N = ${NS.join(', ')}; ${IMPLS.join(' / ')} alternating; steady window ${STEADY_MS / 1000} s after ${SETTLE_MS / 1000} s settling; ` +
      `${KILLS} kill(s) per round; join waited for up to ${CONVERGE_CAP_MS / 1000} s; no new round after ${BUDGET_MS / 1000} s, nothing after ${HARD_LIMIT_MS / 1000} s`,
  );

  const results: RoundResult[] = [];
  const durations = new Map<string, number>();
  for (let pass = 1; pass <= 10; pass++) {
    let ranAny = false;
    for (const n of NS) {
      if (results.some((x) => x.n === n && !x.ok)) continue; // an N that failed once is not retried
      // Start a pass only if all of its rounds, at their last durations, still fit in the budget.
      const estimate = pass === 1 ? 0 : 1.1 * IMPLS.reduce((sum, impl) => sum + (durations.get(`${impl}/${n}`) ?? Infinity), 0);
      if (pass > 1 && Date.now() - startedAt + estimate > BUDGET_MS) continue;
      if (Date.now() - startedAt > BUDGET_MS) continue;
      for (const impl of IMPLS) {
        if (Date.now() >= HARD_DEADLINE) break;
        const r = await runRound(impl, n, childJs, profDir, pass);
        if (!r.aborted) results.push(r);
        durations.set(`${impl}/${n}`, r.durationMs);
        ranAny = true;
      }
    }
    if (!ranAny) break;
  }

  const table = resultsTable(results, NS);
  const roundsLine = NS.map((n) => {
    const ok = (impl: Impl) => results.filter((x) => x.ok && x.impl === impl && x.n === n).length;
    const failed = results.filter((x) => !x.ok && x.n === n);
    return `N=${n}: ${ok('hearsay')} hearsay + ${ok('memberlist')} memberlist round(s), ${LEAVES} leaves and ${KILLS} kills each${failed.length ? `; failed: ${failed.map((x) => `${x.impl} (${x.failure})`).join('; ')}` : ''}`;
  }).join(' · ');
  const perRound = perRoundTable(results);
  const threads = threadTable(results, NS);
  console.log(`\n${table.join('\n')}\n\n${roundsLine}\n\n${perRound.join('\n')}\n\n${threads.join('\n')}`);

  // ---- profile of the largest N that has one
  const profiles = results.filter((x) => x.impl === 'hearsay' && x.ok).flatMap((x) => x.profiles.map((file) => ({ n: x.n, file })));
  const profN = Math.max(...profiles.map((p) => p.n));
  const profSummary = profiles.length > 0 ? summarizeProfiles(profiles.filter((p) => p.n === profN).map((p) => p.file), childJs) : [];
  if (profSummary.length > 0) console.log(`\nhearsay CPU profile, steady window, N=${profN}:\n${profSummary.join('\n')}`);
  rmSync(work, { recursive: true, force: true });

  if (!WRITE) return;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const section = [
    '## hearsay vs memberlist',
    '',
    `Command: \`npm run bench:vs-memberlist\` · ${new Date().toISOString().slice(0, 10)} · Node ${process.version} · memberlist v0.2.2 (Debian) built with ${goVersion} · ` +
      `${cpu}, ${cpus().length} vCPU (shared), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()} · whole run ${((Date.now() - startedAt) / 60000).toFixed(1)} min.`,
    '',
    `Scenario (\`bench/vs-memberlist.ts\`): one OS process per node, all on 127.0.0.1, LAN defaults on both sides (memberlist \`DefaultLANConfig\`, hearsay preset \`'lan'\`; compression on, protocol 2). ` +
      `N = ${NS.join(' and ')}. Rounds alternate hearsay / memberlist. ` +
      `Join: every node but n000 is told to join n000, ${JOIN_WAVE} nodes every ${JOIN_WAVE_GAP_MS} ms (all at once, memberlist's seed refuses push/pulls beyond 128 pending and the refused nodes stay alone); ` +
      `convergence is per node (it sees N−1 peers alive), from the first join command, waited for up to ${CONVERGE_CAP_MS / 1000} s; ` +
      'the join CPU is what all nodes used from the first join command until convergence, minus their steady-state rate, per node. ' +
      `Steady state: a ${STEADY_MS / 1000} s window after ${SETTLE_MS / 1000} s of settling; CPU = time on CPU of all the process's threads from /proc/<pid>/task/*/schedstat (ns; /proc/<pid>/stat's utime+stime count 10 ms ticks), mean per node; RSS from /proc at the end of the window; ` +
      'bytes and packets from counters inside each node (hearsay: its `metrics` counters `hearsay.bytes.sent` / `hearsay.packets.sent`, plus a counting transport wrapper for TCP; ' +
      'Go: a counting wrapper around memberlist\'s NetTransport, `peer -bench`). ' +
      'TCP is push/pull only, about one exchange per node per scaled interval (60 s at N = 50, 120 s at N = 200), too rare for a 20 s window, so it is given per exchange, counted from convergence to the end of the window (— = no exchange in that span). ' +
      `Then ${LEAVES} nodes leave gracefully and ${KILLS} others are SIGKILLed, one at a time. Times are the nodes' own timestamps. ` +
      'Figures are medians over rounds (leaves and kills: over all of them); ratio = hearsay / memberlist, ⚠ = above the goal of 1.0; "≥" = a lower bound (a node had not converged at the cap).',
    '',
    roundsLine,
    '',
    ...table,
    '',
    'Per round (join CPU: per node beyond steady state, and the whole machine\'s use during the join as % of one core; kills: first suspicion / first dead / all dead, seconds after the SIGKILL):',
    '',
    ...perRound,
    '',
    'Steady CPU per node, split (% of one core; precise per-thread times from /proc/<pid>/task/*/schedstat, the user/system split from /proc/<pid>/stat ticks):',
    '',
    ...threads,
    '',
    ...(profSummary.length > 0
      ? [
          `hearsay CPU profile: V8 sampling profiles (in-process, node:inspector) of ${PROFILED} nodes per hearsay round over the steady window, N=${profN}; ` +
            'these nodes are left out of the CPU mean. Self time; module = the hearsay source file (mapped through the bundle) or Node internal.',
          '',
          ...profSummary,
          '',
        ]
      : []),
  ].join('\n');
  const path = join(repoRoot, 'BENCHMARKS.md');
  let doc = existsSync(path) ? readFileSync(path, 'utf8') : '# hearsay benchmarks\n';
  const re = /^## hearsay vs memberlist\n[\s\S]*?(?=^## |(?![\s\S]))/m;
  doc = re.test(doc) ? doc.replace(re, `${section}\n`) : `${doc.trimEnd()}\n\n${section}`;
  writeFileSync(path, doc.endsWith('\n') ? doc : `${doc}\n`);
  log(`wrote the "hearsay vs memberlist" section of ${path}`);
}

try {
  await main();
} catch (error) {
  log(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  killAll();
}
