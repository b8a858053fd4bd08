/**
 * Hostile datagrams: noise, corrupted real packets, decompression bombs, nesting, lying
 * compounds, unknown types, bad headers. Shared by the hostile-traffic tests (a few thousand
 * datagrams, with exact drop counts) and the fuzzer (`npm run fuzz`, a million).
 *
 * Everything here is pure and driven by a seeded {@link Rng}, so a seed replays the same bytes.
 * @module
 */
import { decodeStateMessage, STATE_MESSAGE_TYPE } from '../../src/state/codec.js';
import { DEFAULT_WIRE_LIMITS, type WireLimits } from '../../src/options.js';
import { encodeCompressed } from '../../src/wire/bodies.js';
import { decodePayload, encodeCompound, encodeMessage, openPacket, sealPacket, type PacketMessage, type PacketSecurity } from '../../src/wire/index.js';
import { ascii, concat, randInt, randomBytes, type Rng } from './bytes.js';

/** The `Vsn` hearsay and memberlist advertise: protocol 1–5 (current 2), delegate 0. */
export const VSN = Uint8Array.of(1, 5, 2, 0, 0, 0);

/** Messages that are harmless when they decode: they name no real member and make the node send nowhere but back to the sender. */
export function harmlessMessage(rng: Rng): PacketMessage {
  const ghost = `ghost-${randInt(rng, 1e6)}`;
  const seqNo = randInt(rng, 2 ** 32);
  switch (randInt(rng, 6)) {
    case 0:
      return { type: 'ping', seqNo, node: ghost };
    case 1:
      return { type: 'ack', seqNo, payload: rng() < 0.5 ? null : randomBytes(rng, randInt(rng, 40)) };
    case 2:
      return { type: 'nack', seqNo };
    case 3:
      return { type: 'suspect', incarnation: randInt(rng, 100), node: ghost, from: `ghost-${randInt(rng, 1e6)}` };
    case 4:
      return { type: 'dead', incarnation: randInt(rng, 100), node: ghost, from: `ghost-${randInt(rng, 1e6)}` };
    default:
      return { type: 'user', payload: randomBytes(rng, randInt(rng, 200)) };
  }
}

/** A valid datagram: 1–5 {@link harmlessMessage}s, maybe compound, maybe compressed, maybe CRC'd. */
export function validDatagram(rng: Rng): Uint8Array {
  const parts = Array.from({ length: 1 + randInt(rng, 5) }, () => encodeMessage(harmlessMessage(rng)).slice());
  const inner = encodeCompound(parts)[0]!.slice();
  return sealPacket(inner, { compress: rng() < 0.5, crc: rng() < 0.5 }).slice();
}

/** Bit flips, truncation, overwritten runs or appended junk; never modifies `packet`. */
export function mutate(rng: Rng, packet: Uint8Array): Uint8Array {
  let out: Uint8Array = packet.slice();
  const flips = (): void => {
    for (let i = 1 + randInt(rng, 8); i > 0 && out.length > 0; i--) {
      const at = randInt(rng, out.length);
      out[at] = out[at]! ^ (1 << randInt(rng, 8));
    }
  };
  switch (randInt(rng, 5)) {
    case 0:
      flips();
      break;
    case 1:
      out = out.slice(0, randInt(rng, out.length));
      break;
    case 2:
      flips();
      out = out.slice(0, 1 + randInt(rng, out.length));
      break;
    case 3:
      if (out.length > 0) {
        const at = randInt(rng, out.length);
        out.set(randomBytes(rng, Math.min(out.length - at, 1 + randInt(rng, 16))), at);
      }
      break;
    default:
      out = concat(out, randomBytes(rng, 1 + randInt(rng, 64)));
  }
  return out;
}

/**
 * What a node's packet pipeline (open → decode) does with `bytes`, given its `security`
 * (keyring, label, verifyIncoming): the drops per reason the wire layer reports, and the
 * messages that reach the core. The driver counts exactly these drops before the core sees anything.
 */
export function pipeline(bytes: Uint8Array, limits: WireLimits, security: PacketSecurity = {}): { drops: Map<string, number>; messages: PacketMessage[] } {
  const drops = new Map<string, number>();
  const opened = openPacket(bytes, security);
  if (!opened.ok) {
    drops.set(opened.error.code, 1);
    return { drops, messages: [] };
  }
  if (opened.value[0] === STATE_MESSAGE_TYPE) {
    // The driver hands these to the cluster state layer, which counts a bad one as `state-<reason>`.
    const state = decodeStateMessage(opened.value);
    if (!state.ok) drops.set(`state-${state.reason}`, 1);
    return { drops, messages: [] };
  }
  const { messages, errors } = decodePayload(opened.value, limits);
  for (const e of errors) drops.set(e.code, (drops.get(e.code) ?? 0) + 1);
  return { drops, messages };
}

/** Who the attacker is and whom it must not disturb, for {@link harmless}. */
export interface HarmContext {
  /** Names of the real members. */
  readonly real: ReadonlySet<string>;
  /**
   * The attacker's own UDP address. When set, a ping may name it as its reply address and an
   * indirect ping may name it as the target: the node then only sends back to the attacker.
   */
  readonly attacker?: { readonly addr: Uint8Array; readonly port: number };
}

const sameBytes = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * True if an alive must be refused before it can add a member, as memberlist's `aliveNode`
 * refuses it: an empty name, protocol versions that cannot be (`PMin` or `PMax` 0, `PMin` >
 * `PMax`), or an `Addr` that is not an IPv4 or IPv6 address. If a node admitted one anyway, its
 * member table would show it.
 */
function refusedAlive(m: Extract<PacketMessage, { type: 'alive' }>): boolean {
  const [pmin, pmax] = [m.vsn[0] ?? 0, m.vsn[1] ?? 0];
  const badVsn = m.vsn.length >= 3 && (pmin === 0 || pmax === 0 || pmin > pmax);
  return m.node === '' || badVsn || (m.addr.length !== 4 && m.addr.length !== 16);
}

/**
 * True if the decoded messages cannot disturb anything but the node's drop counters and the
 * attacker's own socket:
 * - no alive for an unknown name (the node would admit a phantom) unless it must be refused
 *   outright (see {@link refusedAlive}), and an alive about a real member only at incarnation 0
 *   (every member starts at 1, so it is stale);
 * - no suspect or dead about a real member unless at incarnation 0 (stale);
 * - pings reply only to the sender or the attacker's address; an indirect ping only probes the
 *   attacker (and without an attacker address, never).
 * Acks, nacks and user messages are always harmless.
 */
export function harmless(messages: readonly PacketMessage[], ctx: HarmContext): boolean {
  const { real, attacker } = ctx;
  const isAttacker = (addr: Uint8Array | undefined, port: number | undefined): boolean =>
    attacker !== undefined && sameBytes(addr, attacker.addr) && port === attacker.port;
  return messages.every((m) => {
    switch (m.type) {
      case 'alive':
        return real.has(m.node) ? m.incarnation === 0 : refusedAlive(m);
      case 'indirect-ping':
        return isAttacker(m.target, m.port) && (m.sourceAddr === undefined || isAttacker(m.sourceAddr, m.sourcePort));
      case 'ping':
        return (m.sourceAddr === undefined && m.sourcePort === undefined) || isAttacker(m.sourceAddr, m.sourcePort);
      case 'suspect':
      case 'dead':
        return !real.has(m.node) || m.incarnation === 0;
      default:
        return true;
    }
  });
}

/** `09 {Algo: 0, Buf: lzw(n zero bytes)}`: a few KiB that inflate to `n` bytes. */
export function compressionBomb(n: number): Uint8Array {
  return encodeCompressed(new Uint8Array(n)).slice();
}

/** One hand-made datagram, named so a failure says which. */
export interface LabelledBytes {
  readonly label: string;
  readonly bytes: Uint8Array;
}

/** Hand-made datagrams aimed at each decoder limit and corner (labels name them in failures). */
export function craftedDatagrams(rng: Rng): LabelledBytes[] {
  const ping = encodeMessage({ type: 'ping', seqNo: 7, node: 'ghost-crafted' }).slice();
  const out: LabelledBytes[] = [];
  const add = (label: string, bytes: Uint8Array): void => {
    out.push({ label, bytes });
  };
  // Decompression caps: the default cap is 40 MiB per packet, counted over the whole packet.
  const bomb = compressionBomb(DEFAULT_WIRE_LIMITS.maxDecompressedBytes + 1024 * 1024);
  add('compression bomb (41 MiB of zeros)', bomb);
  add('compression bomb behind a valid CRC', sealPacket(bomb, { compress: false, crc: true }).slice());
  const half = compressionBomb(DEFAULT_WIRE_LIMITS.maxDecompressedBytes / 2 + 1024 * 1024);
  add('compound of two half bombs (per-packet budget)', encodeCompound([half, half])[0]!.slice());
  const doubleBomb = encodeCompressed(bomb).slice();
  if (doubleBomb.length <= 65_000) add('bomb inside a compress', doubleBomb);
  // Nesting.
  let nested = ping;
  for (let i = 0; i < 6; i++) nested = encodeCompressed(nested).slice();
  add('compress nested 6 deep', nested);
  nested = ping;
  for (let i = 0; i < 6; i++) nested = encodeCompound([nested, ping])[0]!.slice();
  add('compound nested 6 deep', nested);
  nested = ping;
  for (let i = 0; i < 8; i++) nested = i % 2 === 0 ? encodeCompound([nested, ping])[0]!.slice() : encodeCompressed(nested).slice();
  add('compound/compress alternating 8 deep', nested);
  // Compound framing.
  add('compound claiming 255 parts, 3 bytes of table', Uint8Array.of(7, 255, 0, 1, 2));
  add('compound claiming 255 parts of 1000 bytes each', concat([7, 255], new Array<number>(510).fill(0).map((_, i) => (i % 2 === 0 ? 0x03 : 0xe8)), ping));
  add('compound with no count byte', Uint8Array.of(7));
  add('compound of zero parts', Uint8Array.of(7, 0));
  const lying = encodeCompound([ping, ping, ping])[0]!.slice();
  lying[5] = 0xff; // the second part's length low byte: runs past the end
  add('compound whose second length runs past the end', lying);
  add('compound with unknown-type parts', encodeCompound([ping, Uint8Array.of(200, 1, 2), Uint8Array.of(14), Uint8Array.of(255)])[0]!.slice());
  // Unknown or out-of-place type bytes (6 push/pull, 10 encrypt, 13 error are stream-only or keyed).
  for (const t of [6, 10, 12, 13, 14, 15, 16, 64, 128, 200, 243, 245, 254, 255]) add(`type byte ${t}`, concat([t], randomBytes(rng, randInt(rng, 40))));
  // Packet headers.
  add('label header, but the node has no label', concat([0xf4, 3], ascii('abc'), ping));
  add('label header without length', Uint8Array.of(0xf4));
  add('empty label header', Uint8Array.of(0xf4, 0));
  add('label longer than the packet', Uint8Array.of(0xf4, 200, 1, 2));
  const badCrc = sealPacket(ping, { compress: false, crc: true }).slice();
  badCrc[1] = badCrc[1]! ^ 0xff;
  add('CRC mismatch', badCrc);
  const algo = encodeCompressed(ping).slice();
  if (algo[7] === 0) {
    algo[7] = 1; // 09 82 a4"Algo" <0> …: an unknown algorithm
    add('compress with Algo 1', algo);
  }
  add('compress with a random LZW stream', concat([9, 0x82, 0xa4], ascii('Algo'), [0, 0xa3], ascii('Buf'), [0xc4, 64], randomBytes(rng, 64)));
  add('empty datagram', new Uint8Array(0));
  for (let i = 0; i < 5; i++) add(`random 65,000 bytes #${i}`, randomBytes(rng, 65_000));
  return out;
}
