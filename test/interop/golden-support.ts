/**
 * Support for golden.test.ts: the fixture format written by `golden gen`, the JSON form of
 * messages shared with the Go program, and bounded child processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NodeStateNumberValue, PacketMessage, PushNodeState, StreamMessage } from '../../src/wire/messages.js';

export const INTEROP_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO_DIR = resolve(INTEROP_DIR, '../..');
export const FIXTURE_DIR = join(REPO_DIR, 'test/fixtures/golden');
export const BUILD_SCRIPT = join(INTEROP_DIR, 'build-golden.sh');
export const GOLDEN_BIN = join(INTEROP_DIR, 'bin/golden');
export const GOCODE = process.env['GOCODE'] ?? '/usr/share/gocode';
export const MEMBERLIST_SRC = process.env['MEMBERLIST_SRC'] ?? join(GOCODE, 'src/github.com/hashicorp/memberlist');

// ---------------------------------------------------------------------------
// Fixture format (one JSON object per line in fixtures.jsonl).

/** A message in the JSON form both sides print: hearsay's field names, byte fields as hex. */
export type JsonMessage = { readonly type: string } & Readonly<Record<string, unknown>>;

export interface FixtureOptions {
  readonly compress: boolean;
  readonly crc: boolean;
  readonly encrypted: boolean;
  readonly encryptionVersion: 0 | 1;
}

export interface Fixture {
  readonly name: string;
  readonly kind: 'packet' | 'stream' | 'message' | 'lzw';
  /** The bytes memberlist produced (datagram, stream bytes, or bare message). */
  readonly hex?: string;
  /** packet: the bytes handed to rawSendMsgPacket; stream: the same exchange with compression and encryption off. */
  readonly inner?: string;
  /** Encrypted fixtures: the decrypted payload (deterministic, unlike `hex`). */
  readonly plain?: string;
  /** Encrypted fixtures: the key that encrypted, and the receiving keyring (primary first). */
  readonly key?: string;
  readonly keyring?: readonly string[];
  /** False for encrypted fixtures (random nonce). */
  readonly deterministic: boolean;
  readonly options?: FixtureOptions;
  /** packet: `inner` is not a flat message/compound (nested compound/compress, or truncated). */
  readonly nested?: boolean;
  readonly inputFile?: string;
  readonly outputFile?: string;
  readonly inputLength?: number;
  readonly outputLength?: number;
  readonly expect?: { readonly messages?: readonly JsonMessage[]; readonly message?: JsonMessage };
  readonly note?: string;
}

export function readFixtures(dir: string): Fixture[] {
  const text = readFileSync(join(dir, 'fixtures.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Fixture);
}

// ---------------------------------------------------------------------------
// Bytes and the JSON form.

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'));

const hexOrNull = (b: Uint8Array | null): string | null => (b === null ? null : hex(b));

/** hearsay message -> JSON form (Source* omitted when empty, as Go's omitempty does). */
export function toJson(msg: PacketMessage | StreamMessage): JsonMessage {
  const source = (m: { sourceAddr?: Uint8Array; sourcePort?: number; sourceNode?: string }): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (m.sourceAddr !== undefined && m.sourceAddr.length > 0) o['sourceAddr'] = hex(m.sourceAddr);
    if (m.sourcePort !== undefined && m.sourcePort !== 0) o['sourcePort'] = m.sourcePort;
    if (m.sourceNode !== undefined && m.sourceNode !== '') o['sourceNode'] = m.sourceNode;
    return o;
  };
  switch (msg.type) {
    case 'ping':
      return { type: 'ping', seqNo: msg.seqNo, node: msg.node, ...source(msg) };
    case 'indirect-ping':
      return { type: 'indirect-ping', seqNo: msg.seqNo, target: hex(msg.target), port: msg.port, node: msg.node, nack: msg.nack, ...source(msg) };
    case 'ack':
      return { type: 'ack', seqNo: msg.seqNo, payload: hexOrNull(msg.payload) };
    case 'nack':
      return { type: 'nack', seqNo: msg.seqNo };
    case 'suspect':
    case 'dead':
      return { type: msg.type, incarnation: msg.incarnation, node: msg.node, from: msg.from };
    case 'alive':
      return { type: 'alive', incarnation: msg.incarnation, node: msg.node, addr: hex(msg.addr), port: msg.port, meta: hexOrNull(msg.meta), vsn: hex(msg.vsn) };
    case 'user':
      return { type: 'user', payload: hex(msg.payload) };
    case 'error':
      return { type: 'error', error: msg.error };
    case 'push-pull':
      return {
        type: 'push-pull',
        join: msg.join,
        nodes: msg.nodes.map((n) => ({
          name: n.name,
          addr: hex(n.addr),
          port: n.port,
          meta: hexOrNull(n.meta),
          incarnation: n.incarnation,
          state: n.state,
          vsn: hex(n.vsn),
        })),
        userState: hex(msg.userState),
      };
    default:
      // hearsay's digest push/pull legs have no Go form: memberlist never sees them.
      throw new Error(`${msg.type} has no memberlist JSON form`);
  }
}

function field<T>(o: Readonly<Record<string, unknown>>, k: string, kind: 'string' | 'number' | 'boolean'): T {
  const v = o[k];
  if (typeof v !== kind) throw new Error(`JSON message field ${k}: expected ${kind}, got ${JSON.stringify(v)}`);
  return v as T;
}
const str = (o: Readonly<Record<string, unknown>>, k: string): string => field<string>(o, k, 'string');
const num = (o: Readonly<Record<string, unknown>>, k: string): number => field<number>(o, k, 'number');
const bool = (o: Readonly<Record<string, unknown>>, k: string): boolean => field<boolean>(o, k, 'boolean');
const bytes = (o: Readonly<Record<string, unknown>>, k: string): Uint8Array => unhex(str(o, k));
const bytesOrNull = (o: Readonly<Record<string, unknown>>, k: string): Uint8Array | null => (o[k] === null ? null : bytes(o, k));

function withSource<T extends object>(base: T, o: Readonly<Record<string, unknown>>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  if (o['sourceAddr'] !== undefined) out['sourceAddr'] = bytes(o, 'sourceAddr');
  if (o['sourcePort'] !== undefined) out['sourcePort'] = num(o, 'sourcePort');
  if (o['sourceNode'] !== undefined) out['sourceNode'] = str(o, 'sourceNode');
  return out as T;
}

/** JSON form -> hearsay message. */
export function fromJson(o: JsonMessage): PacketMessage | StreamMessage {
  switch (o.type) {
    case 'ping':
      return withSource({ type: 'ping' as const, seqNo: num(o, 'seqNo'), node: str(o, 'node') }, o);
    case 'indirect-ping':
      return withSource(
        { type: 'indirect-ping' as const, seqNo: num(o, 'seqNo'), target: bytes(o, 'target'), port: num(o, 'port'), node: str(o, 'node'), nack: bool(o, 'nack') },
        o,
      );
    case 'ack':
      return { type: 'ack', seqNo: num(o, 'seqNo'), payload: bytesOrNull(o, 'payload') };
    case 'nack':
      return { type: 'nack', seqNo: num(o, 'seqNo') };
    case 'suspect':
      return { type: 'suspect', incarnation: num(o, 'incarnation'), node: str(o, 'node'), from: str(o, 'from') };
    case 'dead':
      return { type: 'dead', incarnation: num(o, 'incarnation'), node: str(o, 'node'), from: str(o, 'from') };
    case 'alive':
      return {
        type: 'alive',
        incarnation: num(o, 'incarnation'),
        node: str(o, 'node'),
        addr: bytes(o, 'addr'),
        port: num(o, 'port'),
        meta: bytesOrNull(o, 'meta'),
        vsn: bytes(o, 'vsn'),
      };
    case 'user':
      return { type: 'user', payload: bytes(o, 'payload') };
    case 'error':
      return { type: 'error', error: str(o, 'error') };
    case 'push-pull': {
      const nodes = o['nodes'];
      if (!Array.isArray(nodes)) throw new Error('push-pull: nodes must be an array');
      return {
        type: 'push-pull',
        join: bool(o, 'join'),
        nodes: nodes.map((n: Record<string, unknown>): PushNodeState => ({
          name: str(n, 'name'),
          addr: bytes(n, 'addr'),
          port: num(n, 'port'),
          meta: bytesOrNull(n, 'meta'),
          incarnation: num(n, 'incarnation'),
          state: num(n, 'state') as NodeStateNumberValue,
          vsn: bytes(n, 'vsn'),
        })),
        userState: bytes(o, 'userState'),
      };
    }
    default:
      throw new Error(`unknown JSON message type ${o.type}`);
  }
}

/**
 * What memberlist's decoder can tell apart: go-msgpack leaves a `[]byte` field nil when the wire
 * has an empty str (`a0`), so an empty `meta` / ack `payload` reads back exactly like nil (`c0`).
 * Apply to expectations before comparing them with a Go decode.
 */
export function goView<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x: unknown) => goView(x)) as T;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      out[k] = (k === 'meta' || (k === 'payload' && o['type'] === 'ack')) && x === '' ? null : goView(x);
    }
    return out as T;
  }
  return v;
}

// ---------------------------------------------------------------------------
// Prerequisites and bounded child processes.

/** Finds `go` on PATH without spawning anything. */
export function findGo(): string | undefined {
  if (process.env['GO'] !== undefined && existsSync(process.env['GO'])) return process.env['GO'];
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, 'go');
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Why the Go side cannot run here, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (findGo() === undefined) return 'the `go` toolchain is not on PATH (Debian: golang-go)';
  if (!existsSync(join(MEMBERLIST_SRC, 'net.go'))) return `memberlist source not found at ${MEMBERLIST_SRC} (Debian: golang-github-hashicorp-memberlist-dev)`;
  return undefined;
}

export interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const children = new Set<ChildProcess>();

/** Runs a command with a hard timeout (SIGKILL); stdin gets `input` then EOF. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs: number; cwd?: string }): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_DIR, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      // the child may exit before reading everything; the exit status tells
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      children.delete(child);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Kills every child still running (afterAll). */
export function killChildren(): void {
  for (const c of children) c.kill('SIGKILL');
  children.clear();
}
