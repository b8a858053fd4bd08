/**
 * `hearsay simulate`'s flags, and the heap the run gets; the run itself is in `simulate.ts`.
 * @module
 */
import { spawn } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { EXIT, UsageError, type ExitCode } from './exit.js';
import { parseFlags } from './flags.js';
import { formatResult, simulate, type SimulateArgs, type SimulateStart } from './simulate.js';

/** The most heap `simulate` gives itself, MB (16 GiB). */
export const MAX_HEAP_MB = 16_384;

/** Set in the environment of the process `simulate` restarts itself as, so it never restarts twice. */
const REEXEC_ENV = 'HEARSAY_SIMULATE_HEAP';

/**
 * The heap a run of `nodes` needs, MB, capped at {@link MAX_HEAP_MB}: every simulated node holds
 * the whole member table, so N² entries (up to ~150 B each with what a run allocates around them),
 * ~100 KiB per node, and 1 GiB for the rest.
 */
export function heapNeededMb(nodes: number): number {
  const bytes = nodes * nodes * 150 + nodes * 100 * 1024 + 2 ** 30;
  return Math.min(MAX_HEAP_MB, Math.ceil(bytes / 2 ** 20));
}

/** Parses the flags, runs the simulation (in a node with enough heap) and prints its table. */
export async function runSimulate(argv: readonly string[], help: () => string): Promise<ExitCode> {
  const { values } = parseFlags(argv, {
    nodes: { type: 'string', default: '100' },
    start: { type: 'string', default: 'auto' },
    loss: { type: 'string', default: '0' },
    crashes: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'hearsay-sim.svg' },
    heap: { type: 'string' },
    'no-lifeguard': { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    return EXIT.ok;
  }
  const args: SimulateArgs = {
    nodes: Number(values.nodes),
    start: values.start as SimulateStart,
    loss: Number(values.loss),
    crashes: Number(values.crashes),
    seed: Number(values.seed),
    out: values.out,
    lifeguard: !values['no-lifeguard'],
  };
  if (!Number.isInteger(args.nodes) || args.nodes < 3) throw new UsageError('--nodes', `must be an integer ≥ 3, got "${values.nodes}"`);
  if (!['auto', 'join', 'converged'].includes(args.start)) throw new UsageError('--start', `must be auto, join or converged, got "${values.start}"`);
  if (!(args.loss >= 0 && args.loss < 1)) throw new UsageError('--loss', `must be a fraction in [0, 1), got "${values.loss}"`);
  if (!Number.isInteger(args.crashes) || args.crashes < 1 || args.crashes > args.nodes - 2) throw new UsageError('--crashes', `must be an integer from 1 to nodes − 2, got "${values.crashes}"`);
  if (!Number.isInteger(args.seed)) throw new UsageError('--seed', `must be an integer, got "${values.seed}"`);
  const heapMb = values.heap === undefined ? heapNeededMb(args.nodes) : Number(values.heap);
  if (!Number.isInteger(heapMb) || heapMb < 256 || heapMb > MAX_HEAP_MB) throw new UsageError('--heap', `must be an integer number of MB from 256 to ${MAX_HEAP_MB}, got "${values.heap}"`);
  // Node's default heap limit (about 4 GiB) holds some 4,000 nodes; a larger run restarts node with more.
  const limitMb = getHeapStatistics().heap_size_limit / 2 ** 20;
  if (heapMb > limitMb && process.env[REEXEC_ENV] === undefined) return rerun(heapMb);
  // `await` keeps this correct whether simulate() returns a result or a promise of one.
  const result = await simulate(args);
  process.stdout.write(`${formatResult(args, result)}\n`);
  return EXIT.ok;
}

/**
 * Runs this same command in a new node process with a `heapMb` heap limit (and a larger young
 * generation, which the simulator's short-lived garbage favours), passing its output and exit code
 * through.
 */
function rerun(heapMb: number): Promise<ExitCode> {
  const script = process.argv[1];
  if (script === undefined) return Promise.reject(new Error('cannot restart node: no script path'));
  const nodeArgs = [...process.execArgv, `--max-old-space-size=${heapMb}`, '--max-semi-space-size=64', script, ...process.argv.slice(2)];
  process.stderr.write(`hearsay simulate: restarting node with a ${heapMb} MB heap\n`);
  const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit', env: { ...process.env, [REEXEC_ENV]: String(heapMb) } });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== null) reject(new Error(`the simulation process was killed (${signal})`));
      else resolve((code ?? EXIT.failed) as ExitCode);
    });
  });
}
