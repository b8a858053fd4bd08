/**
 * `hearsay agent`'s settings: flags over an optional JSON config file, checked into one
 * {@link AgentConfig}. Every mistake is a {@link UsageError} naming the flag or config key.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { parseHostPort } from '../address.js';
import type { HearsayOptions, PresetName } from '../options.js';
import { UsageError } from './exit.js';
import { aesKey, count, duration, hostPort, list, oneOf, parseFlags, tags } from './flags.js';
import { defaultSocketPath, defaultTokenPath, ENV_SOCKET } from './paths.js';
import type { RpcEndpoint } from './rpc-server.js';
import { LOG_LEVELS, type LogLevel } from './rpc-protocol.js';

/** `hearsay agent`'s flags, for `parseArgs`. */
export const AGENT_FLAGS = {
  name: { type: 'string' },
  bind: { type: 'string' },
  advertise: { type: 'string' },
  join: { type: 'string', multiple: true },
  'retry-join': { type: 'string', multiple: true },
  'retry-interval': { type: 'string' },
  'retry-max': { type: 'string' },
  tag: { type: 'string', multiple: true },
  key: { type: 'string', multiple: true },
  'keyring-file': { type: 'string' },
  preset: { type: 'string' },
  label: { type: 'string' },
  config: { type: 'string' },
  snapshot: { type: 'string' },
  rejoin: { type: 'boolean' },
  serf: { type: 'boolean' },
  'log-level': { type: 'string' },
  json: { type: 'boolean' },
  'rpc-socket': { type: 'string' },
  rpc: { type: 'string' },
  'rpc-token-file': { type: 'string' },
} as const;

/** Everything the agent needs to run, after defaults and checks. */
export interface AgentConfig {
  readonly name: string;
  readonly bind: string;
  readonly advertise: string | undefined;
  readonly join: readonly string[];
  readonly retryJoin: readonly string[];
  readonly retryIntervalMs: number;
  /** Most retry-join attempts; 0 = until one succeeds. */
  readonly retryMax: number;
  readonly tags: Readonly<Record<string, string>>;
  /** Keys from `--key`, primary first (the keyring file, when it exists, comes first). */
  readonly keys: readonly Uint8Array[];
  readonly keyringFile: string | undefined;
  readonly preset: PresetName;
  readonly label: string | undefined;
  readonly snapshot: string | undefined;
  readonly rejoin: boolean;
  /** Speak serf's delegate protocol (`delegateProtocol: 'serf'`): serf agents see a leave as `left`. */
  readonly serf: boolean;
  readonly logLevel: LogLevel;
  readonly json: boolean;
  readonly rpc: RpcEndpoint;
  /** Extra library options from the config file's `options` object (timings, `metricLabels`, …). */
  readonly options: Partial<HearsayOptions>;
}

type Raw = Record<string, unknown>;

/** Keys a config file may have: the agent's flag names (`tag`/`tags` as an object, lists as arrays) plus `options`. */
const CONFIG_KEYS = new Set([...Object.keys(AGENT_FLAGS).filter((k) => k !== 'config'), 'tags', 'keys', 'options']);

/** Library options a config file may set through `options` (host objects such as `logger` cannot come from JSON). */
const FORBIDDEN_OPTIONS = new Set(['name', 'bind', 'advertise', 'metadata', 'secretKeys', 'label', 'preset', 'transport', 'logger', 'metrics']);

function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError('--config', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError('--config', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UsageError('--config', `${path} must hold a JSON object`);
  for (const key of Object.keys(raw)) {
    if (!CONFIG_KEYS.has(key)) throw new UsageError(`config key "${key}"`, `is unknown (${path}); known keys: ${[...CONFIG_KEYS].sort().join(', ')}`);
  }
  return raw as Raw;
}

function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new UsageError(`config key "${key}"`, `must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function strings(raw: Raw, key: string): string[] | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new UsageError(`config key "${key}"`, 'must be a string or an array of strings');
  return v as string[];
}

function bool(raw: Raw, key: string): boolean | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new UsageError(`config key "${key}"`, 'must be true or false');
  return v;
}

function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/**
 * Builds the agent's config from its argv (and the `--config` file it names).
 * @throws {UsageError} naming the first bad flag or config key.
 */
export function agentConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): AgentConfig & { readonly help: boolean } {
  const { values: f } = parseFlags(argv, AGENT_FLAGS);
  const c: Raw = f.config ? readConfigFile(f.config) : {};
  const pick = <T>(flag: T | undefined, key: string, read: (raw: Raw, key: string) => T | undefined): T | undefined => flag ?? read(c, key);

  const name = pick(f.name, 'name', str) ?? hostname();
  if (name.length === 0) throw new UsageError('--name', 'must not be empty');
  const bind = hostPort('--bind', pick(f.bind, 'bind', str) ?? '0.0.0.0:7946');
  const advertiseText = pick(f.advertise, 'advertise', str);
  const advertise = advertiseText === undefined ? undefined : hostPort('--advertise', advertiseText);

  const configTags = c.tags ?? c.tag;
  if (configTags !== undefined && (typeof configTags !== 'object' || configTags === null || Array.isArray(configTags) || Object.values(configTags).some((v) => typeof v !== 'string'))) {
    throw new UsageError('config key "tags"', 'must be an object of string values, e.g. {"role": "web"}');
  }
  const tagMap = { ...(configTags as Record<string, string> | undefined), ...tags('--tag', f.tag) };

  const keyTexts = f.key ?? strings(c, 'keys') ?? strings(c, 'key') ?? [];
  const keys = keyTexts.map((k) => aesKey('--key', k));
  const keyringFile = pick(f['keyring-file'], 'keyring-file', str);

  const preset = oneOf('--preset', pick(f.preset, 'preset', str) ?? 'lan', ['lan', 'wan', 'local'] as const);
  const label = pick(f.label, 'label', str);
  if (label !== undefined && (label.length === 0 || Buffer.byteLength(label) > 255)) throw new UsageError('--label', 'must be 1–255 bytes');
  const logLevel = oneOf('--log-level', pick(f['log-level'], 'log-level', str) ?? 'info', LOG_LEVELS);

  const retryInterval = pick(f['retry-interval'], 'retry-interval', str);
  const retryMax = pick(f['retry-max'], 'retry-max', (raw, k) => (raw[k] === undefined ? undefined : String(raw[k])));

  const options = c.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new UsageError('config key "options"', 'must be an object of hearsay options');
  for (const k of Object.keys(options)) {
    if (FORBIDDEN_OPTIONS.has(k)) throw new UsageError(`config key "options.${k}"`, 'is not settable here: use the matching agent flag or config key');
  }

  return {
    help: f.help ?? false,
    name,
    bind,
    advertise,
    join: list(pick(f.join, 'join', strings)),
    retryJoin: list(pick(f['retry-join'], 'retry-join', strings)),
    retryIntervalMs: retryInterval === undefined ? 30_000 : Math.max(1, duration('--retry-interval', retryInterval)),
    retryMax: retryMax === undefined ? 0 : count('--retry-max', retryMax),
    tags: tagMap,
    keys,
    keyringFile,
    preset,
    label,
    snapshot: pick(f.snapshot, 'snapshot', str),
    rejoin: pick(f.rejoin, 'rejoin', bool) ?? false,
    serf: pick(f.serf, 'serf', bool) ?? false,
    logLevel,
    json: pick(f.json, 'json', bool) ?? false,
    rpc: rpcEndpoint(pick(f['rpc-socket'], 'rpc-socket', str), pick(f.rpc, 'rpc', str), pick(f['rpc-token-file'], 'rpc-token-file', str), env),
    options: options as Partial<HearsayOptions>,
  };
}

function rpcEndpoint(socket: string | undefined, addr: string | undefined, tokenFile: string | undefined, env: NodeJS.ProcessEnv): RpcEndpoint {
  if (socket !== undefined && addr !== undefined) throw new UsageError('--rpc', 'cannot be combined with --rpc-socket: the agent serves one control endpoint');
  if (addr !== undefined) {
    const hp = parseHostPort(hostPort('--rpc', addr));
    if (!hp || !isLoopback(hp.host)) throw new UsageError('--rpc', `must be a loopback address (127.0.0.1:PORT or [::1]:PORT): the control endpoint is for the local user, got "${addr}"`);
    return { kind: 'tcp', host: hp.host, port: hp.port, tokenFile: (port) => tokenFile ?? defaultTokenPath(port, env) };
  }
  if (tokenFile !== undefined) throw new UsageError('--rpc-token-file', 'only applies with --rpc');
  return { kind: 'unix', path: socket ?? env[ENV_SOCKET] ?? defaultSocketPath(env) };
}

/** Reads a serf-style keyring file (a JSON array of base64 keys, primary first); `undefined` when it does not exist yet. */
export function readKeyringFile(path: string): Uint8Array[] | undefined {
  if (!existsSync(path)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError('--keyring-file', `${path} is not a JSON array of base64 keys: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw) || raw.length === 0 || raw.some((k) => typeof k !== 'string')) {
    throw new UsageError('--keyring-file', `${path} must hold a non-empty JSON array of base64 keys, primary first`);
  }
  return (raw as string[]).map((k) => aesKey('--keyring-file', k));
}
