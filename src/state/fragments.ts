/**
 * Splitting state messages larger than one datagram, and putting them back together.
 *
 * A delta carries at least one whole key, so a single value over about 1 KiB makes a message above
 * the packet budget. Sent whole, it would be one UDP datagram that IP fragments, and losing any IP
 * fragment loses all of it (and some paths drop fragments outright). Instead the sender cuts the
 * encoded message into `fragment` messages that each fit the budget, and the receiver reassembles
 * them and handles the result as if it had come in one datagram. A lost fragment loses the
 * message, as a lost datagram would: gossip and anti-entropy send it again.
 *
 * Pure: no clock, no I/O. Partial messages are bounded in number and bytes; the oldest is dropped
 * to make room, so a peer that sends first fragments only cannot grow memory.
 * @module
 */
import { encodeStateMessage, MAX_FRAGMENTS } from './codec.js';
import { utf8Length } from './replica.js';

/** Bytes a fragment's header takes besides the sender name (type, version, kind, id, index, count, length, generation). */
const FRAGMENT_HEADER_BYTES = 40;
/** Most messages being reassembled at once, from all peers together. */
const MAX_PARTIAL = 32;

/**
 * `bytes` as datagrams of at most `budget` bytes: itself when it fits (or cannot be split within
 * {@link MAX_FRAGMENTS}, then sent whole as before), else fragments numbered `id` within the
 * sender's `generation`.
 */
export function split(from: string, generation: number, id: number, bytes: Uint8Array, budget: number): Uint8Array[] {
  if (bytes.length <= budget) return [bytes];
  const chunk = budget - FRAGMENT_HEADER_BYTES - utf8Length(from);
  const count = chunk > 0 ? Math.ceil(bytes.length / chunk) : Infinity;
  if (count > MAX_FRAGMENTS) return [bytes];
  const out: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    out.push(encodeStateMessage({ kind: 'fragment', from, id, index, count, bytes: bytes.subarray(index * chunk, (index + 1) * chunk), generation }));
  }
  return out;
}

interface Partial {
  readonly parts: (Uint8Array | undefined)[];
  have: number;
  bytes: number;
}

/** Messages being put back together, keyed by sender, its generation and id. */
export class Reassembly {
  private readonly partial = new Map<string, Partial>();
  /** The latest generation seen per sender with a message in progress (to drop a previous run's partials). */
  private readonly generations = new Map<string, number>();

  /** @param maxMessageBytes most bytes of one reassembled message (larger ones are dropped). */
  constructor(private readonly maxMessageBytes: number) {}

  /** Number of messages waiting for fragments. */
  get size(): number {
    return this.partial.size;
  }

  /** Number of senders whose generation is remembered (at most one per sender with a message in progress). */
  get senders(): number {
    return this.generations.size;
  }

  /** Forgets a sender's generation once none of its messages is in progress, so the map stays as small as `partial`. */
  private forgetIdle(from: string): void {
    for (const k of this.partial.keys()) if (k.startsWith(`${from}\u0000`)) return;
    this.generations.delete(from);
  }

  /**
   * Adds one fragment. Returns the whole message's bytes once every fragment is in, `'bad'` when
   * the fragment disagrees with earlier ones of the same id or the message grows over the limit,
   * else undefined.
   */
  add(from: string, generation: number, id: number, index: number, count: number, bytes: Uint8Array): Uint8Array | 'bad' | undefined {
    const known = this.generations.get(from);
    if (known !== undefined && generation < known) return 'bad'; // a previous run's, late
    if (known !== undefined && generation > known) {
      // The sender restarted: its previous run's messages will never be completed.
      for (const k of [...this.partial.keys()]) if (k.startsWith(`${from}\u0000`)) this.partial.delete(k);
    }
    const key = `${from}\u0000${generation}\u0000${id}`;
    let p = this.partial.get(key);
    if (p === undefined) {
      if (this.partial.size >= MAX_PARTIAL) {
        const oldest = this.partial.keys().next().value!;
        this.partial.delete(oldest);
        this.forgetIdle(oldest.slice(0, oldest.indexOf('\u0000')));
      }
      this.generations.set(from, generation);
      p = { parts: new Array<Uint8Array | undefined>(count).fill(undefined), have: 0, bytes: 0 };
      this.partial.set(key, p);
    }
    if (p.parts.length !== count || p.bytes + bytes.length > this.maxMessageBytes) {
      this.partial.delete(key);
      this.forgetIdle(from);
      return 'bad';
    }
    if (p.parts[index] !== undefined) return undefined; // a duplicate datagram
    p.parts[index] = bytes.slice();
    p.have++;
    p.bytes += bytes.length;
    if (p.have < count) return undefined;
    this.partial.delete(key);
    this.forgetIdle(from);
    const whole = new Uint8Array(p.bytes);
    let at = 0;
    for (const part of p.parts) {
      whole.set(part!, at);
      at += part!.length;
    }
    return whole;
  }
}
