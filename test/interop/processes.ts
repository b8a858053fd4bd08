/**
 * Process bookkeeping for the interop tests: every child process and every hearsay node started
 * through the harness is tracked and torn down by {@link cleanupAll} (call it from `afterAll`),
 * with a `process.on('exit')` SIGKILL safety net.
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Hearsay } from '../../src/index.js';

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

/** Registers a hearsay node for {@link cleanupAll}. */
export function trackNode(node: Hearsay): void {
  liveNodes.add(node);
}

let exitHookInstalled = false;
/** Installs (once) the `exit` hook that SIGKILLs every tracked child a crashed runner leaves. */
export function installExitHook(): void {
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
