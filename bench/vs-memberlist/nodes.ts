/**
 * The bench's child processes: one node per OS process (hearsay or memberlist, the same
 * JSON-lines protocol), what each reports, and the kill-everything safety net.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { log, name, repoRoot, type Impl } from './config.js';

/** Every child ever spawned, until it exits: SIGKILLed on the way out, whatever happens. */
const live = new Set<ChildProcessWithoutNullStreams>();

/** SIGKILLs every child still running. */
export function killAll(): void {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/** SIGKILLs every child on exit and on SIGINT/SIGTERM/SIGHUP (then exits 130). Call once, first. */
export function killChildrenOnExit(): void {
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      log(`${sig}: killing ${live.size} children`);
      killAll();
      process.exit(130);
    });
  }
}

/** One node's report that another left (3) or failed (2), stamped with the reporter's clock. */
export interface Departure {
  readonly observer: string;
  readonly name: string;
  /** 2 = dead (failed), 3 = left. */
  readonly state: number;
  readonly ts: number;
}

/** What the whole cluster reported, in the order the bench read it. */
export class Cluster {
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

/** One child process: its replies, and the membership it reports, folded into its {@link Cluster}. */
export class Node {
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
