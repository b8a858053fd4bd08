/**
 * The commands that talk to a running agent through its control endpoint: `members`, `join`,
 * `leave`, `tags`, `keys`, `monitor`, `info`. None of them joins the cluster itself.
 * @module
 */
import { formatRecord, jsonReplacer } from './agent-log.js';
import { EXIT, UsageError, type ExitCode } from './exit.js';
import { aesKey, keyValue, list, oneOf, parseFlags, tags } from './flags.js';
import { filterMembers, membersTable, STATUSES, type MemberJson, type MemberStatus } from './members-view.js';
import { RpcClient, TARGET_FLAGS, type RpcTarget } from './rpc-client.js';
import { LOG_LEVELS } from './rpc-protocol.js';

/** A client command: parses its argv, talks to the agent, prints, and resolves with the exit code. */
export type ClientCommand = (argv: readonly string[], help: () => string) => Promise<ExitCode>;

function target(v: { 'rpc-socket'?: string | undefined; rpc?: string | undefined; 'rpc-token-file'?: string | undefined }): RpcTarget {
  return { socket: v['rpc-socket'], addr: v.rpc, tokenFile: v['rpc-token-file'] };
}

async function withAgent<T>(t: RpcTarget, fn: (client: RpcClient) => Promise<T>): Promise<T> {
  const client = await RpcClient.connect(t);
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

function printJson(value: unknown): void {
  print(JSON.stringify(value, jsonReplacer, 2));
}

const members: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, { ...TARGET_FLAGS, json: { type: 'boolean' }, status: { type: 'string', multiple: true }, tag: { type: 'string', multiple: true } });
  if (v.help) return helped(help);
  // `dead` is accepted as the library's word for `failed`.
  const statuses = list(v.status).map((s) => oneOf('--status', s === 'dead' ? 'failed' : s, STATUSES) as MemberStatus);
  const filter = { statuses, tags: tags('--tag', v.tag) };
  const all = await withAgent(target(v), (c) => c.request<{ members: MemberJson[] }>('members'));
  const shown = filterMembers(all.members, filter);
  if (v.json) printJson({ members: shown });
  else if (shown.length > 0) print(membersTable(shown));
  return EXIT.ok;
};

const join: ClientCommand = async (argv, help) => {
  const { values: v, positionals } = parseFlags(argv, TARGET_FLAGS, true);
  if (v.help) return helped(help);
  const addresses = list(positionals);
  if (addresses.length === 0) throw new UsageError('join', 'needs at least one address: hearsay join HOST:PORT [HOST:PORT …]');
  const r = await withAgent(target(v), (c) => c.request<{ contacted: number; failures: { seed: string; error: string }[] }>('join', { addresses }));
  print(`joined through ${r.contacted} of ${addresses.length} address${addresses.length === 1 ? '' : 'es'}`);
  for (const f of r.failures) process.stderr.write(`  ${f.seed}: ${f.error}\n`);
  return EXIT.ok;
};

const leave: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, TARGET_FLAGS);
  if (v.help) return helped(help);
  const r = await withAgent(target(v), (c) => c.request<{ left: string }>('leave'));
  print(`${r.left} left the cluster; the agent is shutting down`);
  return EXIT.ok;
};

const tagsCommand: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, { ...TARGET_FLAGS, set: { type: 'string', multiple: true }, delete: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (v.help) return helped(help);
  const set: Record<string, string> = {};
  for (const s of v.set ?? []) {
    const [k, val] = keyValue('--set', s);
    set[k] = val;
  }
  const remove = v.delete ?? [];
  if (Object.keys(set).length === 0 && remove.length === 0) throw new UsageError('tags', 'needs --set key=value or --delete key (either may repeat)');
  const r = await withAgent(target(v), (c) => c.request<{ tags: Record<string, string>; spreading: boolean }>('tags', { set, delete: remove }));
  if (v.json) printJson(r);
  else {
    const text = Object.entries(r.tags).map(([k, val]) => `${k}=${val}`).join(',');
    print(`tags now: ${text || '(none)'}${r.spreading ? ' (still spreading through the cluster)' : ''}`);
  }
  return EXIT.ok;
};

const keys: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, { ...TARGET_FLAGS, list: { type: 'boolean' }, install: { type: 'string' }, use: { type: 'string' }, remove: { type: 'string' }, json: { type: 'boolean' } });
  if (v.help) return helped(help);
  const ops = (['list', 'install', 'use', 'remove'] as const).filter((op) => v[op] !== undefined && v[op] !== false);
  if (ops.length !== 1) throw new UsageError('keys', 'needs exactly one of --list, --install KEY, --use KEY, --remove KEY');
  const op = ops[0]!;
  const key = op === 'list' ? undefined : Buffer.from(aesKey(`--${op}`, v[op] as string)).toString('base64');
  const r = await withAgent(target(v), (c) => c.request<{ keys: { key: string; primary: boolean }[] }>('keys', { op, ...(key ? { key } : {}) }));
  if (v.json) printJson(r);
  else for (const k of r.keys) print(`${k.key}${k.primary ? '  (primary)' : ''}`);
  return EXIT.ok;
};

const monitor: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, { ...TARGET_FLAGS, 'log-level': { type: 'string' }, json: { type: 'boolean' } });
  if (v.help) return helped(help);
  const level = oneOf('--log-level', v['log-level'] ?? 'info', LOG_LEVELS);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await withAgent(target(v), (c) =>
      c.stream('monitor', { level }, (record) => print(v.json ? JSON.stringify(record, jsonReplacer) : formatRecord(record)), stop.signal),
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return EXIT.ok;
};

const info: ClientCommand = async (argv, help) => {
  const { values: v } = parseFlags(argv, { ...TARGET_FLAGS, json: { type: 'boolean' } });
  if (v.help) return helped(help);
  const r = await withAgent(target(v), (c) => c.request<Record<string, Record<string, unknown>>>('info'));
  if (v.json) printJson(r);
  else {
    for (const [section, fields] of Object.entries(r)) {
      print(`${section}:`);
      for (const [k, val] of Object.entries(fields)) print(`  ${k.padEnd(20)} ${typeof val === 'string' ? val : JSON.stringify(val)}`);
    }
  }
  return EXIT.ok;
};

function helped(help: () => string): ExitCode {
  print(help());
  return EXIT.ok;
}

/** The client commands by name. */
export const CLIENT_COMMANDS: Readonly<Record<string, ClientCommand>> = { members, join, leave, tags: tagsCommand, keys, monitor, info };
