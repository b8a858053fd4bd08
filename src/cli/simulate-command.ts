/**
 * `hearsay simulate`'s flags; the run itself is in `simulate.ts`.
 * @module
 */
import { EXIT, UsageError, type ExitCode } from './exit.js';
import { parseFlags } from './flags.js';
import { formatResult, simulate } from './simulate.js';

/** Parses the flags, runs the simulation and prints its table. */
export async function runSimulate(argv: readonly string[], help: () => string): Promise<ExitCode> {
  const { values } = parseFlags(argv, {
    nodes: { type: 'string', default: '100' },
    loss: { type: 'string', default: '0' },
    crashes: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'hearsay-sim.svg' },
    'no-lifeguard': { type: 'boolean', default: false },
  });
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    return EXIT.ok;
  }
  const args = {
    nodes: Number(values.nodes),
    loss: Number(values.loss),
    crashes: Number(values.crashes),
    seed: Number(values.seed),
    out: values.out,
    lifeguard: !values['no-lifeguard'],
  };
  if (!Number.isInteger(args.nodes) || args.nodes < 3) throw new UsageError('--nodes', `must be an integer ≥ 3, got "${values.nodes}"`);
  if (!(args.loss >= 0 && args.loss < 1)) throw new UsageError('--loss', `must be a fraction in [0, 1), got "${values.loss}"`);
  if (!Number.isInteger(args.crashes) || args.crashes < 1 || args.crashes > args.nodes - 2) throw new UsageError('--crashes', `must be an integer from 1 to nodes − 2, got "${values.crashes}"`);
  if (!Number.isInteger(args.seed)) throw new UsageError('--seed', `must be an integer, got "${values.seed}"`);
  // `await` keeps this correct whether simulate() returns a result or a promise of one.
  const result = await simulate(args);
  process.stdout.write(`${formatResult(args, result)}\n`);
  return EXIT.ok;
}
