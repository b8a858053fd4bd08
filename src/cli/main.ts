/**
 * The `hearsay` command: `agent`, `members`, `simulate`.
 * @module
 */
import { parseArgs } from 'node:util';
import { Hearsay } from '../hearsay.js';
import type { PresetName } from '../options.js';
import { formatResult, simulate } from './simulate.js';

const USAGE = `usage:
  hearsay agent --name NAME [--bind HOST:PORT] [--advertise HOST:PORT] [--join HOST:PORT,...]
                [--preset lan|wan|local] [--tag key=value ...] [--key BASE64 ...]
      run a node and print membership events as JSON lines until SIGINT (then leave)
  hearsay members --join HOST:PORT[,...] [--bind HOST:PORT] [--preset ...] [--key BASE64 ...]
      join briefly as an observer, print the member table, leave
  hearsay simulate [--nodes 100] [--loss 0] [--crashes 1] [--seed 1] [--out hearsay-sim.svg] [--no-lifeguard]
      run a cluster on virtual time; print a summary table and write an SVG chart`;

function fail(message: string): never {
  process.stderr.write(`hearsay: ${message}\n${USAGE}\n`);
  process.exit(2);
}

function nodeOptions(v: Record<string, unknown>) {
  const tags: Record<string, string> = {};
  for (const t of (v.tag as string[] | undefined) ?? []) {
    const eq = t.indexOf('=');
    if (eq < 1) fail(`--tag wants key=value, got "${t}"`);
    tags[t.slice(0, eq)] = t.slice(eq + 1);
  }
  const keys = ((v.key as string[] | undefined) ?? []).map((k) => new Uint8Array(Buffer.from(k, 'base64')));
  return {
    bind: (v.bind as string | undefined) ?? '0.0.0.0:7946',
    ...(v.advertise ? { advertise: v.advertise as string } : {}),
    preset: ((v.preset as string | undefined) ?? 'lan') as PresetName,
    metadata: tags,
    ...(keys.length > 0 ? { secretKeys: keys } : {}),
  };
}

const common = {
  bind: { type: 'string' },
  advertise: { type: 'string' },
  join: { type: 'string' },
  preset: { type: 'string' },
  tag: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  name: { type: 'string' },
} as const;

async function agent(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: common });
  if (!values.name) fail('agent needs --name');
  const node = await Hearsay.start({ name: values.name, ...nodeOptions(values) });
  const out = (event: string, data: object): void => void process.stdout.write(`${JSON.stringify({ t: new Date().toISOString(), event, ...data })}\n`);
  out('started', { address: node.localMember.address });
  for (const event of ['join', 'update', 'suspect', 'alive', 'fail', 'leave'] as const) {
    node.on(event, ({ member }) => out(event, { name: member.name, address: member.address, incarnation: member.incarnation, tags: member.tags }));
  }
  node.on('self:refute', (e) => out('self:refute', { incarnation: e.incarnation, accuser: e.accuser }));
  if (values.join) out('joined', await node.join(values.join.split(',')));
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await node.leave({ timeoutMs: 5000 });
    await node.shutdown();
    out('stopped', {});
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const error = await node.closed;
  if (error) fail(`transport failed: ${error.message}`);
}

async function members(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: common });
  if (!values.join) fail('members needs --join');
  const node = await Hearsay.start({ name: values.name ?? `hearsay-cli-${process.pid}`, ...nodeOptions({ ...values, bind: values.bind ?? '0.0.0.0:0' }) });
  try {
    await node.join(values.join.split(','));
    for (const m of node.members()) {
      if (m.name === node.localMember.name) continue;
      process.stdout.write(`${m.name.padEnd(24)} ${m.address.padEnd(24)} ${m.state.padEnd(8)} inc=${m.incarnation} ${m.tags ? JSON.stringify(m.tags) : ''}\n`);
    }
    await node.leave({ timeoutMs: 2000 });
  } finally {
    await node.shutdown();
  }
}

async function simulateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string', default: '100' },
      loss: { type: 'string', default: '0' },
      crashes: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: 'hearsay-sim.svg' },
      'no-lifeguard': { type: 'boolean', default: false },
    },
  });
  const args = {
    nodes: Number(values.nodes),
    loss: Number(values.loss),
    crashes: Number(values.crashes),
    seed: Number(values.seed),
    out: values.out,
    lifeguard: !values['no-lifeguard'],
  };
  if (!Number.isInteger(args.nodes) || args.nodes < 3) fail('--nodes must be an integer ≥ 3');
  if (!(args.loss >= 0 && args.loss < 1)) fail('--loss must be in [0, 1)');
  if (!Number.isInteger(args.crashes) || args.crashes < 1) fail('--crashes must be an integer ≥ 1');
  if (!Number.isInteger(args.seed)) fail('--seed must be an integer');
  process.stdout.write(`${formatResult(args, await simulate(args))}\n`);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'agent') await agent(rest);
  else if (command === 'members') await members(rest);
  else if (command === 'simulate') await simulateCommand(rest);
  else fail(command ? `unknown command "${command}"` : 'no command');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
