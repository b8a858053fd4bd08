/**
 * serf agent helpers for the interop tests: start `serf agent` processes on 127.0.0.1, query and
 * drive them through the `serf` CLI over their RPC address, stop them by PID.
 *
 * Every agent is registered with the harness bookkeeping, so `cleanupAll()` (afterAll) kills it and
 * the process-exit hook SIGKILLs it if the runner dies. Every CLI call has a deadline.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { killAndWait, onCleanup, run, trackChild, waitUntil } from './harness.js';

const SERF = process.env.SERF ?? 'serf';
const CLI_TIMEOUT_MS = 10_000;

/** A member as `serf members -format json` prints it. */
export interface SerfMember {
  readonly name: string;
  /** `ip:port` */
  readonly addr: string;
  readonly port: number;
  readonly tags: Readonly<Record<string, string>>;
  /** alive | leaving | left | failed | none */
  readonly status: string;
  readonly protocol: { readonly min: number; readonly max: number; readonly version: number };
}

/** Options for {@link startSerfAgent}. */
export interface SerfAgentOptions {
  readonly name: string;
  /** `127.0.0.1:port`; default: a free port. */
  readonly bind?: string;
  /** RPC `127.0.0.1:port`; default: a free port. */
  readonly rpc?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** Base64 key for `-encrypt`. */
  readonly encrypt?: string;
  /** Timing profile; default `local` (memberlist DefaultLocalConfig). */
  readonly profile?: 'lan' | 'wan' | 'local';
  /** Addresses to `-join` at start. */
  readonly join?: readonly string[];
  /** Readiness deadline, ms (default 15 000). */
  readonly readyTimeoutMs?: number;
}

/** A running `serf agent`. */
export class SerfAgent {
  /** Agent log lines (stdout + stderr), in order. */
  readonly log: string[] = [];
  constructor(
    readonly name: string,
    readonly bind: string,
    readonly rpc: string,
    readonly child: ChildProcessWithoutNullStreams,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `serf members` through this agent. */
  members(): Promise<SerfMember[]> {
    return serfMembers(this.rpc);
  }

  /** Abrupt crash (SIGKILL): no leave, peers must detect the failure. */
  async kill(): Promise<void> {
    await killAndWait(this.child, 'SIGKILL', 5000);
  }

  /**
   * SIGTERM, then SIGKILL if still running after `ms`. (serf's default `leave_on_terminate` is
   * false, so SIGTERM shuts the agent down *without* a leave.)
   */
  async stop(ms = 5000): Promise<void> {
    if (!this.running) return;
    await killAndWait(this.child, 'SIGTERM', ms);
    if (this.running) await killAndWait(this.child, 'SIGKILL', 5000);
  }

  /** The last `n` log lines, for failure messages. */
  tail(n = 40): string {
    return this.log
      .slice(-n)
      .map((l) => `  [${this.name}] ${l}`)
      .join('\n');
  }
}

/**
 * A port free for both TCP and UDP on 127.0.0.1 right now (memberlist binds both on one port).
 * Racy by nature; {@link startSerfAgent} retries on "address already in use".
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const a = srv.address();
        srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const udpOk = await new Promise<boolean>((resolve) => {
      const sock = createSocket('udp4');
      sock.once('error', () => {
        sock.close();
        resolve(false);
      });
      sock.bind(port, '127.0.0.1', () => sock.close(() => resolve(true)));
    });
    if (udpOk && port > 0) return port;
  }
  throw new Error('could not find a port free for TCP and UDP on 127.0.0.1');
}

/**
 * Spawns `serf agent -node … -bind … -rpc-addr … -profile local -log-level debug [-tag k=v]…
 * [-encrypt …] [-join …]` and resolves when `serf members -rpc-addr …` answers (deadline
 * `readyTimeoutMs`). Retries with fresh ports when a port was taken in between.
 */
export async function startSerfAgent(opts: SerfAgentOptions): Promise<SerfAgent> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const bind = opts.bind ?? `127.0.0.1:${await freePort()}`;
    const rpc = opts.rpc ?? `127.0.0.1:${await freePort()}`;
    const args = ['agent', '-node', opts.name, '-bind', bind, '-rpc-addr', rpc, '-profile', opts.profile ?? 'local', '-log-level', 'debug'];
    for (const [k, v] of Object.entries(opts.tags ?? {})) args.push('-tag', `${k}=${v}`);
    if (opts.encrypt) args.push('-encrypt', opts.encrypt);
    for (const j of opts.join ?? []) args.push('-join', j);
    const child = spawn(SERF, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    trackChild(child);
    const agent = new SerfAgent(opts.name, bind, rpc, child);
    onCleanup(() => agent.stop(2000));
    createInterface({ input: child.stdout }).on('line', (l) => agent.log.push(l));
    createInterface({ input: child.stderr }).on('line', (l) => agent.log.push(l));
    child.on('error', (e) => agent.log.push(`spawn error: ${e.message}`));
    try {
      await waitUntil(
        async () => {
          if (!agent.running) throw new Error(`serf agent ${opts.name} exited (code ${child.exitCode}):\n${agent.tail()}`);
          const r = await run(SERF, ['members', '-rpc-addr', rpc], { timeoutMs: 3000 });
          return r.code === 0;
        },
        opts.readyTimeoutMs ?? 15_000,
        () => `serf agent ${opts.name} not ready:\n${agent.tail()}`,
        { pollMs: 200 },
      );
      return agent;
    } catch (error) {
      lastError = error instanceof Error ? error : new Error(String(error));
      await agent.stop(1000);
      const portClash = agent.log.some((l) => /address already in use/i.test(l));
      if (!portClash || opts.bind || opts.rpc) throw lastError;
    }
  }
  throw lastError ?? new Error('serf agent did not start');
}

/** `serf members -format json -rpc-addr rpc`, parsed. Rejects when the CLI fails. */
export async function serfMembers(rpc: string): Promise<SerfMember[]> {
  const r = await run(SERF, ['members', '-format', 'json', '-rpc-addr', rpc], { timeoutMs: CLI_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`serf members -rpc-addr ${rpc} failed (exit ${r.code}): ${r.output}`);
  return (JSON.parse(r.stdout) as { members: SerfMember[] }).members;
}

/** `serf join -rpc-addr rpc addr…`. */
export async function serfJoin(rpc: string, addrs: readonly string[]): Promise<void> {
  const r = await run(SERF, ['join', '-rpc-addr', rpc, ...addrs], { timeoutMs: CLI_TIMEOUT_MS });
  if (r.code !== 0) throw new Error(`serf join ${addrs.join(' ')} failed (exit ${r.code}): ${r.output}`);
}

/**
 * `serf leave -rpc-addr rpc`: the agent broadcasts serf's own leave intent, then memberlist
 * `Leave()` (a `dead` message with From == Node), then shuts down and exits.
 */
export async function serfLeave(rpc: string): Promise<void> {
  const r = await run(SERF, ['leave', '-rpc-addr', rpc], { timeoutMs: CLI_TIMEOUT_MS + 5000 });
  if (r.code !== 0) throw new Error(`serf leave -rpc-addr ${rpc} failed (exit ${r.code}): ${r.output}`);
}

/** Waits until `serf members` (via `rpc`) shows `name` with `status`, returning that member. */
export async function waitSerfMember(
  rpc: string,
  name: string,
  pred: (m: SerfMember) => boolean,
  timeoutMs: number,
  what: string,
): Promise<SerfMember> {
  let last: SerfMember[] = [];
  return waitUntil(
    async () => {
      last = await serfMembers(rpc);
      return last.find((m) => m.name === name && pred(m));
    },
    timeoutMs,
    () => `serf (${rpc}) never showed ${name} ${what}; last view: ${JSON.stringify(last)}`,
    { pollMs: 200 },
  );
}
