/**
 * Wire format of hearsay's state messages: a hearsay-only datagram type that memberlist never
 * defines, sent only to members known to understand it (see `capability.ts`).
 *
 * Layout: `E8` (type) · wire version `01` · kind · sender name · kind's body. Numbers are unsigned
 * LEB128 varints (up to 2^53), strings and bytes a varint length then the bytes, hashes 4 bytes big
 * endian. Append only: kinds and trailing fields may be added; a decoder ignores trailing bytes and
 * reports unknown kinds as such. Decoding is total: bad input is a typed result, never a throw.
 * @module
 */
import type { DeltaEntry, StateValue } from './replica.js';
import { DIGEST_BUCKETS } from './digest.js';
import type { ClusterEvent, EventPosition } from './event-log.js';

/** The datagram's first byte. memberlist's types end at 13 (and 244, the label); append only. */
export const STATE_MESSAGE_TYPE = 0xe8;
/** Feature bit a node announces (alive / push-pull key `Hf`) when it runs the state layer, wire version 1. */
export const STATE_FEATURE = 1;
/** Wire version of the state messages. */
export const STATE_WIRE_VERSION = 1;

/** Message kinds. Append only: values are protocol. */
export const StateKind = { digest: 1, buckets: 2, summary: 3, delta: 4, events: 5, eventPositions: 6, fragment: 7 } as const;

/** Most fragments one message is split into (a 4 KiB value at a small budget takes a handful). */
export const MAX_FRAGMENTS = 64;

/** One member's position in a summary. `fill` is a reset's progress, or -1. */
export interface SummaryEntry {
  readonly member: string;
  readonly generation: number;
  readonly version: number;
  readonly fill: number;
}

/** A decoded state message. */
export type StateMessage =
  | {
      readonly kind: 'digest';
      readonly from: string;
      readonly root: number;
      /** Hash of the sender's event positions (appended field; 0 when absent). */
      readonly eventsRoot: number;
    }
  | { readonly kind: 'events'; readonly from: string; readonly events: readonly ClusterEvent[] }
  | { readonly kind: 'event-positions'; readonly from: string; readonly wantReply: boolean; readonly positions: readonly EventPosition[] }
  | { readonly kind: 'buckets'; readonly from: string; readonly root: number; readonly buckets: Uint32Array }
  | { readonly kind: 'summary'; readonly from: string; readonly wantReply: boolean; readonly buckets: readonly number[]; readonly entries: readonly SummaryEntry[] }
  /** Part `index` of `count` of one larger state message's bytes (`id` numbers the sender's split messages). */
  /**
   * Part `index` of `count` of one larger message. `generation` (a trailing field, 0 from a sender
   * that predates it) is the sender's: ids restart with each run, so a restarted sender's fragments
   * never join a previous run's.
   */
  | { readonly kind: 'fragment'; readonly from: string; readonly id: number; readonly index: number; readonly count: number; readonly bytes: Uint8Array; readonly generation: number }
  | {
      readonly kind: 'delta';
      readonly from: string;
      readonly member: string;
      readonly generation: number;
      readonly since: number;
      readonly upTo: number;
      readonly latest: number;
      readonly reset: boolean;
      /** The sender's collected-tombstone floor for the member: a replica started from this delta lacks those deletes too. */
      readonly floor: number;
      readonly entries: readonly DeltaEntry[];
    };

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** Growable byte buffer with the few primitives the format needs. */
class Out {
  private buf = new Uint8Array(256);
  private n = 0;
  private room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + k));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  byte(b: number): this {
    this.room(1);
    this.buf[this.n++] = b;
    return this;
  }
  uint(x: number): this {
    if (!Number.isSafeInteger(x) || x < 0) throw new RangeError(`state wire: not a u53: ${x}`);
    while (x >= 0x80) {
      this.byte((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    return this.byte(x);
  }
  u32(x: number): this {
    this.room(4);
    this.buf[this.n++] = (x >>> 24) & 0xff;
    this.buf[this.n++] = (x >>> 16) & 0xff;
    this.buf[this.n++] = (x >>> 8) & 0xff;
    this.buf[this.n++] = x & 0xff;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.uint(b.length);
    this.room(b.length);
    this.buf.set(b, this.n);
    this.n += b.length;
    return this;
  }
  str(s: string): this {
    return this.bytes(utf8.encode(s));
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

class Malformed extends Error {}

/** Bounds-checked reader; every overrun throws `Malformed`, caught by {@link decodeStateMessage}. */
class In {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new Malformed('truncated');
    return this.buf[this.pos++]!;
  }
  uint(): number {
    let x = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      x += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(x)) throw new Malformed('number too large');
        return x;
      }
      scale *= 0x80;
    }
    throw new Malformed('varint too long');
  }
  u32(): number {
    return ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
  }
  bytes(): Uint8Array {
    const len = this.uint();
    if (len > this.buf.length - this.pos) throw new Malformed('truncated');
    const out = this.buf.slice(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  str(): string {
    try {
      return utf8d.decode(this.bytes());
    } catch (error) {
      if (error instanceof Malformed) throw error;
      throw new Malformed('invalid utf-8');
    }
  }
  /** True when every byte was read (fields appended by later versions may follow). */
  atEnd(): boolean {
    return this.pos >= this.buf.length;
  }
  /** A count of items each at least `minBytes` long: bounded by what is left, so no count can allocate more than the datagram. */
  count(minBytes: number): number {
    const n = this.uint();
    if (n * minBytes > this.buf.length - this.pos) throw new Malformed('count exceeds the message');
    return n;
  }
}

function head(kind: number, from: string): Out {
  return new Out().byte(STATE_MESSAGE_TYPE).byte(STATE_WIRE_VERSION).byte(kind).str(from);
}

/** Encodes one state message. @throws {RangeError} on numbers outside u53 (a bug, not input). */
export function encodeStateMessage(m: StateMessage): Uint8Array {
  switch (m.kind) {
    case 'digest':
      return head(StateKind.digest, m.from).u32(m.root).u32(m.eventsRoot).finish();
    case 'events': {
      const o = head(StateKind.events, m.from).uint(m.events.length);
      for (const e of m.events) o.str(e.origin).uint(e.generation).uint(e.seq).uint(e.lamport).uint(e.floor).str(e.name).bytes(e.payload);
      return o.finish();
    }
    case 'event-positions': {
      const o = head(StateKind.eventPositions, m.from).byte(m.wantReply ? 1 : 0).uint(m.positions.length);
      for (const p of m.positions) o.str(p.origin).uint(p.generation).uint(p.next);
      return o.finish();
    }
    case 'buckets': {
      const o = head(StateKind.buckets, m.from).u32(m.root);
      for (let i = 0; i < DIGEST_BUCKETS; i++) o.u32(m.buckets[i] ?? 0);
      return o.finish();
    }
    case 'summary': {
      const o = head(StateKind.summary, m.from).byte(m.wantReply ? 1 : 0).uint(m.buckets.length);
      for (const b of m.buckets) o.uint(b);
      o.uint(m.entries.length);
      for (const e of m.entries) o.str(e.member).uint(e.generation).uint(e.version).uint(e.fill + 1);
      return o.finish();
    }
    case 'fragment':
      return head(StateKind.fragment, m.from).uint(m.id).uint(m.index).uint(m.count).bytes(m.bytes).uint(m.generation).finish();
    case 'delta': {
      const o = head(StateKind.delta, m.from).str(m.member).uint(m.generation).uint(m.since).uint(m.upTo).uint(m.latest).byte(m.reset ? 1 : 0).uint(m.floor).uint(m.entries.length);
      for (const e of m.entries) {
        o.str(e.key).uint(e.version);
        if (e.value === undefined) o.byte(0);
        else if (typeof e.value === 'string') o.byte(1).str(e.value);
        else o.byte(2).bytes(e.value);
      }
      return o.finish();
    }
  }
}

/** Decode outcome: a message, or a reason to count and drop. */
export type StateDecodeResult = { readonly ok: true; readonly message: StateMessage } | { readonly ok: false; readonly reason: 'malformed' | 'version' | 'unknown-kind'; readonly detail: string };

/** Decodes a state datagram (after the packet layers are peeled). Never throws. */
export function decodeStateMessage(buf: Uint8Array): StateDecodeResult {
  const r = new In(buf);
  try {
    if (r.byte() !== STATE_MESSAGE_TYPE) return { ok: false, reason: 'malformed', detail: 'not a state message' };
    const version = r.byte();
    if (version !== STATE_WIRE_VERSION) return { ok: false, reason: 'version', detail: `wire version ${version}` };
    const kind = r.byte();
    const from = r.str();
    switch (kind) {
      case StateKind.digest: {
        const root = r.u32();
        return { ok: true, message: { kind: 'digest', from, root, eventsRoot: r.atEnd() ? 0 : r.u32() } };
      }
      case StateKind.events: {
        const n = r.count(8);
        const events: ClusterEvent[] = [];
        for (let i = 0; i < n; i++) events.push({ origin: r.str(), generation: r.uint(), seq: r.uint(), lamport: r.uint(), floor: r.uint(), name: r.str(), payload: r.bytes() });
        return { ok: true, message: { kind: 'events', from, events } };
      }
      case StateKind.eventPositions: {
        const wantReply = r.byte() === 1;
        const n = r.count(3);
        const positions: EventPosition[] = [];
        for (let i = 0; i < n; i++) positions.push({ origin: r.str(), generation: r.uint(), next: r.uint() });
        return { ok: true, message: { kind: 'event-positions', from, wantReply, positions } };
      }
      case StateKind.buckets: {
        const root = r.u32();
        const buckets = new Uint32Array(DIGEST_BUCKETS);
        for (let i = 0; i < DIGEST_BUCKETS; i++) buckets[i] = r.u32();
        return { ok: true, message: { kind: 'buckets', from, root, buckets } };
      }
      case StateKind.summary: {
        const wantReply = r.byte() === 1;
        const nb = r.count(1);
        const buckets: number[] = [];
        for (let i = 0; i < nb; i++) {
          const b = r.uint();
          if (b >= DIGEST_BUCKETS) throw new Malformed('bucket out of range');
          buckets.push(b);
        }
        const ne = r.count(4);
        const entries: SummaryEntry[] = [];
        for (let i = 0; i < ne; i++) entries.push({ member: r.str(), generation: r.uint(), version: r.uint(), fill: r.uint() - 1 });
        return { ok: true, message: { kind: 'summary', from, wantReply, buckets, entries } };
      }
      case StateKind.delta: {
        const member = r.str();
        const generation = r.uint();
        const since = r.uint();
        const upTo = r.uint();
        const latest = r.uint();
        const reset = r.byte() === 1;
        const floor = r.uint();
        const n = r.count(3);
        const entries: DeltaEntry[] = [];
        for (let i = 0; i < n; i++) {
          const key = r.str();
          const v = r.uint();
          const tag = r.byte();
          let value: StateValue | undefined;
          if (tag === 1) value = r.str();
          else if (tag === 2) value = r.bytes();
          else if (tag !== 0) throw new Malformed(`value tag ${tag}`);
          if (v <= since || v > upTo) throw new Malformed('entry version outside the delta range');
          entries.push({ key, version: v, value });
        }
        if (since > upTo || upTo > latest) throw new Malformed('delta range');
        return { ok: true, message: { kind: 'delta', from, member, generation, since, upTo, latest, reset, floor, entries } };
      }
      case StateKind.fragment: {
        const id = r.uint();
        const index = r.uint();
        const count = r.uint();
        if (count < 2 || count > MAX_FRAGMENTS || index >= count) throw new Malformed('fragment index or count');
        const bytes = r.bytes();
        // Trailing, added later (append only): absent from an older sender.
        const generation = r.atEnd() ? 0 : r.uint();
        return { ok: true, message: { kind: 'fragment', from, id, index, count, bytes, generation } };
      }
      default:
        return { ok: false, reason: 'unknown-kind', detail: `kind ${kind}` };
    }
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: 'malformed', detail: error.message };
    return { ok: false, reason: 'malformed', detail: String(error) };
  }
}
