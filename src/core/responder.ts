/**
 * The answering side of SWIM: acks for pings addressed to us (over UDP and the TCP fallback) and
 * the relay role for other probers' indirect pings — memberlist `handlePing`,
 * `handleIndirectPing` (reference §5).
 * @module
 */
import { bytesToHostPort } from '../address.js';
import type { AckMessage, DeadMessage, IndirectPingMessage, PingMessage, SourceFields, StreamMessage } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { SeqNumbers, TimerTokens } from './ids.js';
import type { MemberTable } from './members.js';
import type { Outbox } from './outbox.js';
import type { FailedMembers } from './reconnect.js';
import { drop } from './report.js';
import type { SelfState } from './self.js';
import type { StallGuard } from './stall.js';
import type { RelayTimeoutTimer } from './timers.js';

/** Most relay (indirect ping) handlers pending at once; more indirect pings are dropped. */
export const MAX_PENDING_RELAYS = 1024;

/** A relayed ping we are waiting on for another prober. */
interface RelayHandler {
  /** The requester's sequence number, echoed in our ack/nack. */
  readonly originalSeqNo: number;
  /** Where the requester wants the ack/nack. */
  readonly replyTo: string;
  readonly nack: boolean;
  readonly token: number;
}

/** What the responder works with (each owned elsewhere). */
export interface ResponderDeps {
  readonly config: CoreConfig;
  readonly tokens: TimerTokens;
  readonly seq: SeqNumbers;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
  readonly outbox: Outbox;
  readonly stall: StallGuard;
}

/** Owns the relay handlers (by our local seqNo, at most {@link MAX_PENDING_RELAYS}). Answers for `relay-timeout` timers. */
export class Responder {
  private readonly relays = new Map<number, RelayHandler>();

  constructor(private readonly d: ResponderDeps) {}

  /** True when the relayed ping `timer` waits for was answered or timed out. */
  isStale(timer: RelayTimeoutTimer): boolean {
    return this.relays.get(timer.seqNo)?.token !== timer.token;
  }

  /** Answers a ping addressed to us (or to anyone) with an ack carrying `payload` (null: Go's nil), gossip piggybacked. */
  handlePing(fx: Effects, from: string, ping: PingMessage, payload: Uint8Array | null): void {
    const cfg = this.d.config;
    if (ping.node !== '' && ping.node !== cfg.name) {
      // A restarted peer under a new name must not ack pings meant for the old one (reference §7.10).
      drop(fx, 'wrong-node', { node: ping.node, from }, 'ping for another node');
      return;
    }
    this.d.outbox.sendDirect(fx, replyAddress(ping, from), { type: 'ack', seqNo: ping.seqNo, payload }, this.deadNoteFor(ping.sourceNode));
  }

  /**
   * A member that pings us while we hold it dead does not know it was declared dead: nobody
   * probes the dead, and the cluster's gossip about it has usually run out by the time it can hear
   * again (a flapping link, a long stall). Tell it on the ack — `dead{its incarnation, from: us}`
   * rides along — so it refutes at once instead of waiting for its next push/pull, minutes away in
   * a large cluster. Any memberlist refutes a dead message about itself, so this is plain protocol.
   * Also for members already reaped but remembered as failed; never for members that left.
   */
  private deadNoteFor(sender: string | undefined): DeadMessage | undefined {
    const { members, failed, config: cfg } = this.d;
    // Fast path for the common case, before hashing a freshly decoded name: nobody to tell.
    if (members.count('dead') === 0 && failed.size === 0) return undefined;
    if (sender === undefined || sender === '' || sender === cfg.name) return undefined;
    const entry = members.get(sender);
    const incarnation = entry === undefined ? failed.get(sender)?.incarnation : entry.state === 'dead' ? entry.incarnation : undefined;
    if (incarnation === undefined) return undefined;
    return { type: 'dead', incarnation, node: sender, from: cfg.name };
  }

  /** Answers a TCP fallback ping: a bare ack, no payload (reference §3.3). */
  handleStreamPing(fx: Effects, from: string, ping: PingMessage): StreamMessage | undefined {
    if (ping.node !== '' && ping.node !== this.d.config.name) {
      drop(fx, 'wrong-node', { node: ping.node, from }, 'stream ping for another node');
      return undefined;
    }
    return { type: 'ack', seqNo: ping.seqNo, payload: null };
  }

  /** Relay role: ping the target under a fresh local seqNo and report back (memberlist `handleIndirectPing`). */
  handleIndirectPing(now: number, fx: Effects, from: string, req: IndirectPingMessage): void {
    if (this.relays.size >= MAX_PENDING_RELAYS) {
      drop(fx, 'relay-limit', { from }, 'too many pending relayed pings');
      return;
    }
    const cfg = this.d.config;
    const port = req.port === 0 ? cfg.advertisePort : req.port; // port 0: "use my bind port" (protocol < 2)
    const targetAddr = bytesToHostPort(req.target, port);
    if (targetAddr === undefined) {
      drop(fx, 'bad-addr', { from }, 'indirect ping with a target that is not an IP');
      return;
    }
    const seqNo = this.d.seq.next();
    const token = this.d.tokens.next();
    this.relays.set(seqNo, { originalSeqNo: req.seqNo, replyTo: replyAddress(req, from), nack: req.nack, token });
    this.d.outbox.sendDirect(fx, targetAddr, this.d.self.ping(seqNo, req.node));
    const timer: RelayTimeoutTimer = { type: 'relay-timeout', token, dueAt: now + cfg.probeTimeoutMs, seqNo };
    fx.schedule(timer, cfg.probeTimeoutMs);
  }

  /**
   * An ack for a ping we relay: forward the requester's *original* seqNo, never ours (reference
   * §7.9), with no payload. @returns false if no relay waits for this seqNo.
   */
  forwardAck(fx: Effects, ack: AckMessage): boolean {
    const relay = this.relays.get(ack.seqNo);
    if (relay === undefined) return false;
    this.relays.delete(ack.seqNo);
    this.d.outbox.sendDirect(fx, relay.replyTo, { type: 'ack', seqNo: relay.originalSeqNo, payload: null });
    return true;
  }

  /** The relayed ping went unanswered for `probeTimeoutMs`: forget it; nack if the requester asked. */
  onRelayTimeout(now: number, fx: Effects, timer: RelayTimeoutTimer): void {
    const r = this.relays.get(timer.seqNo);
    if (r === undefined || r.token !== timer.token) return;
    if (this.d.stall.deferIfStalled(now, fx, timer)) return;
    this.relays.delete(timer.seqNo);
    if (r.nack) this.d.outbox.sendDirect(fx, r.replyTo, { type: 'nack', seqNo: r.originalSeqNo });
  }
}

/** Where a reply goes: `SourceAddr:SourcePort` when both are set, else the packet's source. */
function replyAddress(msg: SourceFields, from: string): string {
  if (msg.sourceAddr !== undefined && msg.sourceAddr.length > 0 && msg.sourcePort !== undefined && msg.sourcePort > 0) {
    return bytesToHostPort(msg.sourceAddr, msg.sourcePort) ?? from;
  }
  return from;
}
