/**
 * Structure-aware fuzz material: every packet message type with plausible and edge-case fields,
 * wrapped in the envelopes a node peels (compound, nested compound/compress, compression, CRC,
 * encryption, label), with mutations applied at a random layer so corrupt bytes reach every
 * decoder behind the valid layers around them; and stream requests of every kind. Used by the
 * fuzzer (`npm run fuzz`) next to the plain hostile generators of `generators.ts`.
 *
 * The fuzzer's cluster uses a keyring with `allowUnencrypted` and a label, so one cluster
 * exercises all of it: labelled and unlabelled data, decryption with the right key (the attacker
 * is given it, so encrypted content reaches the decoders), with a wrong key, and plaintext.
 * @module
 */
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { encodeCompressed } from '../../src/wire/bodies.js';
import {
  encodeCompound,
  encodeMessage,
  encodeStreamMessage,
  Keyring,
  sealPacket,
  StreamDecoder,
  type PacketMessage,
  type PacketSecurity,
  type PushNodeState,
  type StreamMessage,
} from '../../src/wire/index.js';
import { ascii, concat, pick, randInt, randomBytes, type Rng } from './bytes.js';
import { harmless, mutate, VSN, type HarmContext } from './generators.js';

/** What the fuzzer knows about its target cluster. */
export interface FuzzContext extends HarmContext {
  /** The attacker's own UDP address (required here: pings and indirect pings may name it). */
  readonly attacker: { readonly addr: Uint8Array; readonly port: number };
  /** The cluster's keys (the attacker encrypts with them), empty when the cluster has none. */
  readonly keys: readonly Uint8Array[];
  /** The cluster's label, if it has one. */
  readonly label: Uint8Array | undefined;
}

/** The largest UDP payload over IPv4. */
export const MAX_DATAGRAM = 65_507;

/** The cluster's own security settings, as a node applies them to what it receives. */
export function securityOf(ctx: FuzzContext, allowUnencrypted: boolean): PacketSecurity {
  return {
    ...(ctx.keys.length > 0 ? { keyring: new Keyring(ctx.keys) } : {}),
    ...(ctx.label !== undefined ? { label: ctx.label } : {}),
    verifyIncoming: !allowUnencrypted,
  };
}

/** A node name: a ghost, a real member, empty, very long, non-ASCII or with a NUL. */
function fuzzName(rng: Rng, ctx: FuzzContext): string {
  switch (randInt(rng, 8)) {
    case 0:
    case 1:
    case 2:
      return `ghost-${randInt(rng, 1e6)}`;
    case 3:
    case 4:
      return pick(rng, [...ctx.real]);
    case 5:
      return '';
    case 6:
      return 'x'.repeat(100 + randInt(rng, 400));
    default:
      return pick(rng, ['名前', 'nœud', 'a\u0000b', '\u{1F4A5}', ' ']) + randInt(rng, 100);
  }
}

/** An incarnation: mostly 0 (stale for every member), sometimes anything up to 2³² − 1. */
const fuzzIncarnation = (rng: Rng): number => (rng() < 0.6 ? 0 : pick(rng, [1, 2, randInt(rng, 2 ** 32), 2 ** 32 - 1]));
const fuzzSeq = (rng: Rng): number => pick(rng, [0, 1, randInt(rng, 2 ** 32), 2 ** 32 - 1]);
const fuzzPort = (rng: Rng, ctx: FuzzContext): number => (rng() < 0.7 ? ctx.attacker.port : pick(rng, [0, 1, randInt(rng, 65_536), 65_535]));
function fuzzAddr(rng: Rng, ctx: FuzzContext): Uint8Array {
  if (rng() < 0.7) return ctx.attacker.addr;
  return pick(rng, [new Uint8Array(0), randomBytes(rng, 4), randomBytes(rng, 16), Uint8Array.of(0, 0, 0, 0), Uint8Array.of(255, 255, 255, 255)]);
}
const maybeBytes = (rng: Rng, max: number): Uint8Array | null => (rng() < 0.3 ? null : randomBytes(rng, randInt(rng, max)));

/** Source fields of a ping: none, the attacker's, or (rarely: a node would answer there) arbitrary. */
function fuzzSource(rng: Rng, ctx: FuzzContext): { sourceAddr?: Uint8Array; sourcePort?: number; sourceNode?: string } {
  const roll = rng();
  if (roll < 0.4) return {};
  if (roll < 0.9) return { sourceAddr: ctx.attacker.addr, sourcePort: ctx.attacker.port, sourceNode: fuzzName(rng, ctx) };
  return { sourceAddr: fuzzAddr(rng, ctx), sourcePort: fuzzPort(rng, ctx), sourceNode: fuzzName(rng, ctx) };
}

/** One packet message of any of the eight types, with fields drawn from plausible and edge values. */
export function anyMessage(rng: Rng, ctx: FuzzContext): PacketMessage {
  switch (randInt(rng, 8)) {
    case 0:
      return { type: 'ping', seqNo: fuzzSeq(rng), node: fuzzName(rng, ctx), ...fuzzSource(rng, ctx) };
    case 1:
      return { type: 'indirect-ping', seqNo: fuzzSeq(rng), target: fuzzAddr(rng, ctx), port: fuzzPort(rng, ctx), node: fuzzName(rng, ctx), nack: rng() < 0.5, ...fuzzSource(rng, ctx) };
    case 2:
      return { type: 'ack', seqNo: fuzzSeq(rng), payload: maybeBytes(rng, 64) };
    case 3:
      return { type: 'nack', seqNo: fuzzSeq(rng) };
    case 4:
      return { type: 'suspect', incarnation: fuzzIncarnation(rng), node: fuzzName(rng, ctx), from: fuzzName(rng, ctx) };
    case 5: {
      const addr = fuzzAddr(rng, ctx);
      return { type: 'alive', incarnation: fuzzIncarnation(rng), node: fuzzName(rng, ctx), addr, port: fuzzPort(rng, ctx), meta: maybeBytes(rng, 600), vsn: rng() < 0.8 ? VSN : pick(rng, [new Uint8Array(0), randomBytes(rng, 6), Uint8Array.of(0, 0, 0, 0, 0, 0)]) };
    }
    case 6:
      return { type: 'dead', incarnation: fuzzIncarnation(rng), node: fuzzName(rng, ctx), from: fuzzName(rng, ctx) };
    default:
      return { type: 'user', payload: randomBytes(rng, randInt(rng, rng() < 0.9 ? 200 : 1400)) };
  }
}

/** Wraps `inner` in 1–`depth` random compound / compress layers (deeper than the node allows, sometimes). */
function nest(rng: Rng, inner: Uint8Array, depth: number): Uint8Array {
  let out = inner;
  for (let i = 0; i < depth; i++) {
    out = rng() < 0.5 ? encodeCompressed(out).slice() : encodeCompound([out, encodeMessage({ type: 'nack', seqNo: randInt(rng, 1000) }).slice()])[0]!.slice();
  }
  return out;
}

/** The layer of a datagram the fuzzer corrupts. */
export type MutationLayer = 'none' | 'message' | 'inner' | 'outer';

/**
 * A structure-aware datagram: 1–8 messages (sometimes up to 60, or one very large), maybe packed
 * into a compound, maybe nested, then sealed with compression, CRC, encryption (right key, or a
 * wrong one) and a label (the cluster's, a wrong one, or none). One layer may be mutated: a
 * single message (so the envelope is valid and the corruption reaches the message decoder), the
 * whole inner payload before sealing, or the sealed datagram.
 */
export function structuredDatagram(rng: Rng, ctx: FuzzContext): { bytes: Uint8Array; layer: MutationLayer } {
  const count = rng() < 0.9 ? 1 + randInt(rng, 8) : 1 + randInt(rng, 60);
  const parts: Uint8Array[] = Array.from({ length: count }, () => encodeMessage(anyMessage(rng, ctx)).slice());
  const roll = rng();
  const layer: MutationLayer = roll < 0.5 ? 'none' : roll < 0.7 ? 'message' : roll < 0.85 ? 'inner' : 'outer';
  if (layer === 'message') {
    const i = randInt(rng, parts.length);
    parts[i] = mutate(rng, parts[i]!);
  }
  let inner: Uint8Array = parts.length === 1 && rng() < 0.3 ? parts[0]! : encodeCompound(parts)[0]!.slice();
  if (rng() < 0.1) inner = nest(rng, inner, 1 + randInt(rng, DEFAULT_WIRE_LIMITS.maxNestingDepth + 2));
  if (layer === 'inner') inner = mutate(rng, inner);
  const keyRoll = rng();
  const wrongKey = keyRoll > 0.95;
  const keyring = ctx.keys.length > 0 && keyRoll < 0.5 ? new Keyring(ctx.keys) : wrongKey ? new Keyring([randomBytes(rng, 32)]) : undefined;
  const labelRoll = rng();
  const label = labelRoll < 0.85 ? ctx.label : labelRoll < 0.92 ? ascii(`wrong-${randInt(rng, 100)}`) : undefined;
  let bytes: Uint8Array = sealPacket(inner, {
    compress: rng() < 0.4,
    crc: rng() < 0.4,
    ...(keyring ? { keyring, encryptionVersion: rng() < 0.8 ? 1 : 0 } : {}),
    ...(label !== undefined && label.length > 0 ? { label } : {}),
  }).slice();
  if (layer === 'outer') bytes = mutate(rng, bytes);
  if (bytes.length > MAX_DATAGRAM) bytes = bytes.subarray(0, MAX_DATAGRAM);
  return { bytes, layer };
}

// ---- streams --------------------------------------------------------------------------------

/** A push/pull node entry that a node either ignores or finds stale (see {@link harmlessStream}). */
function fuzzNodeState(rng: Rng, ctx: FuzzContext): PushNodeState {
  return {
    name: fuzzName(rng, ctx),
    addr: rng() < 0.5 ? ctx.attacker.addr : pick(rng, [new Uint8Array(0), randomBytes(rng, 4), randomBytes(rng, 16)]),
    port: fuzzPort(rng, ctx),
    meta: maybeBytes(rng, 600),
    incarnation: fuzzIncarnation(rng),
    state: pick(rng, [0, 1, 2, 3] as const),
    vsn: rng() < 0.9 ? VSN : new Uint8Array(0),
  };
}

/** A valid stream request of any kind a node may receive: push/pull, ping, user, or the reply-only ack and error. */
export function anyStreamMessage(rng: Rng, ctx: FuzzContext): StreamMessage {
  switch (randInt(rng, 6)) {
    case 0:
    case 1:
      return { type: 'push-pull', join: rng() < 0.5, nodes: Array.from({ length: randInt(rng, rng() < 0.9 ? 8 : 200) }, () => fuzzNodeState(rng, ctx)), userState: randomBytes(rng, rng() < 0.8 ? 0 : randInt(rng, 4096)) };
    case 2:
      return { type: 'ping', seqNo: fuzzSeq(rng), node: fuzzName(rng, ctx), ...fuzzSource(rng, ctx) };
    case 3:
      return { type: 'user', payload: randomBytes(rng, randInt(rng, rng() < 0.9 ? 512 : 64 * 1024)) };
    case 4:
      return { type: 'ack', seqNo: fuzzSeq(rng), payload: maybeBytes(rng, 64) };
    default:
      return { type: 'error', error: `fuzz ${randInt(rng, 1e6)}` };
  }
}

/** A stream request encoded as a dialer sends it: compressed or not, encrypted (right or wrong key) or not, with a label preamble (right, wrong) or none; sometimes mutated. */
export function structuredStream(rng: Rng, ctx: FuzzContext): { bytes: Uint8Array; mutated: boolean } {
  const msg = anyStreamMessage(rng, ctx);
  const keyRoll = rng();
  const keyring = ctx.keys.length > 0 && keyRoll < 0.5 ? new Keyring(ctx.keys) : keyRoll > 0.95 ? new Keyring([randomBytes(rng, 16)]) : undefined;
  const labelRoll = rng();
  const label = labelRoll < 0.85 ? ctx.label : labelRoll < 0.92 ? ascii(`wrong-${randInt(rng, 100)}`) : undefined;
  let bytes: Uint8Array = encodeStreamMessage(msg, {
    compress: rng() < 0.3,
    ...(keyring ? { keyring, encryptionVersion: rng() < 0.8 ? 1 : 0 } : {}),
    ...(label !== undefined ? { label } : {}),
    labelPreamble: true,
  }).slice();
  const mutated = rng() < 0.4;
  if (mutated) bytes = mutate(rng, bytes);
  return { bytes, mutated };
}

/**
 * True if a node that reads `bytes` as an inbound stream cannot change its member table: it
 * decodes to nothing complete, or to a request that is harmless (a push/pull whose entries are
 * all stale or about unknown members in a non-alive state; a ping that replies to the attacker;
 * anything else).
 */
export function harmlessStream(bytes: Uint8Array, ctx: FuzzContext, security: PacketSecurity): boolean {
  const decoder = new StreamDecoder({ ...security, expectLabelPreamble: ctx.label !== undefined, limits: DEFAULT_WIRE_LIMITS });
  decoder.push(bytes);
  const step = decoder.next();
  if (step.kind !== 'message') return true;
  const m = step.message;
  if (m.type === 'push-pull') return m.nodes.every((n) => (ctx.real.has(n.name) ? n.incarnation === 0 : n.state !== 0));
  if (m.type === 'ping') return harmless([m], ctx);
  return true;
}

/** How a stream's bytes are delivered. */
export type Delivery =
  | { readonly mode: 'burst' }
  /** Only the first `cut` bytes, then silence. */
  | { readonly mode: 'stall'; readonly cut: number }
  /** `chunk` bytes every `everyMs`, until all are sent or the node hangs up. */
  | { readonly mode: 'trickle'; readonly chunk: number; readonly everyMs: number };

/** One fuzz stream: what to send, how, and whether to read the reply. */
export interface StreamPlan {
  readonly kind: 'malformed' | 'structured' | 'stalled' | 'trickle' | 'noise' | 'idle' | 'unread';
  readonly bytes: Uint8Array;
  readonly delivery: Delivery;
  /** Never read what the node writes back (the socket stays paused). */
  readonly unread: boolean;
}

/**
 * A random stream plan: 20 % malformed at once (`malformed` from the caller's list of crafted
 * requests), 30 % structured requests (valid or mutated), 15 % stalled after a prefix, 15 %
 * trickling, 10 % noise (up to 256 KiB), 5 % idle, 5 % complete requests whose reply is never read.
 */
export function streamPlan(rng: Rng, ctx: FuzzContext, malformed: readonly Uint8Array[]): StreamPlan {
  const roll = rng();
  const structured = (): Uint8Array => structuredStream(rng, ctx).bytes;
  if (roll < 0.2) return { kind: 'malformed', bytes: pick(rng, malformed), delivery: { mode: 'burst' }, unread: false };
  if (roll < 0.5) return { kind: 'structured', bytes: structured(), delivery: { mode: 'burst' }, unread: false };
  if (roll < 0.65) {
    const bytes = structured();
    return { kind: 'stalled', bytes, delivery: { mode: 'stall', cut: randInt(rng, Math.max(1, bytes.length)) }, unread: false };
  }
  if (roll < 0.8) {
    const bytes = rng() < 0.7 ? structured() : randomBytes(rng, 64 + randInt(rng, 1024));
    return { kind: 'trickle', bytes, delivery: { mode: 'trickle', chunk: 1 + randInt(rng, 16), everyMs: 20 + randInt(rng, 180) }, unread: false };
  }
  if (roll < 0.9) return { kind: 'noise', bytes: randomBytes(rng, 1 + randInt(rng, rng() < 0.9 ? 4096 : 256 * 1024)), delivery: { mode: 'burst' }, unread: false };
  if (roll < 0.95) return { kind: 'idle', bytes: new Uint8Array(0), delivery: { mode: 'burst' }, unread: false };
  return { kind: 'unread', bytes: structured(), delivery: { mode: 'burst' }, unread: true };
}

/** Every byte a plan will put on the wire. */
export function planBytes(plan: StreamPlan): Uint8Array {
  return plan.delivery.mode === 'stall' ? plan.bytes.subarray(0, plan.delivery.cut) : plan.bytes;
}

/**
 * `body` behind the label header `F4 len label` (the same bytes start a labelled datagram and a
 * labelled stream), so hand-made inputs also reach a labelled node's decoders. No label: `body`.
 */
export function withLabelPreamble(label: Uint8Array | undefined, body: Uint8Array): Uint8Array {
  return label === undefined ? body : concat([0xf4, label.length], label, body);
}
