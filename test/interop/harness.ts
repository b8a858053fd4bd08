/**
 * Interop test harness: real Go memberlist peers (test/interop/peer, built against Debian's
 * memberlist v0.2.2) and hearsay nodes on 127.0.0.1, with event logs and deadline-based waits.
 *
 * Rules every helper here follows:
 * - never sleep-then-assert: wait for a predicate with a deadline, and on timeout fail with the
 *   relevant event log so the failure says what *did* happen;
 * - every child process and every hearsay node is tracked and torn down by {@link cleanupAll}
 *   (call it from `afterAll`), with a `process.on('exit')` SIGKILL safety net; Go peers also exit
 *   when their stdin closes, so a runner that dies cannot leave them behind;
 * - loopback only.
 * @module
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
// Types only at load time: hearsay itself is imported lazily in startHearsay(), so the Go-only
// baseline tests (and the harness) still load while hearsay's internals do not build.
import type { Hearsay, HearsayEvents, HearsayOptions, MemberSnapshot, Metrics, MetricLabels } from '../../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const binDir = join(here, 'bin');
/** Where {@link ensureGoPeerBuilt} puts the Go peer (gitignored). */
export const GO_PEER_BIN = join(binDir, 'peer');
const GO_PEER_SRC = join(here, 'peer', 'main.go');
const GOCODE = process.env.GOCODE ?? '/usr/share/gocode';
const BUILD_TIMEOUT_MS = 180_000;

// ------------------------------------------------------------------------------------------------
// Timing shared by Go peers and hearsay nodes
// ------------------------------------------------------------------------------------------------

/**
 * Fast protocol timings for loopback tests, applied identically to Go peers and hearsay nodes so
 * both sides agree on failure-detection time. Starting point is memberlist's DefaultLocalConfig.
 *
 * suspicionMult 2 makes Lifeguard's k = mult − 2 = 0, so a suspicion always runs for exactly
 * min = 2 × max(1, log10 n) × probeInterval = 800 ms for n ≤ 10: a crash is declared within
 * a couple of seconds, and a wrongly suspected node still has 800 ms to refute.
 */
export const FAST = Object.freeze({
  probeIntervalMs: 400,
  probeTimeoutMs: 200,
  gossipIntervalMs: 50,
  suspicionMult: 2,
  pushPullIntervalMs: 3000,
  tcpTimeoutMs: 2000,
});

/** Generous per-step deadline: timings above converge in well under this on an idle machine. */
export const STEP_MS = 15_000;

// ------------------------------------------------------------------------------------------------
// Availability policy
// ------------------------------------------------------------------------------------------------

/** True when CI is set (any non-empty value other than "false"/"0"): interop must run, never skip. */
export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== '' && v !== 'false' && v !== '0';
}

function commandWorks(cmd: string, args: string[]): boolean {
  try {
    const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return r.status === 0;
  } catch {
    return false;
  }
}

/** Why the Go peer cannot be built here, or undefined when the prerequisites are installed. */
function goPrerequisiteProblem(): string | undefined {
  if (!commandWorks(goBinary(), ['version'])) return `no Go toolchain ("${goBinary()} version" failed; apt-get install golang-go)`;
  if (!existsSync(join(GOCODE, 'src/github.com/hashicorp/memberlist/net.go'))) {
    return `no memberlist source under ${GOCODE} (apt-get install golang-github-hashicorp-memberlist-dev)`;
  }
  return undefined;
}

function goBinary(): string {
  return process.env.GO ?? 'go';
}

let buildPromise: Promise<string | undefined> | undefined;

/**
 * Builds the Go peer once (per process) into test/interop/bin/peer, offline, in GOPATH mode
 * against the system memberlist. Rebuilds when main.go is newer than the binary. Resolves to
 * the binary path, or `undefined` when Go or memberlist are not installed. A compile error
 * (prerequisites present, build failed) rejects: that is a bug, not a missing dependency.
 */
export function ensureGoPeerBuilt(): Promise<string | undefined> {
  buildPromise ??= buildGoPeer();
  return buildPromise;
}

async function buildGoPeer(): Promise<string | undefined> {
  if (existsSync(GO_PEER_BIN) && statSync(GO_PEER_BIN).mtimeMs >= statSync(GO_PEER_SRC).mtimeMs) return GO_PEER_BIN;
  const problem = goPrerequisiteProblem();
  if (problem) {
    lastUnavailable = problem;
    return undefined;
  }
  mkdirSync(binDir, { recursive: true });
  // Vitest runs test files in parallel processes: build to a private name, then rename (atomic).
  const tmp = `${GO_PEER_BIN}.${process.pid}.tmp`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GOPATH: GOCODE,
    GO111MODULE: 'off',
    GOFLAGS: '',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
    CGO_ENABLED: '0',
  };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(binDir, 'gocache');
  const { code, output } = await run(goBinary(), ['build', '-o', tmp, './test/interop/peer'], { cwd: repoRoot, env, timeoutMs: BUILD_TIMEOUT_MS });
  if (code !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`building the Go interop peer failed (exit ${code}):\n${output}`);
  }
  renameSync(tmp, GO_PEER_BIN);
  return GO_PEER_BIN;
}

let lastUnavailable = '';

/** True when `serf` is on PATH (or $SERF) and runs. */
export function serfAvailable(): boolean {
  return commandWorks(process.env.SERF ?? 'serf', ['version']);
}

/**
 * The interop availability policy. Resolves `true` when everything requested is installed (and
 * the Go peer is built). When something is missing: in CI (`CI` set) it **throws**, so the test
 * file fails instead of silently skipping; locally it logs why and resolves `false` so the file
 * can `describe.skipIf(!ok)`.
 */
export async function requireInterop(needs: { go?: boolean; serf?: boolean } = { go: true }): Promise<boolean> {
  const missing: string[] = [];
  if (needs.go !== false) {
    const bin = await ensureGoPeerBuilt();
    if (!bin) missing.push(lastUnavailable || 'Go peer unavailable');
  }
  if (needs.serf && !serfAvailable()) missing.push('no serf binary (apt-get install serf)');
  if (missing.length === 0) return true;
  const msg = `interop prerequisites missing: ${missing.join('; ')}`;
  if (inCI()) throw new Error(`${msg} — interop tests must run in CI`);
  console.warn(`[interop] skipping: ${msg}`);
  return false;
}

// ------------------------------------------------------------------------------------------------
// Process bookkeeping
// ------------------------------------------------------------------------------------------------

const liveChildren = new Set<ChildProcessWithoutNullStreams>();
const liveNodes = new Set<Hearsay>();
const cleanups = new Set<() => Promise<void>>();

/** Registers a child process for the exit-time safety net. */
export function trackChild(child: ChildProcessWithoutNullStreams): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

/** Registers an async cleanup to run in {@link cleanupAll}; returns an unregister function. */
export function onCleanup(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) {
      try {
        child.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
  });
}

/** Shuts down every hearsay node and kills every child started through this harness. For `afterAll`. */
export async function cleanupAll(): Promise<void> {
  const jobs: Promise<unknown>[] = [];
  for (const fn of cleanups) jobs.push(fn().catch(() => {}));
  cleanups.clear();
  for (const node of liveNodes) jobs.push(node.shutdown().catch(() => {}));
  liveNodes.clear();
  await Promise.all(jobs);
  await Promise.all([...liveChildren].map((c) => killAndWait(c, 'SIGKILL', 5000)));
}

/** Sends `signal` and resolves when the process has exited (or after `ms`). */
export function killAndWait(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      resolve();
    }
    child.once('exit', done);
    try {
      child.kill(signal);
    } catch {
      done();
    }
  });
}

/** Runs a command to completion with a deadline; never rejects. */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; output: string }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({ code: -1, stdout, stderr: String(error), output: String(error) });
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + String(error), output: stdout + stderr + String(error) });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: stdout + stderr });
    });
  });
}

// ------------------------------------------------------------------------------------------------
// Generic waiting
// ------------------------------------------------------------------------------------------------

/**
 * Polls `check` until it returns a truthy value or the deadline passes. `describe` produces the
 * failure message (called once, at timeout) — make it say what the state *was*.
 */
export async function waitUntil<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  timeoutMs: number,
  describe: () => string | Promise<string>,
  pollMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms: ${await describe()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

// ------------------------------------------------------------------------------------------------
// Go peer
// ------------------------------------------------------------------------------------------------

/** A node as the Go peer reports it. `state`: 0 alive, 1 suspect, 2 dead, 3 left (-1 unknown). */
export interface GoNode {
  readonly name: string;
  readonly addr: string;
  readonly port: number;
  /** Node meta, hex. */
  readonly meta: string;
  readonly state: number;
  readonly incarnation: number;
  /** [PMin, PMax, PCur, DMin, DMax, DCur] */
  readonly vsn: readonly number[];
}

/** memberlist NodeStateType values. */
export const GoState = Object.freeze({ alive: 0, suspect: 1, dead: 2, left: 3 });

/** One JSON line from the Go peer, plus when it arrived. */
export type PeerEvent =
  | { event: 'ready'; addr: string; name: string; pid: number; at: number }
  | { event: 'join' | 'leave' | 'update'; node: GoNode; at: number }
  | { event: 'members'; members: GoNode[]; at: number }
  | { event: 'joined'; contacted: number; at: number }
  | { event: 'error'; cmd?: string; error: string; contacted?: number; fatal?: boolean; at: number }
  | { event: 'log'; level: string; line: string; at: number }
  | { event: 'stats'; decryptFailures: number; logErrors: number; healthScore: number; numMembers: number; udpDropped: number; at: number }
  | { event: 'udp'; deaf: boolean; at: number }
  | { event: 'keyring'; op: string; keys: string[]; primary: string; at: number }
  | { event: 'message'; data: string; at: number }
  | { event: 'stderr'; line: string; at: number }
  | { event: 'exit'; code: number | null; signal: string | null; at: number }
  | { event: 'meta-updated' | 'left' | 'shutdown' | 'pong' | 'user-queued'; at: number }
  | { event: 'sent'; to: string; at: number };

/** How to start a Go peer. Every field optional except `name`. */
export interface GoPeerOptions {
  readonly name: string;
  /** Default `127.0.0.1:0` (memberlist picks a free port, retrying the TCP+UDP pair). */
  readonly bind?: string;
  readonly seeds?: readonly string[];
  /** AES keys (raw bytes or base64); the first is the primary. */
  readonly keys?: readonly (Uint8Array | string)[];
  readonly compression?: boolean;
  /** Default `local`. */
  readonly preset?: 'lan' | 'wan' | 'local';
  readonly meta?: Uint8Array;
  /** [min, max, cur]; default [0,0,0] (memberlist default = hearsay default). */
  readonly delegateVersions?: readonly [number, number, number];
  readonly protocol?: number;
  /** Timing overrides; default {@link FAST}. Pass `{}` for the preset as is. */
  readonly timings?: Partial<typeof FAST>;
  /** Report every memberlist log line, not only ERR/WARN. */
  readonly verbose?: boolean;
  /** Wrap the transport so {@link GoPeer.setUdpDeaf} can drop all inbound UDP. */
  readonly udpFilter?: boolean;
  /** Ready deadline, ms (default 10 000). */
  readonly readyTimeoutMs?: number;
}

type PeerWaiter = { pred: (e: PeerEvent) => boolean; from: number; resolve: (e: PeerEvent) => void };

const toB64 = (k: Uint8Array | string): string => (typeof k === 'string' ? k : Buffer.from(k).toString('base64'));
/** Bytes → lowercase hex (the Go peer's encoding of meta and user data). */
export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** One real memberlist node in a child process. */
export class GoPeer {
  /** Every event so far, in arrival order. */
  readonly events: PeerEvent[] = [];
  /** `127.0.0.1:port` once ready. */
  addr = '';
  private readonly waiters = new Set<PeerWaiter>();

  private constructor(
    readonly name: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {}

  /** Spawns a peer and resolves once it has reported `ready`. */
  static async start(opts: GoPeerOptions): Promise<GoPeer> {
    const bin = await ensureGoPeerBuilt();
    if (!bin) throw new Error(`Go peer unavailable: ${lastUnavailable}`);
    installExitHook();
    const t = { ...FAST, ...(opts.timings ?? {}) };
    const args = ['-name', opts.name, '-bind', opts.bind ?? '127.0.0.1:0', '-preset', opts.preset ?? 'local'];
    if (opts.seeds?.length) args.push('-seeds', opts.seeds.join(','));
    if (opts.keys?.length) args.push('-key', opts.keys.map(toB64).join(','));
    if (opts.compression !== undefined) args.push(`-compression=${opts.compression}`);
    if (opts.meta) args.push('-meta', hex(opts.meta));
    if (opts.delegateVersions) args.push('-delegate-versions', opts.delegateVersions.join(','));
    if (opts.protocol !== undefined) args.push('-protocol', String(opts.protocol));
    if (opts.verbose) args.push('-verbose');
    if (opts.udpFilter) args.push('-udp-filter');
    if (opts.timings === undefined || Object.keys(opts.timings).length > 0) {
      if (t.probeIntervalMs) args.push('-probe-interval-ms', String(t.probeIntervalMs));
      if (t.probeTimeoutMs) args.push('-probe-timeout-ms', String(t.probeTimeoutMs));
      if (t.gossipIntervalMs) args.push('-gossip-interval-ms', String(t.gossipIntervalMs));
      if (t.suspicionMult) args.push('-suspicion-mult', String(t.suspicionMult));
      if (t.pushPullIntervalMs !== undefined) args.push('-pushpull-interval-ms', String(t.pushPullIntervalMs));
      if (t.tcpTimeoutMs) args.push('-tcp-timeout-ms', String(t.tcpTimeoutMs));
    }
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(child);
    const peer = new GoPeer(opts.name, child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      let parsed: PeerEvent;
      try {
        parsed = { ...(JSON.parse(line) as object), at: Date.now() } as PeerEvent;
      } catch {
        parsed = { event: 'stderr', line: `(stdout) ${line}`, at: Date.now() };
      }
      peer.push(parsed);
    });
    createInterface({ input: child.stderr }).on('line', (line) => peer.push({ event: 'stderr', line, at: Date.now() }));
    child.on('exit', (code, signal) => peer.push({ event: 'exit', code, signal, at: Date.now() }));
    child.stdin.on('error', () => {}); // EPIPE after a kill
    const ready = await peer.waitFor(
      (e) => e.event === 'ready' || e.event === 'exit' || (e.event === 'error' && e.fatal === true),
      opts.readyTimeoutMs ?? 10_000,
      'ready',
    );
    if (ready.event !== 'ready') throw new Error(`Go peer ${opts.name} failed to start: ${peer.tail()}`);
    peer.addr = ready.addr;
    return peer;
  }

  /** PID of the child. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True while the child runs. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  private push(e: PeerEvent): void {
    this.events.push(e);
    const index = this.events.length - 1;
    for (const w of this.waiters) {
      if (index >= w.from && w.pred(e)) {
        this.waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  /** Index the next event will get: pass it as `from` to wait only for later events. */
  get cursor(): number {
    return this.events.length;
  }

  /**
   * Resolves with the first event (at index ≥ `from`, default 0) matching `pred`, or rejects at
   * the deadline with this peer's recent events.
   */
  waitFor(pred: (e: PeerEvent) => boolean, timeoutMs: number, what = 'event', from = 0): Promise<PeerEvent> {
    for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!)) return Promise.resolve(this.events[i]!);
    return new Promise((resolve, reject) => {
      const w: PeerWaiter = {
        pred,
        from,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`Go peer ${this.name}: timed out after ${timeoutMs} ms waiting for ${what}\n${this.tail()}`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Membership event (`join`/`leave`/`update`) about `node` matching `pred`. */
  waitForNode(
    kind: 'join' | 'leave' | 'update',
    node: string,
    pred: (n: GoNode) => boolean = () => true,
    timeoutMs = STEP_MS,
    from = 0,
  ): Promise<GoNode> {
    return this.waitFor((e) => e.event === kind && e.node.name === node && pred(e.node), timeoutMs, `${kind} of ${node}`, from).then(
      (e) => (e as Extract<PeerEvent, { node: GoNode }>).node,
    );
  }

  /** Sends one command line. */
  command(line: string): void {
    if (!this.running) throw new Error(`Go peer ${this.name} is not running (command: ${line})`);
    this.child.stdin.write(`${line}\n`);
  }

  /** Sends a command and waits for the first later event named `reply` (or an `error` for `cmd`). */
  async request<K extends PeerEvent['event']>(line: string, reply: K, timeoutMs = STEP_MS): Promise<Extract<PeerEvent, { event: K }>> {
    const from = this.cursor;
    const cmd = line.split(/\s+/)[0];
    this.command(line);
    const e = await this.waitFor((x) => x.event === reply || (x.event === 'error' && x.cmd === cmd), timeoutMs, `reply "${reply}" to "${line}"`, from);
    if (e.event === 'error') throw new Error(`Go peer ${this.name}: "${line}" failed: ${e.error}`);
    return e as Extract<PeerEvent, { event: K }>;
  }

  /** memberlist `Members()`: alive and suspect nodes (dead/left excluded by memberlist itself). */
  async members(): Promise<GoNode[]> {
    return (await this.request('members', 'members', 5000)).members;
  }

  /** Joins through `seeds`; resolves with the number contacted, rejects if none answered. */
  async join(seeds: readonly string[], timeoutMs = STEP_MS): Promise<number> {
    return (await this.request(`join ${seeds.join(',')}`, 'joined', timeoutMs)).contacted;
  }

  /** UpdateNode with new meta; resolves once memberlist says the update was broadcast. */
  async setMeta(meta: Uint8Array): Promise<void> {
    await this.request(`meta ${hex(meta)}`, 'meta-updated');
  }

  /** Graceful `Leave(timeoutMs)`; the node keeps running until {@link stop}. */
  async leave(timeoutMs = 5000): Promise<void> {
    await this.request(`leave ${timeoutMs}`, 'left', timeoutMs + 5000);
  }

  async stats(): Promise<Extract<PeerEvent, { event: 'stats' }>> {
    return this.request('stats', 'stats', 5000);
  }

  /** `keyring add|use|remove` with a key (raw or base64). */
  async keyring(op: 'add' | 'use' | 'remove', key: Uint8Array | string): Promise<Extract<PeerEvent, { event: 'keyring' }>> {
    return this.request(`keyring ${op} ${toB64(key)}`, 'keyring', 5000);
  }

  /** One UDP user message to `addr` through memberlist's packet path (encrypted with our primary key). */
  async sendTo(addr: string, payload: Uint8Array): Promise<void> {
    await this.request(`sendto ${addr} ${hex(payload)}`, 'sent', 5000);
  }

  /** Drop (true) or resume (false) every inbound datagram; TCP unaffected. Needs `udpFilter`. */
  async setUdpDeaf(deaf: boolean): Promise<void> {
    await this.request(`udp ${deaf ? 'deaf' : 'hear'}`, 'udp', 5000);
  }

  /** Abrupt crash: SIGKILL, resolves when the process is gone. */
  async kill(): Promise<void> {
    await killAndWait(this.child, 'SIGKILL', 5000);
  }

  /** Clean stop (Shutdown without Leave), SIGKILL if it has not exited within `ms`. */
  async stop(ms = 5000): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    try {
      this.child.stdin.write('shutdown\n');
      this.child.stdin.end();
    } catch {
      /* gone */
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await exited;
    clearTimeout(timer);
  }

  /** The last `n` events, one per line, for failure messages. */
  tail(n = 40): string {
    return this.events
      .slice(-n)
      .map((e) => `  [${this.name}] ${JSON.stringify(e)}`)
      .join('\n');
  }

  /** ERR/WARN lines memberlist logged so far. */
  logLines(): string[] {
    return this.events.flatMap((e) => (e.event === 'log' ? [e.line] : []));
  }
}

/** Starts a Go peer and registers it for {@link cleanupAll}. */
export async function startGoPeer(opts: GoPeerOptions): Promise<GoPeer> {
  const peer = await GoPeer.start(opts);
  onCleanup(() => peer.stop(2000));
  return peer;
}

// ------------------------------------------------------------------------------------------------
// hearsay nodes
// ------------------------------------------------------------------------------------------------

type EventName = keyof HearsayEvents;
/** One recorded hearsay event. */
export interface Recorded {
  readonly type: EventName;
  readonly payload: Parameters<HearsayEvents[EventName]>[0];
  readonly at: number;
}

/** A metrics sink that keeps every counter, keyed by `name{k=v,…}` (labels sorted). */
export class RecordingMetrics implements Metrics {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  static key(name: string, labels?: MetricLabels): string {
    const l = labels ? Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`) : [];
    return l.length ? `${name}{${l.join(',')}}` : name;
  }
  increment(name: string, by = 1, labels?: MetricLabels): void {
    const k = RecordingMetrics.key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }
  gauge(name: string, value: number, labels?: MetricLabels): void {
    this.gauges.set(RecordingMetrics.key(name, labels), value);
  }
  observe(): void {}
  counter(name: string, labels?: MetricLabels): number {
    return this.counters.get(RecordingMetrics.key(name, labels)) ?? 0;
  }
  /** Every counter whose key starts with `prefix`, for failure messages. */
  dump(prefix = ''): string {
    return [...this.counters].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => `${k}=${v}`).join(', ');
  }
}

/** A hearsay node with everything it emitted. */
export interface HearsayHandle {
  readonly name: string;
  readonly node: Hearsay;
  readonly events: Recorded[];
  readonly metrics: RecordingMetrics;
  /** `127.0.0.1:port` it advertises. */
  readonly addr: string;
  /** Debug log lines (when started with `log: true`). */
  readonly logs: string[];
}

const ALL_EVENTS: EventName[] = ['join', 'update', 'suspect', 'alive', 'fail', 'leave', 'message', 'self:refute', 'self:health'];

/** Options for {@link startHearsay}: hearsay options minus `name`'s optionality, plus `log`. */
export type StartHearsayOptions = Partial<HearsayOptions> & { readonly name: string; readonly log?: boolean };

/**
 * `Hearsay.start({ name, bind: '127.0.0.1:0', preset: 'local', ...FAST, ...opts })` with an event
 * recorder attached before start and a {@link RecordingMetrics} sink (unless `opts.metrics` is given).
 * Registered for {@link cleanupAll}.
 */
export async function startHearsay(opts: StartHearsayOptions): Promise<HearsayHandle> {
  const metrics = opts.metrics instanceof RecordingMetrics ? opts.metrics : new RecordingMetrics();
  const logs: string[] = [];
  const { log, ...rest } = opts;
  const logger = log
    ? {
        debug: (f: object, m: string) => logs.push(`debug ${m} ${safeJson(f)}`),
        info: (f: object, m: string) => logs.push(`info ${m} ${safeJson(f)}`),
        warn: (f: object, m: string) => logs.push(`warn ${m} ${safeJson(f)}`),
        error: (f: object, m: string) => logs.push(`error ${m} ${safeJson(f)}`),
      }
    : undefined;
  const { Hearsay } = await import('../../src/index.js');
  const node = new Hearsay({
    bind: '127.0.0.1:0',
    preset: 'local',
    ...FAST,
    ...(logger ? { logger } : {}),
    ...rest,
    metrics: opts.metrics ?? metrics,
  });
  const events: Recorded[] = [];
  const on = node.on.bind(node) as (type: EventName, listener: (payload: Recorded['payload']) => void) => unknown;
  for (const type of ALL_EVENTS) on(type, (payload) => events.push({ type, payload, at: Date.now() }));
  liveNodes.add(node);
  await node.start();
  return { name: opts.name, node, events, metrics, addr: node.localMember.address, logs };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x instanceof Error ? x.message : x));
  } catch {
    return String(v);
  }
}

/** Short description of a recorded event, for failure messages. */
export function describeEvent(e: Recorded): string {
  const p = e.payload as { member?: MemberSnapshot };
  if (p.member) return `${e.type} ${p.member.name} ${p.member.state} inc=${p.member.incarnation} meta=${hex(p.member.metadata)}`;
  return `${e.type} ${safeJson(e.payload)}`;
}

/** The hearsay node's events so far, for failure messages. */
export function hearsayTail(h: HearsayHandle, n = 40): string {
  return h.events
    .slice(-n)
    .map((e) => `  [${h.name}] ${describeEvent(e)}`)
    .join('\n');
}

/**
 * Resolves with the first recorded event of `type` (at index ≥ `from`) whose payload matches
 * `pred`; rejects at the deadline with the node's event log, members and drop counters.
 */
export function waitForEvent<K extends EventName>(
  h: HearsayHandle,
  type: K,
  pred: (payload: Parameters<HearsayEvents[K]>[0]) => boolean = () => true,
  timeoutMs = STEP_MS,
  from = 0,
): Promise<Parameters<HearsayEvents[K]>[0]> {
  type P = Parameters<HearsayEvents[K]>[0];
  for (let i = from; i < h.events.length; i++) {
    const e = h.events[i]!;
    if (e.type === type && pred(e.payload as P)) return Promise.resolve(e.payload as P);
  }
  return new Promise((resolve, reject) => {
    const listener = (payload: P): void => {
      if (!pred(payload)) return;
      clearTimeout(timer);
      h.node.off(type, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      h.node.off(type, listener as never);
      reject(
        new Error(
          `hearsay ${h.name}: timed out after ${timeoutMs} ms waiting for "${type}"\n` +
            `members: ${describeMembers(h.node.members())}\n` +
            `drops: ${h.metrics.dump('hearsay.packets.dropped') || 'none'}\n${hearsayTail(h)}`,
        ),
      );
    }, timeoutMs);
    h.node.on(type, listener as never);
  });
}

/** `waitForEvent` for a membership event about the member named `name`. */
export function waitForMemberEvent(
  h: HearsayHandle,
  type: 'join' | 'update' | 'suspect' | 'alive' | 'fail' | 'leave',
  name: string,
  pred: (m: MemberSnapshot) => boolean = () => true,
  timeoutMs = STEP_MS,
  from = 0,
): Promise<MemberSnapshot> {
  return waitForEvent(h, type, (p) => p.member.name === name && pred(p.member), timeoutMs, from).then((p) => p.member);
}

/** `name:state` list. */
export function describeMembers(ms: readonly { name: string; state: string | number }[]): string {
  return ms
    .map((m) => `${m.name}:${m.state}`)
    .sort()
    .join(' ');
}

/** Events of `type` about member `name` recorded so far. */
export function memberEvents(h: HearsayHandle, type: EventName, name: string): Recorded[] {
  return h.events.filter((e) => e.type === type && (e.payload as { member?: MemberSnapshot }).member?.name === name);
}

// ------------------------------------------------------------------------------------------------
// Mixed clusters
// ------------------------------------------------------------------------------------------------

/** A cluster of hearsay nodes and Go peers on loopback. */
export interface MixedCluster {
  readonly hearsay: HearsayHandle[];
  readonly go: GoPeer[];
  /** Every node name. */
  readonly names: string[];
}

/** Options shared by every node of a {@link startMixedCluster} cluster. */
export interface MixedClusterOptions {
  /** Name prefix so parallel clusters never mix (names are `${prefix}-h1`, `${prefix}-g1`, …). */
  readonly prefix: string;
  readonly hearsayCount?: number;
  readonly goCount?: number;
  /** Shared keyring (raw keys; first = primary). */
  readonly keys?: readonly Uint8Array[];
  readonly hearsayCompression?: boolean;
  readonly goCompression?: boolean;
  /** Extra hearsay options (metrics are always a RecordingMetrics). */
  readonly hearsayOptions?: Partial<HearsayOptions>;
  readonly hearsayLog?: boolean;
  readonly goVerbose?: boolean;
}

/** The metadata the cluster starts with: serf tags for hearsay nodes, raw bytes for Go peers. */
export const initialGoMeta = (name: string): Uint8Array => new TextEncoder().encode(`go:${name}`);
export const initialHearsayTags = (name: string): Record<string, string> => ({ impl: 'hearsay', name });

/**
 * Starts `hearsayCount` hearsay nodes and `goCount` Go peers (default 3 + 3) and joins them in a
 * chain that crosses implementations in both directions — h1 ← g1 (Go joins through a hearsay
 * seed) ← h2 (hearsay joins through a Go seed) ← g2 ← h3 ← g3 … — then waits until every node
 * lists every other as alive. Rejects (with each node's view) if that takes longer than `STEP_MS`.
 */
export async function startMixedCluster(opts: MixedClusterOptions): Promise<MixedCluster> {
  const nh = opts.hearsayCount ?? 3;
  const ng = opts.goCount ?? 3;
  const hearsay: HearsayHandle[] = [];
  const go: GoPeer[] = [];
  const startH = (i: number): Promise<HearsayHandle> => {
    const name = `${opts.prefix}-h${i}`;
    return startHearsay({
      name,
      metadata: initialHearsayTags(name),
      ...(opts.keys ? { secretKeys: opts.keys } : {}),
      ...(opts.hearsayCompression !== undefined ? { compression: opts.hearsayCompression } : {}),
      ...(opts.hearsayLog ? { log: true } : {}),
      ...(opts.hearsayOptions ?? {}),
    });
  };
  const startG = (i: number): Promise<GoPeer> => {
    const name = `${opts.prefix}-g${i}`;
    return startGoPeer({
      name,
      meta: initialGoMeta(name),
      ...(opts.keys ? { keys: opts.keys } : {}),
      ...(opts.goCompression !== undefined ? { compression: opts.goCompression } : {}),
      ...(opts.goVerbose ? { verbose: true } : {}),
    });
  };
  for (let i = 1; i <= nh; i++) hearsay.push(await startH(i));
  for (let i = 1; i <= ng; i++) go.push(await startG(i));

  // The chain: alternate implementations, each joining through the previous node.
  const chain: (HearsayHandle | GoPeer)[] = [];
  for (let i = 0; i < Math.max(nh, ng); i++) {
    if (i < nh) chain.push(hearsay[i]!);
    if (i < ng) chain.push(go[i]!);
  }
  for (let i = 1; i < chain.length; i++) {
    const joiner = chain[i]!;
    const seed = chain[i - 1]!.addr;
    if (joiner instanceof GoPeer) {
      const contacted = await joiner.join([seed]);
      if (contacted !== 1) throw new Error(`Go peer ${joiner.name} contacted ${contacted} seeds joining ${seed}`);
    } else {
      const r = await joiner.node.join([seed]);
      if (r.contacted !== 1) throw new Error(`hearsay ${joiner.name} contacted ${r.contacted} seeds joining ${seed}`);
    }
  }
  const cluster: MixedCluster = { hearsay, go, names: [...hearsay.map((h) => h.name), ...go.map((g) => g.name)] };
  await waitConverged(cluster, cluster.names, STEP_MS);
  return cluster;
}

/**
 * Waits until every running node of `cluster` (hearsay nodes that are running, Go peers that
 * are running and passed in `cluster.go`) lists exactly `expected` as alive (Go: state 0 in
 * Members(); hearsay: state 'alive'), and nothing else as alive.
 */
export async function waitConverged(cluster: MixedCluster, expected: readonly string[], timeoutMs: number): Promise<void> {
  const want = [...expected].sort().join(' ');
  const views = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const h of cluster.hearsay) {
      if (h.node.status !== 'running') continue;
      const alive = h.node.members().filter((m) => m.state === 'alive').map((m) => m.name);
      out.push(`${h.name}: ${alive.sort().join(' ')}`);
    }
    for (const g of cluster.go) {
      if (!g.running) continue;
      const alive = (await g.members()).filter((m) => m.state === GoState.alive).map((m) => m.name);
      out.push(`${g.name}: ${alive.sort().join(' ')}`);
    }
    return out;
  };
  await waitUntil(
    async () => (await views()).every((v) => v.slice(v.indexOf(': ') + 2) === want),
    timeoutMs,
    async () => `cluster did not converge on [${want}]; views:\n  ${(await views()).join('\n  ')}`,
    100,
  );
}

/** Random AES key. */
export function randomKey(bytes: 16 | 24 | 32 = 32): Uint8Array {
  const k = new Uint8Array(bytes);
  crypto.getRandomValues(k);
  return k;
}

// ------------------------------------------------------------------------------------------------
// Scenarios: the assertions of the issue, shared by the plain, encrypted and compression runs and
// by the Go-only baseline (which shows that real memberlist itself behaves as asserted).
// ------------------------------------------------------------------------------------------------

const utf8 = new TextEncoder();
const concat = (...parts: (Uint8Array | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Running hearsay nodes of the cluster, minus `except`. */
export function runningHearsay(c: MixedCluster, ...except: (HearsayHandle | undefined)[]): HearsayHandle[] {
  return c.hearsay.filter((h) => h.node.status === 'running' && !except.includes(h));
}
/** Running Go peers of the cluster, minus `except`. */
export function runningGo(c: MixedCluster, ...except: (GoPeer | undefined)[]): GoPeer[] {
  return c.go.filter((g) => g.running && !except.includes(g));
}

/** Cursor (next event index) of every node, to wait only for events after an action. */
function cursors(c: MixedCluster): Map<HearsayHandle | GoPeer, number> {
  const m = new Map<HearsayHandle | GoPeer, number>();
  for (const h of c.hearsay) m.set(h, h.events.length);
  for (const g of c.go) m.set(g, g.cursor);
  return m;
}

/**
 * First `leave` or `fail` event about `name` recorded by `h` at index ≥ `from`. Lets a test
 * assert *which* one came, instead of waiting for the expected one and timing out.
 */
export async function firstDeparture(h: HearsayHandle, name: string, from: number, timeoutMs = STEP_MS): Promise<Recorded> {
  return waitUntil(
    () =>
      h.events
        .slice(from)
        .find((e) => (e.type === 'leave' || e.type === 'fail') && (e.payload as { member: MemberSnapshot }).member.name === name),
    timeoutMs,
    () =>
      `hearsay ${h.name} never emitted leave/fail for ${name}; members: ${describeMembers(h.node.members())}; ` +
      `drops: ${h.metrics.dump('hearsay.packets.dropped') || 'none'}\n${hearsayTail(h)}`,
  );
}

/**
 * Scenario 1 detail: every Go peer sees every hearsay node at its real address with the exact
 * metadata bytes and Vsn hearsay advertises, and every hearsay node sees every Go peer likewise.
 */
export async function checkMemberDetails(c: MixedCluster, goDelegate: readonly number[] = [0, 0, 0]): Promise<void> {
  for (const g of runningGo(c)) {
    const view = await g.members();
    for (const h of runningHearsay(c)) {
      const me = h.node.localMember;
      const n = view.find((x) => x.name === h.name);
      expect(n, `${g.name} lists ${h.name}`).toBeDefined();
      expect({ addr: `${n!.addr}:${n!.port}`, meta: n!.meta, state: n!.state }, `${g.name}'s view of ${h.name}`).toEqual({
        addr: h.addr,
        meta: hex(me.metadata),
        state: GoState.alive,
      });
      const v = me.versions;
      expect(n!.vsn, `${g.name} sees ${h.name}'s Vsn`).toEqual([v.protocolMin, v.protocolMax, v.protocolCurrent, v.delegateMin, v.delegateMax, v.delegateCurrent]);
    }
  }
  for (const h of runningHearsay(c)) {
    const view = h.node.members();
    for (const g of runningGo(c)) {
      const m = view.find((x) => x.name === g.name);
      expect(m, `${h.name} lists ${g.name}`).toBeDefined();
      expect({ address: m!.address, state: m!.state, meta: hex(m!.metadata) }, `${h.name}'s view of ${g.name}`).toEqual({
        address: g.addr,
        state: 'alive',
        meta: hex(initialGoMetaOf(g)),
      });
      expect(m!.versions, `${h.name} sees ${g.name}'s Vsn`).toEqual({
        protocolMin: 1,
        protocolMax: 5,
        protocolCurrent: 2,
        delegateMin: goDelegate[0],
        delegateMax: goDelegate[1],
        delegateCurrent: goDelegate[2],
      });
    }
  }
}

const goMetaNow = new WeakMap<GoPeer, Uint8Array>();
function initialGoMetaOf(g: GoPeer): Uint8Array {
  return goMetaNow.get(g) ?? initialGoMeta(g.name);
}

/**
 * Scenario 4: `setMetadata` on a hearsay node reaches every Go peer's NotifyUpdate with the same
 * bytes (and every other hearsay node's `update`); Go `UpdateNode` reaches every hearsay node as
 * `update` with the new bytes and the old ones in `previous`. The bytes are deliberately not
 * UTF-8 and contain msgpack marker values, so a str/bin or UTF-8 mix-up shows.
 */
export async function checkMetadataBothWays(c: MixedCluster, fromH: HearsayHandle | undefined, fromG: GoPeer | undefined): Promise<void> {
  if (fromH) {
    const raw = concat([0x00, 0xff, 0xc4, 0x80, 0xfe, 0xd9, 0x22, 0x5c, 0xc3], utf8.encode(`meta from ${fromH.name}`));
    const at = cursors(c);
    await fromH.node.setMetadata(raw);
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('update', fromH.name, undefined, STEP_MS, at.get(g));
      expect(n.meta, `${g.name} NotifyUpdate(${fromH.name}).Meta`).toBe(hex(raw));
    }
    for (const h of runningHearsay(c, fromH)) {
      const m = await waitForMemberEvent(h, 'update', fromH.name, undefined, STEP_MS, at.get(h));
      expect(hex(m.metadata), `${h.name} update(${fromH.name}).metadata`).toBe(hex(raw));
    }
  }
  if (fromG) {
    const before = initialGoMetaOf(fromG);
    const raw = concat([0x01, 0x00, 0xfe, 0xc4, 0x80, 0xa5, 0xda], utf8.encode(`meta from ${fromG.name}`));
    const at = cursors(c);
    await fromG.setMeta(raw);
    goMetaNow.set(fromG, raw);
    for (const h of runningHearsay(c)) {
      const ev = await waitForEvent(h, 'update', (p) => p.member.name === fromG.name, STEP_MS, at.get(h));
      expect(hex(ev.member.metadata), `${h.name} update(${fromG.name}).member.metadata`).toBe(hex(raw));
      expect(hex(ev.previous.metadata), `${h.name} update(${fromG.name}).previous.metadata`).toBe(hex(before));
      expect(ev.member.state).toBe('alive');
    }
    for (const g of runningGo(c, fromG)) {
      const n = await g.waitForNode('update', fromG.name, undefined, STEP_MS, at.get(g));
      expect(n.meta).toBe(hex(raw));
    }
  }
}

/**
 * Scenario 3: hearsay `leave()` → every Go peer's NotifyLeave shows the node *left* (state 3),
 * not dead; Go `Leave()` → every hearsay node emits `leave` (not `fail`). Leavers are shut down
 * afterwards.
 */
export async function checkLeaveBothWays(c: MixedCluster, leaverH: HearsayHandle | undefined, leaverG: GoPeer | undefined): Promise<void> {
  if (leaverH) {
    const at = cursors(c);
    await leaverH.node.leave({ timeoutMs: 5000 });
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', leaverH.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${leaverH.name} after its leave() (3 = left, 2 = dead)`).toBe(GoState.left);
    }
    for (const h of runningHearsay(c, leaverH)) {
      const e = await firstDeparture(h, leaverH.name, at.get(h)!);
      expect(e.type, `${h.name}: event for ${leaverH.name}'s leave()`).toBe('leave');
    }
    await leaverH.node.shutdown();
  }
  if (leaverG) {
    const at = cursors(c);
    await leaverG.leave(5000);
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, leaverG.name, at.get(h)!);
      expect(e.type, `${h.name}: event for ${leaverG.name}'s Leave()`).toBe('leave');
      expect((e.payload as { member: MemberSnapshot }).member.state).toBe('left');
    }
    for (const g of runningGo(c, leaverG)) {
      const n = await g.waitForNode('leave', leaverG.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${leaverG.name} after Leave()`).toBe(GoState.left);
    }
    await leaverG.stop();
  }
}

/**
 * Scenario 2: a Go peer killed with SIGKILL → every hearsay node emits `fail` (not `leave`); a
 * hearsay node shut down without leaving → every Go peer's NotifyLeave shows it dead (state 2).
 */
export async function checkFailBothWays(c: MixedCluster, victimG: GoPeer | undefined, victimH: HearsayHandle | undefined): Promise<void> {
  if (victimG) {
    const at = cursors(c);
    await victimG.kill();
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, victimG.name, at.get(h)!);
      expect(e.type, `${h.name}: event for SIGKILLed ${victimG.name}`).toBe('fail');
      expect((e.payload as { member: MemberSnapshot }).member.state).toBe('dead');
    }
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', victimG.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of SIGKILLed ${victimG.name}`).toBe(GoState.dead);
    }
  }
  if (victimH) {
    const at = cursors(c);
    await victimH.node.shutdown();
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', victimH.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${victimH.name} after shutdown() without leave (2 = dead, 3 = left)`).toBe(GoState.dead);
    }
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, victimH.name, at.get(h)!);
      expect(e.type, `${h.name}: event for crashed ${victimH.name}`).toBe('fail');
    }
  }
}

/** `name` is in nobody's member list and no node ever emitted an event about it. */
export async function expectNeverSeen(c: MixedCluster, name: string): Promise<void> {
  for (const h of runningHearsay(c)) {
    expect(h.node.members().map((m) => m.name), `${h.name}'s members`).not.toContain(name);
    expect(h.events.filter((e) => (e.payload as { member?: MemberSnapshot }).member?.name === name).map(describeEvent), `${h.name}'s events about ${name}`).toEqual([]);
  }
  for (const g of runningGo(c)) {
    expect((await g.members()).map((m) => m.name), `${g.name}'s members`).not.toContain(name);
    expect(g.events.filter((e) => 'node' in e && e.node.name === name), `${g.name}'s events about ${name}`).toEqual([]);
  }
}

/**
 * Rotates the primary key on every running node the memberlist way: install `next` everywhere,
 * then make it primary everywhere, then remove `prev` everywhere. At no point does any node
 * encrypt with a key some other node lacks.
 */
export async function rotateKeys(c: MixedCluster, prev: Uint8Array, next: Uint8Array): Promise<void> {
  const ring = (h: HearsayHandle) => {
    const k = h.node.keyring;
    if (!k) throw new Error(`${h.name} has no keyring`);
    return k;
  };
  for (const h of runningHearsay(c)) ring(h).addKey(next);
  for (const g of runningGo(c)) await g.keyring('add', next);
  for (const h of runningHearsay(c)) ring(h).useKey(next);
  for (const g of runningGo(c)) await g.keyring('use', next);
  for (const h of runningHearsay(c)) ring(h).removeKey(prev);
  for (const g of runningGo(c)) {
    const r = await g.keyring('remove', prev);
    expect(r.keys).toEqual([Buffer.from(next).toString('base64')]);
  }
  for (const h of runningHearsay(c)) expect(ring(h).keys.map(hex)).toEqual([hex(next)]);
}

export { sameBytes };
