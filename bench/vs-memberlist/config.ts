/**
 * The vs-memberlist bench's settings (all from the environment; see the entry file's doc) and
 * the run's clock: when it started, its hard deadline, and the log stamped with it.
 * @module
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The two implementations compared. */
export type Impl = 'hearsay' | 'memberlist';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository's root: the children run there, BENCHMARKS.md is there. */
export const repoRoot = join(here, '..', '..');

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
/** Cluster sizes, in the order they run. */
export const NS = env('BENCH_N', '50,200')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n >= 5);
export const STEADY_MS = Number(env('BENCH_STEADY_S', '20')) * 1000;
export const SETTLE_MS = Number(env('BENCH_SETTLE_S', '10')) * 1000;
export const BUDGET_MS = Number(env('BENCH_BUDGET_S', '780')) * 1000;
export const PROFILE = env('BENCH_PROFILE', '1') !== '0';
/** Implementations, alternated within each N. */
export const IMPLS = env('BENCH_IMPLS', 'hearsay,memberlist')
  .split(',')
  .filter((x): x is Impl => x === 'hearsay' || x === 'memberlist');
export const WRITE = env('BENCH_WRITE', '1') !== '0';
export const SPAWN_CONCURRENCY = Number(env('BENCH_SPAWN_CONCURRENCY', '16'));
/** Nodes that leave gracefully, then nodes SIGKILLed, one after another per round. */
export const LEAVES = Math.max(1, Number(env('BENCH_LEAVES', '3')));
export const KILLS = Math.max(1, Number(env('BENCH_KILLS', '3')));
/** Join commands go out in waves (memberlist refuses more than 128 pending push/pulls on the seed). */
export const JOIN_WAVE = Math.max(1, Number(env('BENCH_JOIN_WAVE', '20')));
export const JOIN_WAVE_GAP_MS = Number(env('BENCH_JOIN_WAVE_GAP_MS', '200'));
/** Join convergence is not waited for past this; the round goes on if ≥ 90 % of the nodes converged. */
export const CONVERGE_CAP_MS = Number(env('BENCH_CONVERGE_CAP_S', '75')) * 1000;
/** Nothing runs past this: waits fail, children are killed, what was measured is reported. */
export const HARD_LIMIT_MS = Number(env('BENCH_HARD_LIMIT_S', '870')) * 1000;
/** Nodes profiled per hearsay round (indexes 1…PROFILED), and the V8 sampling interval. */
export const PROFILED = PROFILE ? 3 : 0;
export const PROFILE_INTERVAL_US = 100;

/** When the run started (unix ms); log lines count from here. */
export const startedAt = Date.now();
/** Past this (unix ms) every wait fails, so a run never outlasts BENCH_HARD_LIMIT_S. */
export const HARD_DEADLINE = startedAt + HARD_LIMIT_MS;
/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** One progress line on stdout, stamped with the seconds since the run started. */
export const log = (msg: string) => process.stdout.write(`[${((Date.now() - startedAt) / 1000).toFixed(1).padStart(6)}s] ${msg}\n`);
/** Node `i`'s name: n000, n001, … (n000 is the seed everyone joins). */
export const name = (i: number) => `n${String(i).padStart(3, '0')}`;
