/**
 * The simulator's network: latency, loss, duplication, partitions, and traffic counters.
 * Pure and seeded: the same calls in the same order make the same decisions.
 * @module
 */
import type { Random } from '../core/random.js';
import type { StreamMessage } from '../wire/messages.js';
import { encodeStreamMessage } from '../wire/stream.js';

const PLAIN_STREAM = { compress: false, labelPreamble: false } as const;

/** Faults applied to every link unless a per-link rule overrides them. */
export interface LinkFaults {
  /** One-way latency bounds, ms; each packet draws uniformly, so packets can reorder. Default 1–5. */
  readonly latencyMs: { readonly min: number; readonly max: number };
  /** Probability a datagram is lost, 0–1. Default 0. */
  readonly loss: number;
  /** Probability a delivered datagram arrives twice, 0–1. Default 0. */
  readonly duplicate: number;
}

/** Traffic counted by message kind (the first type byte of each datagram, `stream:<type>` for streams); bytes are payload bytes (no UDP/TCP/IP headers). */
export interface TrafficCounters {
  packets: number;
  bytes: number;
  readonly byType: Map<string, { packets: number; bytes: number }>;
  /** Per sender address. */
  readonly bySender: Map<string, { packets: number; bytes: number }>;
}

const TYPE_NAMES: Record<number, string> = { 0: 'ping', 1: 'indirect-ping', 2: 'ack', 3: 'suspect', 4: 'alive', 5: 'dead', 7: 'compound', 8: 'user', 9: 'compress', 11: 'nack' };

/** Seeded network model shared by all simulated nodes. */
export class SimNetwork {
  /** Faults in force for every link. */
  faults: LinkFaults;
  /** Datagrams and bytes offered to the network (before loss). */
  readonly sent: TrafficCounters = { packets: 0, bytes: 0, byType: new Map(), bySender: new Map() };
  /** Datagrams dropped by faults or because nobody was listening. */
  dropped = 0;
  /**
   * Count stream messages at their encoded size (default). Encoding every push/pull costs the
   * simulator real time (a push/pull at N = 1,000 is ~70 kB); switch it off for speed measurements,
   * and streams then count 0 bytes.
   */
  countStreamBytes = true;
  private groups: Map<string, number> | undefined;
  private readonly linkLoss = new Map<string, number>();
  private readonly inboundLoss = new Map<string, number>();

  constructor(
    private readonly random: Random,
    faults: Partial<LinkFaults>,
  ) {
    this.faults = { latencyMs: { min: 1, max: 5 }, loss: 0, duplicate: 0, ...faults };
  }

  /** Splits the network: traffic flows only within a group. Addresses not listed form their own group. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groups = new Map();
    groups.forEach((g, i) => g.forEach((a) => this.groups!.set(a, i)));
  }

  /** Removes the partition. */
  heal(): void {
    this.groups = undefined;
  }

  /** Loss on the one-way link `from → to` (0 removes the rule). */
  setLinkLoss(from: string, to: string, rate: number): void {
    if (rate <= 0) this.linkLoss.delete(`${from}>${to}`);
    else this.linkLoss.set(`${from}>${to}`, rate);
  }

  /** Loss of everything arriving at `address` (0 removes the rule): one-way loss, flapping members. */
  setInboundLoss(address: string, rate: number): void {
    if (rate <= 0) this.inboundLoss.delete(address);
    else this.inboundLoss.set(address, rate);
  }

  /** Whether everything arriving at `address` is dropped (inbound loss 1): then streams cannot reach it either. */
  isolated(address: string): boolean {
    return (this.inboundLoss.get(address) ?? 0) >= 1;
  }

  /** Whether `from` can reach `to` at all (partitions only; loss is per packet). */
  connected(from: string, to: string): boolean {
    if (!this.groups) return true;
    return (this.groups.get(from) ?? -1 - hash(from)) === (this.groups.get(to) ?? -1 - hash(to));
  }

  /** One latency draw, ms. */
  latency(): number {
    const { min, max } = this.faults.latencyMs;
    return min + this.random.next() * (max - min);
  }

  /**
   * Decides one datagram's fate: returns the delivery delays (empty = lost, two = duplicated).
   * Counts it as sent either way.
   */
  deliver(from: string, to: string, payload: Uint8Array, destUp: boolean): number[] {
    this.count(from, TYPE_NAMES[payload[0] ?? -1] ?? `type-${payload[0]}`, payload.length);
    const loss = Math.max(this.faults.loss, this.linkLoss.get(`${from}>${to}`) ?? 0, this.inboundLoss.get(to) ?? 0);
    if (!destUp || !this.connected(from, to) || (loss > 0 && this.random.next() < loss)) {
      this.dropped++;
      return [];
    }
    const delays = [this.latency()];
    if (this.faults.duplicate > 0 && this.random.next() < this.faults.duplicate) delays.push(this.latency());
    return delays;
  }

  /**
   * Counts one stream message (streams are reliable; they only fail by partition or crash) with
   * its encoded size: the frame memberlist writes, uncompressed and unencrypted (no TCP/IP headers).
   */
  countStream(message: StreamMessage, from = ''): void {
    this.count(from, `stream:${message.type}`, this.countStreamBytes ? encodeStreamMessage(message, PLAIN_STREAM).length : 0);
  }

  private count(from: string, type: string, bytes: number): void {
    this.sent.packets++;
    this.sent.bytes += bytes;
    const t = this.sent.byType.get(type) ?? { packets: 0, bytes: 0 };
    t.packets++;
    t.bytes += bytes;
    this.sent.byType.set(type, t);
    if (from) {
      const s = this.sent.bySender.get(from) ?? { packets: 0, bytes: 0 };
      s.packets++;
      s.bytes += bytes;
      this.sent.bySender.set(from, s);
    }
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
