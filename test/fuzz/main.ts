/**
 * `npm run fuzz`: random and structure-aware datagrams and malformed, stalled and trickling
 * streams, from a child process, at a live 3-node hearsay cluster on 127.0.0.1.
 *
 * ```sh
 * npm run fuzz                                      # 1,000,000 datagrams, 10,000 streams
 * npm run fuzz -- --datagrams 20000 --streams 300   # the CI size (test/fuzz/fuzz.test.ts)
 * npm run fuzz -- --seed 7 --json                   # replay a seed; JSON result on the last line
 * ```
 * Flags (each also as an env var, e.g. `FUZZ_DATAGRAMS`): `--datagrams`, `--streams`, `--seed`
 * (`HEARSAY_SEED`), `--rss-bound-mib` (default 192), `--heap-bound-mib` (JS heap after a full
 * GC, default 32), `--tcp-timeout-ms` (the target's stream deadline, default 1000),
 * `--stream-concurrency` (default 96), `--crafted-every` (default 100,000), `--json`, and
 * `--canary` (a self-check: one forged phantom is sent past the filter, so the run must fail with
 * a changed member table). Exits 0 when the run passed, 1 on any finding (each printed), 2 on
 * bad usage.
 * @module
 */
import { formatResult } from './report.js';
import { runFuzz, type FuzzOptions } from './run-fuzz.js';

const FLAGS = {
  datagrams: { env: 'FUZZ_DATAGRAMS', default: 1_000_000 },
  streams: { env: 'FUZZ_STREAMS', default: 10_000 },
  seed: { env: 'HEARSAY_SEED', default: Math.floor(Math.random() * 2 ** 31) },
  'rss-bound-mib': { env: 'FUZZ_RSS_BOUND_MIB', default: 192 },
  'heap-bound-mib': { env: 'FUZZ_HEAP_BOUND_MIB', default: 32 },
  'tcp-timeout-ms': { env: 'FUZZ_TCP_TIMEOUT_MS', default: 1000 },
  'stream-concurrency': { env: 'FUZZ_STREAM_CONCURRENCY', default: 96 },
  'crafted-every': { env: 'FUZZ_CRAFTED_EVERY', default: 100_000 },
} as const;
type Flag = keyof typeof FLAGS;

function usage(problem: string): never {
  process.stderr.write(`fuzz: ${problem}\nflags: ${Object.keys(FLAGS).map((f) => `--${f} <n>`).join(' ')} --json --canary\n`);
  process.exit(2);
}

function parse(argv: readonly string[]): { values: Record<Flag, number>; json: boolean; canary: boolean } {
  const values = {} as Record<Flag, number>;
  for (const [flag, spec] of Object.entries(FLAGS) as [Flag, (typeof FLAGS)[Flag]][]) {
    const env = process.env[spec.env];
    values[flag] = env !== undefined && env !== '' ? Number(env) : spec.default;
  }
  let json = false;
  let canary = process.env.FUZZ_CANARY === '1';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--json' || arg === '--canary') {
      if (arg === '--json') json = true;
      else canary = true;
      continue;
    }
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split('=', 2) : [undefined, undefined];
    if (name === undefined || !(name in FLAGS)) usage(`unknown argument ${arg}`);
    const raw = inline ?? argv[++i];
    values[name as Flag] = Number(raw);
  }
  for (const [flag, v] of Object.entries(values)) if (!Number.isFinite(v) || v < 0) usage(`--${flag} must be a non-negative number`);
  if (values['crafted-every'] < 1 || values['stream-concurrency'] < 1) usage('--crafted-every and --stream-concurrency must be at least 1');
  return { values, json, canary };
}

const { values, json, canary } = parse(process.argv.slice(2));
const options: FuzzOptions = {
  datagrams: values.datagrams,
  streams: values.streams,
  seed: values.seed,
  rssBoundMiB: values['rss-bound-mib'],
  heapBoundMiB: values['heap-bound-mib'],
  tcpTimeoutMs: values['tcp-timeout-ms'],
  streamConcurrency: values['stream-concurrency'],
  craftedEvery: values['crafted-every'],
  canary,
  progress: (line) => process.stderr.write(`${line}\n`),
};
process.stderr.write(`fuzz: seed ${options.seed}, ${options.datagrams} datagrams, ${options.streams} streams (replay: HEARSAY_SEED=${options.seed})\n`);
const result = await runFuzz(options);
process.stdout.write(formatResult(result));
if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
process.exitCode = result.failures.length === 0 ? 0 : 1;
