/**
 * How the core sends datagrams: direct messages with queued gossip piggybacked (memberlist
 * `sendMsg`, reference §2.6), compounds to a known member, and the CRC decision for each.
 * @module
 */
import { parseHostPort } from '../address.js';
import { supportsCrc } from '../wire/capabilities.js';
import { encodeMessage } from '../wire/codec.js';
import { encodeCompound } from '../wire/compound.js';
import type { PacketMessage } from '../wire/messages.js';
import { COMPOUND_OVERHEAD, piggybackBudget, type CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { MemberEntry, MemberTable } from './members.js';
import type { GossipQueues } from './queues.js';

/** Where a user datagram goes and whether memberlist would give it a CRC. */
export interface UserTarget {
  /** `host:port`. */
  readonly address: string;
  /** Send with a CRC header (reference §2.1). */
  readonly crc: boolean;
}

/** Owns the piggyback budget and the scratch space of outgoing packets. */
export class Outbox {
  /** Piggyback budget per datagram, bytes (`packetBudgetBytes − packetOverheadBytes`). */
  readonly budget: number;
  /** Scratch array for broadcast selection (reused: no per-packet allocation when idle). */
  private readonly scratch: Uint8Array[] = [];

  constructor(
    config: CoreConfig,
    private readonly members: MemberTable,
    private readonly queues: GossipQueues,
  ) {
    this.budget = piggybackBudget(config);
  }

  /**
   * memberlist's CRC decision for sends through `sendMsg` (no node passed): it looks the address's
   * *IP text* up as a node name, which only matches clusters that name nodes by IP (reference §2.1).
   */
  crcForAddress(to: string): boolean {
    // Most clusters name nodes otherwise: then no lookup (slicing and hashing a fresh host
    // string on every send was the core's top cost in the N = 1,000 profile).
    if (!this.members.hasIpNamedMembers) return false;
    const host = to.startsWith('[') ? to.slice(1, to.indexOf(']')) : to.slice(0, to.lastIndexOf(':'));
    const e = this.members.get(host);
    return e !== undefined && supportsCrc(e.vsn);
  }

  /**
   * Where a user datagram to `to` goes: a member name (any state) gives its address, with a CRC
   * when its PMax ≥ 5 (memberlist `SendToAddress` with the node known); otherwise an `ip:port`
   * gives itself, with {@link crcForAddress}'s rule; anything else `undefined`.
   */
  userTarget(to: string): UserTarget | undefined {
    const member = this.members.get(to);
    if (member !== undefined) return { address: member.address, crc: supportsCrc(member.vsn) };
    if (parseHostPort(to) === undefined) return undefined;
    return { address: to, crc: this.crcForAddress(to) };
  }

  /** Fills `out` with queued gossip worth at most `limit` bytes (compound overhead included). */
  fill(limit: number, out: Uint8Array[]): void {
    this.queues.take(limit, this.members.size, out);
  }

  /**
   * memberlist `sendMsg`: sends one direct message (ping, ack, nack, indirect ping) with as much
   * queued gossip piggybacked as fits in `budget − len(msg) − 2` (reference §2.6). `note`, if
   * given, rides right after `msg`, ahead of the queued gossip.
   */
  sendDirect(fx: Effects, to: string, msg: PacketMessage, note?: PacketMessage): void {
    const bytes = encodeMessage(msg);
    const noteBytes = note === undefined ? undefined : encodeMessage(note);
    const crc = this.crcForAddress(to);
    const parts = this.scratch;
    parts.length = 0;
    const noteCost = noteBytes === undefined ? 0 : noteBytes.length + COMPOUND_OVERHEAD;
    this.fill(this.budget - bytes.length - COMPOUND_OVERHEAD - noteCost, parts);
    if (noteBytes !== undefined) parts.unshift(noteBytes);
    if (parts.length === 0) {
      fx.send(to, bytes, crc);
      return;
    }
    parts.unshift(bytes);
    for (const packet of encodeCompound(parts)) fx.send(to, packet, crc);
    parts.length = 0;
  }

  /**
   * Sends `parts` as compound datagrams to a known member, with a CRC when its PMax ≥ 5 (memberlist
   * sends gossip and buddy pings with the node known). No further piggyback.
   */
  sendToMember(fx: Effects, member: MemberEntry, parts: Uint8Array[]): void {
    const crc = supportsCrc(member.vsn);
    for (const packet of encodeCompound(parts)) fx.send(member.address, packet, crc);
  }
}
