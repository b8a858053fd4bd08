/** Runs an example the way a reader would (`tsx examples/x.ts`), bounded in time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root; `hearsay` resolves to its sources through tsconfig.json's `paths`. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Output and exit code of one example run. */
export interface ExampleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Starts `examples/<file>` with `args`; the caller owns the child. */
export function startExample(file: string, args: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', `examples/${file}`, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs `examples/<file>` to completion; rejects (after killing it) if it takes over `timeoutMs`. */
export function runExample(file: string, args: readonly string[] = [], timeoutMs = 30_000): Promise<ExampleRun> {
  return new Promise((resolve, reject) => {
    const child = startExample(file, args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`examples/${file} still running after ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
