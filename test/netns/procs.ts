/**
 * Processes in the test bed: one `agent.ts` per namespace (hearsay), or a Go memberlist peer
 * (go-procs.ts), spawned with `ip netns exec`, their events recorded with arrival order, and the
 * signals the scenarios need (SIGKILL, SIGSTOP, SIGCONT). Every process is tracked and killed by
 * {@link stopAll}; a process `exit` hook SIGKILLs any that remain, and each process also exits
 * when its stdin closes.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { HearsayOptions } from '../../src/index.js';
import type { AgentConfig } from './agent.js';
import type { NodeSlot } from './bed.js';

const AGENT = fileURLToPath(new URL('./agent.ts', import.meta.url));
/** The port every node binds in its own namespace. */
export const PORT = 7946;

/** One line from an agent, plus where it came from. */
export interface AgentEvent {
  readonly event: string;
  /** Wall-clock ms, stamped by the agent. */
  readonly t: number;
  readonly member?: string;
  readonly state?: string;
  readonly incarnation?: number;
  readonly score?: number;
  readonly previous?: number;
  readonly [key: string]: unknown;
}

const live = new Set<BedProc>();
let exitHook = false;

/**
 * One process in a namespace of the bed, whatever runs in it: a hearsay agent ({@link NodeProc})
 * or a Go memberlist peer (`GoProc` in go-procs.ts). Subclasses turn their output into events in
 * the agent's vocabulary (`join`, `fail`, `leave`, …), so the cluster queries read both kinds.
 * Every instance is tracked until it exits: {@link stopAll} and the process `exit` hook (SIGKILL)
 * reach every process started in the bed, of either kind.
 */
export abstract class BedProc {
  /** Which implementation runs in the process. */
  abstract readonly kind: 'hearsay' | 'go';
  readonly events: AgentEvent[] = [];
  /** Lines on stderr (a crash's stack trace lands here). */
  readonly stderr: string[] = [];
  private readonly waiters = new Set<{ pred: (e: AgentEvent) => boolean; resolve: (e: AgentEvent) => void; reject: (why: string) => void }>();
  private stopped = false;

  protected constructor(
    readonly name: string,
    readonly slot: NodeSlot,
    readonly child: ChildProcessWithoutNullStreams,
  ) {
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const p of live) p.signal('SIGKILL');
      });
    }
    live.add(this);
    child.once('exit', (code, signal) => {
      live.delete(this);
      for (const w of this.waiters) w.reject(`exited (${signal ?? code})`);
      this.waiters.clear();
    });
    child.stdin.on('error', () => {}); // EPIPE after a kill
    createInterface({ input: child.stderr }).on('line', (line) => this.stderr.push(line));
  }

  /** Joins the cluster through `seed` (`ip:port`); rejects if the seed did not answer. */
  abstract join(seed: string): Promise<void>;
  /** Names this node lists as alive (self included), sorted. */
  abstract aliveNames(): Promise<string[]>;

  get address(): string {
    return `${this.slot.ip}:${PORT}`;
  }
  get pid(): number {
    return this.child.pid!;
  }
  /** The process is running (possibly stopped by SIGSTOP). */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Running and not stopped: it can answer commands. */
  get responsive(): boolean {
    return this.running && !this.stopped;
  }

  protected push(e: AgentEvent): void {
    this.events.push(e);
    for (const w of this.waiters) {
      if (w.pred(e)) {
        this.waiters.delete(w);
        w.resolve(e);
      }
    }
  }

  /** The first event (at index ≥ `from`) matching `pred`; rejects after `ms` with this node's recent events and stderr. */
  waitFor(pred: (e: AgentEvent) => boolean, ms: number, what: string, from = 0): Promise<AgentEvent> {
    const seen = this.events.slice(from).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = {
        pred,
        resolve: (e: AgentEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (why: string) => {
          clearTimeout(timer);
          reject(new Error(`${this.name} ${why} while waiting for ${what}\n${this.tail()}`));
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`${this.name}: timed out after ${ms} ms waiting for ${what}\n${this.tail()}`));
      }, ms);
      if (!this.running) w.reject('is not running');
      else this.waiters.add(w);
    });
  }

  /** Writes `line` to the process's stdin and waits for the first later event named `reply` (or an `error` about `cmd`). */
  protected async send(line: string, cmd: string, reply: string, ms: number): Promise<AgentEvent> {
    const from = this.events.length;
    this.child.stdin.write(`${line}\n`);
    const e = await this.waitFor((x) => x.event === reply || (x.event === 'error' && x.cmd === cmd), ms, `reply to ${line}`, from);
    if (e.event === 'error') throw new Error(`${this.name}: ${line} failed: ${String(e.error)}`);
    return e;
  }

  /** Sends `sig` (no-op once exited). SIGSTOP / SIGCONT also update {@link responsive}. */
  signal(sig: NodeJS.Signals): void {
    if (!this.running) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      return;
    }
    if (sig === 'SIGSTOP') this.stopped = true;
    if (sig === 'SIGCONT') this.stopped = false;
  }

  /** `kill -9`, resolving once the process is gone. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.signal('SIGKILL');
    await exited;
  }

  /** Events of `event` about `member` (at index ≥ `from`). */
  about(event: string, member: string, from = 0): AgentEvent[] {
    return this.events.slice(from).filter((e) => e.event === event && e.member === member);
  }

  /** Recent events and stderr, for failure messages. */
  tail(n = 30): string {
    const events = this.events.slice(-n).map((e) => `  [${this.name}] ${JSON.stringify(e)}`);
    const err = this.stderr.slice(-10).map((l) => `  [${this.name} stderr] ${l}`);
    return [...events, ...err].join('\n');
  }
}

/** One hearsay agent process in a namespace. */
export class NodeProc extends BedProc {
  readonly kind = 'hearsay';

  /** Starts an agent named `name` in `slot`'s namespace, bound to its address; resolves once it is `ready`. */
  static async start(name: string, slot: NodeSlot, options: Partial<HearsayOptions> = {}): Promise<NodeProc> {
    const config: AgentConfig = { name, bind: `${slot.ip}:${PORT}`, options };
    // `ip netns exec` execs the command after entering the namespace: the child's pid is node's.
    const child = spawn('ip', ['netns', 'exec', slot.ns, process.execPath, '--import', 'tsx', AGENT, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const p = new NodeProc(name, slot, child);
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        p.push(JSON.parse(line) as AgentEvent);
      } catch {
        p.stderr.push(`(stdout) ${line}`);
      }
    });
    await p.waitFor((e) => e.event === 'ready', 30_000, 'ready');
    return p;
  }

  /** Sends a command and waits for its reply event (or an `error` about it). */
  request(cmd: Record<string, unknown>, reply: string, ms = 15_000): Promise<AgentEvent> {
    return this.send(JSON.stringify(cmd), String(cmd.cmd), reply, ms);
  }

  async join(seed: string): Promise<void> {
    await this.request({ cmd: 'join', seeds: [seed] }, 'joined');
  }

  async aliveNames(): Promise<string[]> {
    const r = await this.request({ cmd: 'members' }, 'members', 10_000);
    return (r.members as { name: string; state: string }[])
      .filter((m) => m.state === 'alive')
      .map((m) => m.name)
      .sort();
  }
}

/** SIGCONTs and SIGKILLs every agent still running and waits until each has exited. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(async (p) => {
      p.signal('SIGCONT');
      await p.kill9();
    }),
  );
}

/** Pids of agents started through this module that still exist (checked in /proc, so also a zombie's). */
export function livePids(pids: readonly number[]): number[] {
  return pids.filter((pid) => existsSync(`/proc/${pid}`));
}
