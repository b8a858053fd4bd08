/**
 * `Core`: hearsay's pure SWIM + Lifeguard state machine, wire-compatible with HashiCorp
 * memberlist (reference §5). Sans-I/O: every method is synchronous, takes `now` (monotonic ms)
 * and an {@link Effects} sink, and never reads a clock, draws from `Math.random` or calls host code.
 *
 * Inputs: decoded packets, due timers, stream exchanges, host commands. Outputs (into the sink):
 * datagrams, stream exchanges, timers, events, logs and metrics. Bad input from the network is
 * data — counted as `hearsay.packets.dropped{reason}`, logged at debug, dropped; no network
 * handler throws.
 * @module
 */
import type { MemberSnapshot } from '../events.js';
import { METRIC } from '../observability.js';
import type { PacketMessage, PushPullMessage, StreamMessage } from '../wire/messages.js';
import { CoreContext, U32_MAX, type CoreConfig } from './context.js';
import type { Effects } from './effects.js';
import { maxUserBroadcastBytes, onGossipTick, queueUserBroadcast, resumeGossipIfParked, scheduleGossipTick } from './gossip.js';
import {
  handleAck,
  handleIndirectPing,
  handleNack,
  handlePing,
  handleStreamPing,
  onFallbackResult,
  onProbeEnd,
  onProbeTick,
  onProbeTimeout,
  onRelayTimeout,
  scheduleProbeTick,
} from './probe.js';
import { handlePushPullRequest, localState, mergeRemoteState, onPushPullResult, onReconnectResult, onPushPullTick, pushPullScale, schedulePushPullTick } from './push-pull.js';
import type { Random } from './random.js';
import { snapshotOf } from './snapshot.js';
import { deferIfStalled, noteStall } from './stall.js';
import { aliveNode, deadNode, suspectNode, suspicionExpired } from './state-merge.js';
import type { Timer } from './timers.js';

/** What a `Core` is configured with (defined in context.ts, re-exported as part of the Core API). */
export type { CoreConfig } from './context.js';

/**
 * One cluster member's protocol state machine.
 *
 * Lifecycle: construct (no effects) → {@link start} → inputs … → {@link leave} (optional) → the
 * driver stops feeding it. Events are emitted into the sink after the state change they
 * describe, exactly once per transition, and never for ourselves (except `self:*`).
 */
export class Core {
  private readonly ctx: CoreContext;

  /**
   * @param config protocol options plus identity; `vsn` must be 6 bytes, `advertiseAddr` 4 or 16.
   * @param random the only source of randomness (probe order, picks, staggers).
   */
  constructor(config: CoreConfig, random: Random) {
    this.ctx = new CoreContext(config, random);
  }

  /**
   * Starts the protocol: we become alive at incarnation 1 (memberlist `setAlive`, which also
   * queues our alive for gossip) and the probe, gossip and push/pull tickers are armed, each after
   * a random stagger within its interval so restarted clusters do not tick in lockstep. The first
   * push/pull comes after stagger + interval scaled by the size *now* (1 before a join), so
   * earlier than Go's, which scales by the size after its stagger: deliberately. That early
   * round is what repairs a join whose reply timed out on a starved seed (the seed merged the
   * joiner, the joiner learned nobody); with Go's schedule, 5 of 200 such nodes were still
   * incomplete after 75 s in `npm run bench:vs-memberlist`. Idempotent; a no-op after `leave()`.
   */
  start(now: number, fx: Effects): void {
    const ctx = this.ctx;
    if (ctx.started || ctx.leaving) return;
    ctx.started = true;
    const cfg = ctx.config;
    aliveNode(ctx, now, fx, { type: 'alive', incarnation: 1, node: cfg.name, addr: cfg.advertiseAddr, port: cfg.advertisePort, meta: cfg.meta, vsn: cfg.vsn }, true);
    const self = ctx.members.get(cfg.name);
    if (self !== undefined) ctx.self = self;
    scheduleProbeTick(ctx, now, fx, ctx.random.int(cfg.probeIntervalMs));
    scheduleGossipTick(ctx, now, fx, ctx.random.int(cfg.gossipIntervalMs));
    if (cfg.pushPullIntervalMs > 0) {
      schedulePushPullTick(ctx, now, fx, ctx.random.int(cfg.pushPullIntervalMs) + pushPullScale(cfg.pushPullIntervalMs, ctx.members.size));
    }
    fx.metric('gauge', METRIC.healthScore, ctx.awareness.score);
    ctx.memberGauges(fx);
    this.endStep(now, fx);
  }

  /**
   * Handles one datagram's messages, in order (compounds already flattened: a buddy-system
   * suspect must follow its ping). `from` is the UDP source `host:port`, used for replies when the
   * sender gave no `Source*` fields.
   */
  handlePacket(now: number, from: string, messages: readonly PacketMessage[], fx: Effects): void {
    const ctx = this.ctx;
    if (!ctx.started) {
      ctx.drop(fx, 'not-started', { from }, 'packet before start');
      return;
    }
    for (const msg of messages) {
      try {
        this.dispatch(now, from, msg, fx);
      } catch (error) {
        ctx.drop(fx, 'internal-error', { from, type: msg.type, error: String(error) }, 'handler failed; message dropped');
      }
    }
    this.endStep(now, fx);
  }

  /**
   * True when `timer` would do nothing if it fired now, because the state it was armed for has
   * moved on (an acked probe, a refuted suspicion, a replaced ticker chain). A pure query: the
   * driver uses it to skip waking the process for dead timers. Firing a stale timer anyway is
   * harmless; `false` means only "not known to be stale".
   */
  isTimerStale(timer: Timer): boolean {
    const ctx = this.ctx;
    switch (timer.type) {
      case 'probe-timeout':
        return ctx.probe === undefined || ctx.probe.seqNo !== timer.seqNo || ctx.probe.timeoutToken !== timer.token;
      case 'probe-end':
        return ctx.probe === undefined || ctx.probe.seqNo !== timer.seqNo || ctx.probe.endToken !== timer.token;
      case 'relay-timeout':
        return ctx.relays.get(timer.seqNo)?.token !== timer.token;
      case 'suspicion-timeout':
        return ctx.suspicions.get(timer.node)?.token !== timer.token;
      case 'gossip-tick':
        return timer.token !== ctx.gossipTickToken;
      case 'probe-tick':
        return timer.token !== ctx.probeTickToken;
      case 'push-pull-tick':
        return timer.token !== ctx.pushPullTickToken;
    }
  }

  /** Every step ends here: report finished broadcasts, and wake the gossip ticker if it has news to send. */
  private endStep(now: number, fx: Effects): void {
    const ctx = this.ctx;
    ctx.flushDone(fx);
    if (ctx.started) resumeGossipIfParked(ctx, now, fx);
  }

  private dispatch(now: number, from: string, msg: PacketMessage, fx: Effects): void {
    const ctx = this.ctx;
    switch (msg.type) {
      case 'ping':
        return handlePing(ctx, fx, from, msg);
      case 'indirect-ping':
        return handleIndirectPing(ctx, now, fx, from, msg);
      case 'ack':
        return handleAck(ctx, now, fx, msg);
      case 'nack':
        return handleNack(ctx, fx, msg);
      case 'alive':
        return aliveNode(ctx, now, fx, msg, false);
      case 'suspect':
        return suspectNode(ctx, now, fx, msg);
      case 'dead':
        return deadNode(ctx, now, fx, msg);
      case 'user':
        fx.emit({ type: 'message', from, payload: msg.payload });
        return;
      default:
        ctx.drop(fx, 'unexpected-type', { from, type: (msg as { type: string }).type }, 'unexpected message type in a packet');
    }
  }

  /**
   * Handles a due timer. Stale timers (token no longer held) are ignored; failure-deciding timers
   * due during an event-loop stall are held for a grace window (see `stall.ts`).
   */
  handleTimer(now: number, timer: Timer, fx: Effects): void {
    const ctx = this.ctx;
    if (!ctx.started) return;
    try {
      switch (timer.type) {
        case 'probe-tick':
          onProbeTick(ctx, now, fx, timer);
          break;
        case 'probe-timeout':
          onProbeTimeout(ctx, now, fx, timer);
          break;
        case 'probe-end':
          onProbeEnd(ctx, now, fx, timer);
          break;
        case 'relay-timeout':
          onRelayTimeout(ctx, now, fx, timer);
          break;
        case 'suspicion-timeout': {
          const s = ctx.suspicions.get(timer.node);
          if (s === undefined || s.token !== timer.token) break;
          if (deferIfStalled(ctx, now, fx, timer)) break;
          suspicionExpired(ctx, now, fx, timer);
          break;
        }
        case 'gossip-tick':
          onGossipTick(ctx, now, fx, timer);
          break;
        case 'push-pull-tick':
          onPushPullTick(ctx, now, fx, timer);
          break;
      }
    } catch (error) {
      ctx.drop(fx, 'internal-error', { timer: timer.type, error: String(error) }, 'timer handler failed');
    }
    this.endStep(now, fx);
  }

  /**
   * Serves one inbound stream exchange (the acceptor accepts only push/pull, ping and user, as Go).
   * - push/pull: returns our table (echoing `join`), built *before* merging theirs; a rejected
   *   merge (protocol versions) still returns the reply, as memberlist does;
   * - ping: returns `ack{seqNo, payload: null}` if `node` is ours or empty, else `undefined`;
   * - user: emits `message`, returns `undefined`;
   * - anything else: dropped, `undefined`.
   */
  handleStream(now: number, from: string, request: StreamMessage, fx: Effects): StreamMessage | undefined {
    const ctx = this.ctx;
    if (!ctx.started) {
      ctx.drop(fx, 'not-started', { from }, 'stream before start');
      return undefined;
    }
    try {
      switch (request.type) {
        case 'push-pull':
          return handlePushPullRequest(ctx, now, fx, request);
        case 'ping':
          return handleStreamPing(ctx, fx, from, request);
        case 'user':
          fx.emit({ type: 'message', from, payload: request.payload });
          return undefined;
        default:
          ctx.drop(fx, 'unexpected-type', { from, type: request.type }, 'unexpected stream message');
          return undefined;
      }
    } catch (error) {
      ctx.drop(fx, 'internal-error', { from, error: String(error) }, 'stream handler failed');
      return undefined;
    } finally {
      this.endStep(now, fx);
    }
  }

  /**
   * The outcome of a stream exchange the core requested with `fx.stream(…, id, …)`: a TCP
   * fallback ping (an `ack` with our seqNo means the target is reachable) or a periodic push/pull
   * (merged). Unknown or forgotten ids are ignored.
   */
  handleStreamResult(now: number, id: number, result: StreamMessage | Error, fx: Effects): void {
    const ctx = this.ctx;
    const pending = ctx.streams.get(id);
    if (pending === undefined) return;
    ctx.streams.delete(id);
    try {
      if (pending.kind === 'ping') onFallbackResult(ctx, now, fx, pending.seqNo, result);
      else if (pending.kind === 'reconnect') onReconnectResult(ctx, now, fx, pending.address, pending.followUp, result);
      else onPushPullResult(ctx, now, fx, result);
    } catch (error) {
      ctx.drop(fx, 'internal-error', { id, error: String(error) }, 'stream result handler failed');
    }
    this.endStep(now, fx);
  }

  /** Our whole table for a push/pull (join and anti-entropy): self and every state, in probe order. */
  localState(join: boolean): PushPullMessage {
    return localState(this.ctx, join);
  }

  /**
   * Merges a peer's push/pull (the driver calls this with the seed's reply during `join`).
   * Checks protocol compatibility first (reference §4) and merges nothing on failure.
   * @returns the incompatibility as an Error ("Node 'x' protocol version (2) is incompatible: [3, 5]"), else `undefined`.
   */
  mergeRemoteState(now: number, remote: PushPullMessage, fx: Effects): Error | undefined {
    const ctx = this.ctx;
    try {
      return mergeRemoteState(ctx, now, fx, remote);
    } catch (error) {
      ctx.drop(fx, 'internal-error', { error: String(error) }, 'merge failed');
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      this.endStep(now, fx);
    }
  }

  /**
   * Leaves gracefully: broadcasts `dead{inc: ours, node: us, from: us}` (peers see a *leave*, not a
   * failure), marks us left, and stops probing and periodic push/pull (our view goes stale once
   * peers stop gossiping to us); gossip keeps running so the message spreads, and pings and inbound
   * streams are still answered. After this, alives about us are ignored (a queued one must not
   * re-join us).
   * @returns a broadcast id; `broadcast-done` with it follows once the message has been sent
   *   `retransmitLimit` times — at once (transmits 0) if no other member is alive or suspect, as
   *   memberlist does not wait then. Calling again returns the same id and does nothing.
   */
  leave(now: number, fx: Effects): number {
    const ctx = this.ctx;
    if (ctx.leaveId !== undefined) return ctx.leaveId;
    const id = ctx.nextBroadcastId();
    ctx.leaveId = id;
    ctx.leaving = true;
    // Abandon a probe in flight: once left we judge nobody (its timers go stale).
    if (ctx.probe?.tcpStreamId !== undefined) ctx.streams.delete(ctx.probe.tcpStreamId);
    ctx.probe = undefined;
    const self = ctx.self;
    const anyone = ctx.started && ctx.anyAlive();
    if (ctx.started) deadNode(ctx, now, fx, { type: 'dead', incarnation: self.incarnation, node: self.name, from: self.name }, anyone ? id : undefined);
    if (!anyone) fx.emit({ type: 'broadcast-done', id, transmits: 0 });
    this.endStep(now, fx);
    return id;
  }

  /**
   * Replaces our metadata: incarnation + 1 and an alive broadcast (memberlist `UpdateNode`).
   * No member event is emitted for ourselves.
   * @returns a broadcast id; `broadcast-done` follows when the alive has been sent
   *   `retransmitLimit` times (at once if no other member is alive or suspect).
   * @throws {RangeError} if our incarnation is already 2³² − 1 (it can never wrap; see `refute`).
   */
  setMetadata(now: number, meta: Uint8Array, fx: Effects): number {
    const ctx = this.ctx;
    const self = ctx.self;
    if (self.incarnation >= U32_MAX) throw new RangeError('incarnation exhausted (2^32-1): cannot announce new metadata');
    const id = ctx.nextBroadcastId();
    const cfg = ctx.config;
    if (!ctx.started || ctx.leaving) {
      // Not in the cluster (yet / any more): just remember it for our next alive.
      self.meta = meta;
      self.snapshot = undefined;
      fx.emit({ type: 'broadcast-done', id, transmits: 0 });
      return id;
    }
    const anyone = ctx.anyAlive();
    aliveNode(ctx, now, fx, { type: 'alive', incarnation: self.incarnation + 1, node: cfg.name, addr: self.addr, port: self.port, meta, vsn: cfg.vsn }, true, anyone ? id : undefined);
    if (!anyone) fx.emit({ type: 'broadcast-done', id, transmits: 0 });
    this.endStep(now, fx);
    return id;
  }

  /**
   * Queues a user broadcast, piggybacked after membership gossip as `08` + payload and sent
   * `retransmitLimit` times. At most 1024 are queued (the oldest is dropped beyond that).
   * @returns false, queueing nothing, if the payload can never fit a packet (> budget − 5 bytes).
   */
  broadcastUser(now: number, payload: Uint8Array, fx: Effects): boolean {
    const queued = queueUserBroadcast(this.ctx, payload);
    this.endStep(now, fx);
    return queued;
  }

  /** Largest payload {@link broadcastUser} accepts (budget − 5 bytes: 1395 with LAN's 1400). */
  get maxUserBroadcastBytes(): number {
    return maxUserBroadcastBytes(this.ctx);
  }

  /**
   * The driver detected an event-loop stall of `stalledMs` and is about to fire overdue timers:
   * raise our own health score and hold failure-deciding timers for a grace window in which the
   * datagrams that piled up are read. Call it *before* firing any overdue timer. See `stall.ts`.
   */
  noteStall(now: number, stalledMs: number, fx: Effects): void {
    noteStall(this.ctx, now, fx, stalledMs);
  }

  /** Every member in the table — self, alive, suspect, and dead/left until reaped — as frozen snapshots, in probe order. */
  members(): readonly MemberSnapshot[] {
    return this.ctx.members.entries().map(snapshotOf);
  }

  /** The member named `name`, if known. */
  member(name: string): MemberSnapshot | undefined {
    const e = this.ctx.members.get(name);
    return e === undefined ? undefined : snapshotOf(e);
  }

  /** Our own member snapshot. */
  get localMember(): MemberSnapshot {
    return snapshotOf(this.ctx.self);
  }

  /** Lifeguard local health score, 0 (healthy) … awarenessMaxMultiplier − 1. */
  get healthScore(): number {
    return this.ctx.awareness.score;
  }

  /** Members alive or suspect, ourselves included (0 before start). */
  get size(): number {
    return this.ctx.members.count('alive') + this.ctx.members.count('suspect');
  }

  /** Our current incarnation (0 before start). */
  get incarnation(): number {
    return this.ctx.self.incarnation;
  }

  /** True after {@link leave}. */
  get isLeaving(): boolean {
    return this.ctx.leaving;
  }

  /** Estimated cluster size n: every table entry, including self, dead and left until reaped. */
  numMembers(): number {
    return this.ctx.members.size;
  }
}
