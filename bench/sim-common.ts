/**
 * Shared plumbing of the simulation benchmarks (bench/sim-*.ts): building a converged cluster,
 * progress lines on stderr, the child-process protocol and small formatting helpers.
 *
 * Each bench/sim-*.ts file is both a module (its `render*` functions, used by bench/index.ts) and a
 * script: `tsx bench/sim-x.ts --json '{…}'` runs one measurement and prints its result as one JSON
 * line on stdout (progress goes to stderr). bench/index.ts runs every measurement in its own
 * child process, so memory figures are clean and a big heap is freed between runs.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator, type SimulatorOptions } from '../src/testing/simulator.js';

/** Node names n0…n{n-1}. */
export function nodeNames(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `n${i}`);
}

/**
 * A converged cluster of `n` nodes through {@link Simulator.bootstrapConverged} (no join storm;
 * see its doc for what is and is not reproduced). Virtual time is still 0.
 */
export async function bootstrappedCluster(n: number, options: SimulatorOptions): Promise<Simulator> {
  // The benchmarks watch events through listeners; a kept log would only grow.
  const sim = new Simulator({ recordLog: false, ...options });
  for (const name of nodeNames(n)) await sim.addNode(name);
  sim.bootstrapConverged();
  return sim;
}

/**
 * Converges `sim` (its nodes n0…n{n-1} added, not joined) the slow, real way: staggered joins
 * through n0 over one second (as test/sim/helpers.ts does), run until every node counts `n` live
 * members. Throws if that takes longer than `maxMs` of virtual time.
 */
export async function joinStorm(sim: Simulator, n: number, report: (simulatedMs: number) => void, maxMs = 300_000): Promise<void> {
  const start = sim.now;
  for (let i = 1; i < n; i++) sim.at(start + (i * 1000) / n, () => sim.join(`n${i}`, 'n0'));
  let last = 0;
  const ok = await sim.runUntil(
    () => {
      if (sim.now - last >= 2000) {
        last = sim.now;
        report(sim.now - start);
      }
      return sim.allSee(n);
    },
    maxMs,
    10,
  );
  if (!ok) throw new Error(`cluster of ${n} did not converge within ${maxMs} ms (virtual)`);
}

let progressLabel = 'bench';
let lastProgressAt = 0;

/** Sets the prefix of {@link progress} lines. */
export function setProgressLabel(label: string): void {
  progressLabel = label;
}

/** One progress line on stderr, at most every 2 s of wall time unless `force`. */
export function progress(message: string, force = false): void {
  const now = performance.now();
  if (!force && now - lastProgressAt < 2000) return;
  lastProgressAt = now;
  process.stderr.write(`  [${progressLabel}] ${message}\n`);
}

/** Wall-clock stopwatch, seconds. */
export function stopwatch(): () => number {
  const t = performance.now();
  return () => (performance.now() - t) / 1000;
}

/**
 * Runs `main(params)` when the calling module is the process's entry script and prints its result
 * as the last stdout line (`--json '<params>'` on the command line; `{}` if absent).
 */
export function runIfMain<P, R>(moduleUrl: string, main: (params: P) => R | Promise<R>): void {
  const entry = process.argv[1];
  if (entry === undefined || resolve(entry) !== fileURLToPath(moduleUrl)) return;
  const i = process.argv.indexOf('--json');
  const params = (i >= 0 ? JSON.parse(process.argv[i + 1] ?? '{}') : {}) as P;
  void Promise.resolve(main(params)).then(
    (result) => process.stdout.write(`${JSON.stringify(result)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

// ---- formatting ----------------------------------------------------------------------------

/** Fixed decimals, or "—" for undefined. */
export function fix(v: number | undefined, digits = 1): string {
  return v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits);
}

/** Thousands separators. */
export function int(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

/** Ms as seconds with 2 decimals, or "not reached". */
export function secs(ms: number | undefined, digits = 2): string {
  return ms === undefined ? 'not reached' : (ms / 1000).toFixed(digits);
}

/** A markdown table. */
export function table(header: readonly string[], align: string, rows: readonly (readonly string[])[]): string {
  const a = align.split('').map((c) => (c === 'r' ? '---:' : '---'));
  return [`| ${header.join(' | ')} |`, `|${a.join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
