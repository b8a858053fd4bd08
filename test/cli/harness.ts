/**
 * Runs the `hearsay` CLI from source in child processes (node --import tsx), collects an agent's
 * JSON log lines, and waits on them under deadlines.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = 'src/cli/main.ts';

/** What one CLI run printed, and how it exited. */
export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `hearsay ...args` to completion, killed after `timeoutMs`. */
export function hearsay(args: readonly string[], timeoutMs = 20_000, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hearsay ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      // 'exit' can come before the pipes drain; 'close' comes after.
      child.on('close', () => resolve({ code, stdout, stderr }));
    });
  });
}

/** One JSON log line of an agent. */
export interface Line {
  readonly msg: string;
  readonly level: string;
  readonly event?: string;
  readonly fields: Record<string, unknown>;
}

/** A running `hearsay agent --json`, its output parsed line by line. */
export class Agent {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  private readonly waiters = new Set<() => void>();
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'agent', '--json', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      const parts = (partial + d.toString()).split('\n');
      partial = parts.pop()!;
      for (const p of parts) if (p.trim()) this.lines.push(JSON.parse(p) as Line);
      for (const w of this.waiters) w();
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      for (const w of this.waiters) w();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => {
      for (const w of this.waiters) w();
      resolve(code);
    }));
  }

  /** Resolves with the first line matching `test`, waiting up to `ms`. */
  waitFor(test: (line: Line) => boolean, ms: number, what: string): Promise<Line> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.lines.find(test);
        if (found) finish(undefined, found);
        else if (this.child.exitCode !== null) finish(new Error(`agent exited (${this.child.exitCode}) before ${what}\n${this.dump()}`));
      };
      const finish = (error: Error | undefined, line?: Line): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        if (error) reject(error);
        else resolve(line!);
      };
      const timer = setTimeout(() => finish(new Error(`timed out after ${ms} ms waiting for ${what}\n${this.dump()}`)), ms);
      this.waiters.add(check);
      check();
    });
  }

  /** Resolves with the member event `event` about `name`. */
  waitEvent(event: string, name: string, ms: number, extra: (l: Line) => boolean = () => true): Promise<Line> {
    return this.waitFor((l) => l.event === event && l.fields.name === name && extra(l), ms, `${event} of ${name}`);
  }

  /** Names of every member this agent logged an event about. */
  eventNames(): Set<string> {
    return new Set(this.lines.filter((l) => l.event !== undefined).map((l) => String(l.fields.name)));
  }

  /** Stops the agent (SIGTERM, then SIGKILL after `ms`) and waits for it to exit. */
  async stop(ms = 10_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), ms);
    await this.exited;
    clearTimeout(timer);
  }

  dump(): string {
    return `stdout:\n${this.lines.map((l) => JSON.stringify(l)).join('\n')}\nstderr:\n${this.stderr}`;
  }
}
