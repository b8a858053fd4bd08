/**
 * One real memberlist node (test/interop/peer, built against Debian's memberlist v0.2.2) in a
 * child process, driven over its JSON-lines stdin/stdout protocol.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ensureGoPeerBuilt, goPeerUnavailableReason } from './go-build.js';
import { installExitHook, killAndWait, onCleanup, trackChild } from './processes.js';
import { FAST, STEP_MS } from './timing.js';

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
  | { event: 'sent'; to: string; at: number }
  /** `stateHooks`: Delegate.LocalState(join) was called / MergeRemoteState(data, join) received `data` (hex). */
  | { event: 'local-state'; join: boolean; at: number }
  | { event: 'merge-state'; join: boolean; data: string; at: number }
  | { event: 'state-set'; data: string; at: number }
  /** `pingDelegate`: NotifyPingComplete(member, rtt, payload); `nil` when the ack's payload was Go's nil. */
  | { event: 'ping-complete'; member: string; rttMs: number; payload: string; nil: boolean; at: number };

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
  /** Report Delegate.LocalState / MergeRemoteState calls, sending `userState` as our push/pull user state (peer/hooks.go). */
  readonly stateHooks?: { readonly userState: Uint8Array };
  /** Install a PingDelegate reporting NotifyPingComplete; `ackPayload` is what AckPayload() returns (default nil). */
  readonly pingDelegate?: { readonly ackPayload?: Uint8Array };
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
    if (!bin) throw new Error(`Go peer unavailable: ${goPeerUnavailableReason()}`);
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
    if (opts.stateHooks) args.push('-state-hooks', '-user-state', hex(opts.stateHooks.userState));
    if (opts.pingDelegate) args.push('-ping-delegate', ...(opts.pingDelegate.ackPayload ? ['-ack-payload', hex(opts.pingDelegate.ackPayload)] : []));
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

  /** Replaces what LocalState returns from now on. Needs `stateHooks`. */
  async setUserState(state: Uint8Array): Promise<void> {
    await this.request(`state ${hex(state)}`, 'state-set', 5000);
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
