/**
 * The simulator's network: latency, loss, duplication, partitions, and traffic counters.
 * Pure and seeded: the same calls in the same order make the same decisions.
 * @module
 */
import type { Random } from '../core/random.js';
import { MessageType, TYPE_NAMES } from '../wire/messages.js';

/** Faults applied to every link unless a per-link rule overrides them. */
export interface LinkFaults {
  /** One-way latency bounds, ms; each packet draws uniformly, so packets can reorder. Default 1–5. */
  readonly latencyMs: { readonly min: number; readonly max: number };
  /** Probability a datagram is lost, 0–1. Default 0. */
  readonly loss: number;
  /** Probability a delivered datagram arrives twice, 0–1. Default 0. */
  readonly duplicate: number;
}

/**
 * Traffic counted by message kind: the type byte of each datagram after its CRC header and label
 * (`encrypted` when sealed), `stream:<type>` for the segments of a stream conversation (typed by
 * its first message). Bytes are what the node handed its transport: sealed datagrams and stream
 * frames, without UDP/TCP/IP headers.
 */
export interface TrafficCounters {
  packets: number;
  bytes: number;
  readonly byType: Map<string, { packets: number; bytes: number }>;
}

/** A datagram's message type, past its label and CRC header. */
function datagramType(d: Uint8Array): string {
  let i = 0;
  if (d[0] === MessageType.hasLabel) i = 2 + (d[1] ?? 0);
  if (d[i] === MessageType.hasCrc) i += 5;
  return TYPE_NAMES[d[i] ?? -1] ?? `type-${d[i]}`;
}

/** Seeded network model shared by all simulated nodes. */
export class SimNetwork {
  /** Faults in force for every link. */
  faults: LinkFaults;
  /** Datagrams and bytes offered to the network (before loss). */
  readonly sent: TrafficCounters = { packets: 0, bytes: 0, byType: new Map() };
  /** Datagrams dropped by faults or because nobody was listening. */
  dropped = 0;
  /** Called after every change of partitions or loss rules (the simulator resumes stalled streams). */
  onChange: (() => void) | undefined;
  /** Sees every datagram offered to the network, before its fate is drawn (tests: act on a node's own sends). */
  tap: ((from: string, to: string, type: string, bytes: number) => void) | undefined;
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
    this.onChange?.();
  }

  /** Removes the partition. */
  heal(): void {
    this.groups = undefined;
    this.onChange?.();
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
    this.onChange?.();
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
   * Decides one datagram's fate: returns the delivery delays (empty = lost, two = duplicated),
   * in an array reused by the next call (read it at once). Counts the datagram as sent either way.
   */
  deliver(from: string, to: string, datagram: Uint8Array, destUp: boolean, encrypted: boolean): readonly number[] {
    const type = encrypted ? 'encrypted' : datagramType(datagram);
    this.count(type, datagram.length);
    this.tap?.(from, to, type, datagram.length);
    const delays = this.delays;
    delays.length = 0;
    let loss = this.faults.loss;
    // Most runs have no per-link or inbound rule: skip building the key then.
    if (this.linkLoss.size > 0) loss = Math.max(loss, this.linkLoss.get(`${from}>${to}`) ?? 0);
    if (this.inboundLoss.size > 0) loss = Math.max(loss, this.inboundLoss.get(to) ?? 0);
    if (!destUp || !this.connected(from, to) || (loss > 0 && this.random.next() < loss)) {
      this.dropped++;
      return delays;
    }
    delays.push(this.latency());
    if (this.faults.duplicate > 0 && this.random.next() < this.faults.duplicate) delays.push(this.latency());
    return delays;
  }
  private readonly delays: number[] = [];

  /** Whether a stream segment can travel `from` → `to` now: TCP gets through partial loss, not a cut link or a member whose inbound traffic is all dropped. */
  streamLinkUp(from: string, to: string): boolean {
    return this.connected(from, to) && this.connected(to, from) && !this.isolated(to) && !this.isolated(from);
  }

  /** Counts one stream segment of `bytes` under `stream:<kind>`. */
  countStream(kind: string, bytes: number): void {
    this.count(`stream:${kind}`, bytes);
  }

  private count(type: string, bytes: number): void {
    this.sent.packets++;
    this.sent.bytes += bytes;
    let t = this.sent.byType.get(type);
    if (t === undefined) {
      t = { packets: 0, bytes: 0 };
      this.sent.byType.set(type, t);
    }
    t.packets++;
    t.bytes += bytes;
  }
}

function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) | 0;
  return Math.abs(h);
}
