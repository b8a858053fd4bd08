/**
 * The core's shared state and the small helpers every message family uses (sending with
 * piggybacked gossip, queueing broadcasts, member events, Lifeguard health changes).
 *
 * `Core` (core.ts) owns one {@link CoreContext}; the protocol logic lives in free functions over
 * it, split by message family (probe.ts, state-merge.ts, gossip.ts, push-pull.ts), so no file
 * grows into a 4,000-line state machine.
 * @module
 */
import { bytesToHostPort } from '../address.js';
import type { MemberState } from '../events.js';
import { METRIC } from '../observability.js';
import type { ProtocolOptions } from '../options.js';
import { encodeMessage } from '../wire/codec.js';
import { encodeCompound } from '../wire/compound.js';
import type { GossipMessage, PacketMessage, PingMessage } from '../wire/messages.js';
import { Awareness } from './awareness.js';
import { TransmitLimitedQueue } from './broadcasts.js';
import type { Effects } from './effects.js';
import { FailedMembers } from './reconnect.js';
import { MemberTable, type MemberEntry } from './members.js';
import type { Random } from './random.js';
import { snapshotOf } from './snapshot.js';
import type { Suspicion } from './suspicion.js';

/** What a `Core` is configured with: the protocol options plus this node's identity. */
export interface CoreConfig extends ProtocolOptions {
  /** This node's unique name. */
  readonly name: string;
  /** Raw IP bytes (4 or 16) we advertise. Always sent in this one form (reference §7.3). */
  readonly advertiseAddr: Uint8Array;
  /** Port we advertise (UDP and TCP). */
  readonly advertisePort: number;
  /** Encoded metadata, ≤ 512 bytes (validated by the host layer). */
  readonly meta: Uint8Array;
  /** 6 bytes `[1, 5, protocolVersion, dmin, dmax, dcur]`. */
  readonly vsn: Uint8Array;
  /** memberlist protocol version spoken, 2…5. Features key on the *peer's* PMax (reference §4). */
  readonly protocolVersion: number;
  /** Ack payload for pings (serf: a coordinate); `null`/absent sends Go's nil. */
  readonly ackPayload?: Uint8Array | null;
  /**
   * Bytes the driver adds to each datagram after the core has built it — label (2 + len) and
   * encryption (29 for version 1) — subtracted from `packetBudgetBytes` when sizing piggybacked
   * gossip, as memberlist does (reference §2.6). Default 0.
   */
  readonly packetOverheadBytes?: number;
}

/** Largest u32 (sequence numbers, incarnations). */
export const U32_MAX = 0xffffffff;
/** Compound overhead per message (its u16 length entry) and for the header (type + count). */
export const COMPOUND_OVERHEAD = 2;
/** Most relay (indirect ping) handlers pending at once; more indirect pings are dropped. */
export const MAX_PENDING_RELAYS = 1024;
/** Most user broadcasts queued; the oldest is dropped beyond this (like serf's queue pruning). */
export const MAX_USER_BROADCASTS = 1024;
/** Most outstanding core-initiated stream exchanges remembered; the oldest is forgotten beyond this. */
export const MAX_PENDING_STREAMS = 64;

/** The probe in flight (memberlist's blocking `probeNode`, unrolled into state + timers). */
export interface ActiveProbe {
  readonly seqNo: number;
  readonly target: MemberEntry;
  /** The target's incarnation when the probe started (Go probes a copy of the node state). */
  readonly targetIncarnation: number;
  readonly startedAt: number;
  /** Awareness-scaled probe interval, ms. */
  readonly intervalMs: number;
  /** When the probe decides, ms (moved later only by the stall rule). */
  endAt: number;
  timeoutToken: number;
  endToken: number;
  /** Indirect pings and the TCP fallback have been started. */
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
  tcp: 'none' | 'pending' | 'ok' | 'failed';
  /** Id of the TCP fallback stream, forgotten when the probe ends. */
  tcpStreamId: number | undefined;
  /** The end was postponed once to wait for a TCP fallback result still in flight. */
  tcpWaitExtended: boolean;
}

/** A relayed ping we are waiting on for another prober. */
export interface RelayHandler {
  /** The requester's sequence number, echoed in our ack/nack. */
  readonly originalSeqNo: number;
  /** Where the requester wants the ack/nack. */
  readonly replyTo: string;
  readonly nack: boolean;
  readonly token: number;
}

/** A stream exchange the core asked the driver for. */
export type PendingStream =
  | { readonly kind: 'ping'; readonly seqNo: number }
  | { readonly kind: 'push-pull' }
  /** A push/pull with a member we consider failed; `followUp` = send a second one if it answers (see reconnect.ts). */
  | { readonly kind: 'reconnect'; readonly address: string; readonly followUp: boolean };

/** The core's whole state. Fields are internal to src/core. */
export class CoreContext {
  /** Every known member, self included. */
  readonly members = new MemberTable();
  /** Reaped failed members we still try to reconnect to (partition healing). */
  readonly failed = new FailedMembers();
  /** Membership gossip (alive/suspect/dead), one entry per member name. */
  readonly broadcasts: TransmitLimitedQueue;
  /** User gossip, at most {@link MAX_USER_BROADCASTS}. */
  readonly userBroadcasts: TransmitLimitedQueue;
  /** Lifeguard local health. */
  readonly awareness: Awareness;
  /** Running suspicions by member name; deleting one makes its timer stale. */
  readonly suspicions = new Map<string, Suspicion>();
  /** Relayed pings by our local seqNo, at most {@link MAX_PENDING_RELAYS}. */
  readonly relays = new Map<number, RelayHandler>();
  /** Stream exchanges we asked for, by id, at most {@link MAX_PENDING_STREAMS}. */
  readonly streams = new Map<number, PendingStream>();
  /** Piggyback budget per datagram, bytes (packetBudgetBytes − driver overhead). */
  readonly budget: number;
  /** Our own entry; a detached placeholder until `start()` puts the real one in the table. */
  self: MemberEntry;
  /** `start()` ran. */
  started = false;
  /** `leave()` ran: we are left, no longer probe or push/pull, and ignore alives about us. */
  leaving = false;
  /** The broadcast id `leave()` returned. */
  leaveId: number | undefined;
  /** Last sequence number used (u32, wraps). */
  seqNo = 0;
  private tokens = 0;
  private broadcastIds = 0;
  private streamIds = 0;
  /** End of the last event-loop stall (`noteStall`), ms; −∞ when none. */
  stallEndAt = Number.NEGATIVE_INFINITY;
  /** The probe in flight, if any (at most one, as Go's blocking probe loop). */
  probe: ActiveProbe | undefined;
  /** A probe tick arrived while a probe was running (Go's ticker buffers one tick). */
  probeTickPending = false;
  /** Tokens of the current ticker chains. */
  probeTickToken = 0;
  gossipTickToken = 0;
  pushPullTickToken = 0;
  /**
   * The gossip ticker found both queues empty and stopped (see `gossip.ts`): nothing to send
   * means nothing to wake for. `gossipResumeAt` is when its next tick would have come.
   */
  gossipParked = false;
  gossipResumeAt = 0;
  private readonly source: Pick<PingMessage, 'sourceAddr' | 'sourcePort' | 'sourceNode'>;
  /** Scratch array for broadcast selection (reused: no per-packet allocation when idle). */
  private readonly scratch: Uint8Array[] = [];

  constructor(
    readonly config: CoreConfig,
    readonly random: Random,
  ) {
    this.broadcasts = new TransmitLimitedQueue(config.retransmitMult);
    this.userBroadcasts = new TransmitLimitedQueue(config.retransmitMult, MAX_USER_BROADCASTS);
    this.awareness = new Awareness(config.awarenessMaxMultiplier);
    this.budget = config.packetBudgetBytes - (config.packetOverheadBytes ?? 0);
    this.source = { sourceAddr: config.advertiseAddr, sourcePort: config.advertisePort, sourceNode: config.name };
    this.self = {
      name: config.name,
      addr: config.advertiseAddr,
      port: config.advertisePort,
      address: bytesToHostPort(config.advertiseAddr, config.advertisePort) ?? '',
      meta: config.meta,
      vsn: config.vsn,
      incarnation: 0,
      state: 'alive',
      stateChangeAt: Number.NEGATIVE_INFINITY,
      snapshot: undefined,
    };
  }

  /** A fresh timer generation token. */
  token(): number {
    return ++this.tokens;
  }

  /** The next u32 sequence number (wraps like Go's `AddUint32`). */
  nextSeqNo(): number {
    this.seqNo = (this.seqNo + 1) >>> 0;
    return this.seqNo;
  }

  /** A fresh id for a broadcast whose completion the host waits for. */
  nextBroadcastId(): number {
    return ++this.broadcastIds;
  }

  /** Registers a stream exchange and returns its id, forgetting the oldest beyond the cap. */
  registerStream(pending: PendingStream): number {
    const id = ++this.streamIds;
    this.streams.set(id, pending);
    if (this.streams.size > MAX_PENDING_STREAMS) {
      const oldest = this.streams.keys().next().value as number;
      this.streams.delete(oldest);
    }
    return id;
  }

  /** Our `Source*` fields for pings and indirect pings (reference §7.9). */
  sourceFields(): Pick<PingMessage, 'sourceAddr' | 'sourcePort' | 'sourceNode'> {
    return this.source;
  }

  /** Counts and logs one dropped inbound message (bad input is data, never an exception). */
  drop(fx: Effects, reason: string, fields: Readonly<Record<string, unknown>>, msg: string): void {
    fx.metric('increment', METRIC.packetsDropped, 1, { reason });
    fx.log('debug', fields, msg);
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
    return e !== undefined && (e.vsn[1] ?? 0) >= 5;
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
    this.takeBroadcasts(this.budget - bytes.length - COMPOUND_OVERHEAD - noteCost, parts);
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
   * memberlist `getBroadcasts`: our own membership messages first, then user broadcasts in what is
   * left (each user message costs len + 3: its `08` type byte and the compound length entry).
   */
  takeBroadcasts(limit: number, out: Uint8Array[]): void {
    const n = this.members.size;
    const used = this.broadcasts.take(COMPOUND_OVERHEAD, limit, n, out);
    const avail = limit - used;
    if (avail > COMPOUND_OVERHEAD + 1 && this.userBroadcasts.size > 0) {
      // User entries are stored framed (`08` + payload), so overhead 2 on the framed length is
      // memberlist's overhead 3 on the raw payload.
      this.userBroadcasts.take(COMPOUND_OVERHEAD, avail, n, out);
    }
  }

  /** Queues a membership message, named by the member it is about (replaces older news of it). */
  broadcast(msg: GossipMessage, completionId?: number): void {
    this.broadcasts.queue(encodeMessage(msg), msg.node, completionId);
  }

  /** Emits `broadcast-done` for every completion the queues recorded. Called at the end of each step. */
  flushDone(fx: Effects): void {
    const done = this.broadcasts.finished;
    if (done.length === 0) return;
    for (const d of done) fx.emit({ type: 'broadcast-done', id: d.id, transmits: d.transmits });
    done.length = 0;
  }

  /** True if any member other than us is alive or suspect (memberlist `anyAlive`). */
  anyAlive(): boolean {
    const others = this.members.count('alive') + this.members.count('suspect') - (this.self.state === 'alive' || this.self.state === 'suspect' ? 1 : 0);
    return others > 0;
  }

  /** Applies a Lifeguard score delta; on change emits `self:health` and the gauge. */
  health(fx: Effects, delta: number): void {
    const previous = this.awareness.applyDelta(delta);
    if (previous === undefined) return;
    const score = this.awareness.score;
    fx.emit({ type: 'self:health', score, previous });
    fx.metric('gauge', METRIC.healthScore, score);
  }

  /** Emits a member event (never for ourselves) and the per-state member gauges. */
  memberEvent(fx: Effects, type: 'join' | 'suspect' | 'alive' | 'fail' | 'leave', entry: MemberEntry): void {
    if (entry.name === this.config.name) return;
    fx.emit({ type, member: snapshotOf(entry) });
    this.memberGauges(fx);
  }

  /** `hearsay.members{state}` gauges. */
  memberGauges(fx: Effects): void {
    for (const state of STATES) fx.metric('gauge', METRIC.members, this.members.count(state), STATE_LABELS[state]);
  }
}

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];
const STATE_LABELS: Readonly<Record<MemberState, Readonly<Record<string, string>>>> = {
  alive: { state: 'alive' },
  suspect: { state: 'suspect' },
  dead: { state: 'dead' },
  left: { state: 'left' },
};
