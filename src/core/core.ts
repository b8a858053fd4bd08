/**
 * `Core`: hearsay's pure SWIM + Lifeguard state machine, wire-compatible with HashiCorp
 * memberlist (reference §5). Sans-I/O: every method is synchronous, takes `now` (monotonic ms)
 * and an {@link Effects} sink, and never reads a clock, draws from `Math.random` or calls host code.
 *
 * Inputs: decoded packets, due timers, stream exchanges, host commands. Outputs (into the sink):
 * datagrams, stream exchanges, timers, events, logs and metrics. Bad input from the network is
 * data — counted as `hearsay_packets_dropped_total{reason}`, logged at debug, dropped; no network
 * handler throws. The state lives in owners with private fields (`parts.ts`); `Core` routes
 * each input to the owner whose family handles it and ends every step the same way.
 * @module
 */
import type { MemberSnapshot } from '../events.js';
import { METRIC } from '../observability.js';
import { U32_MAX } from '../wire/codec.js';
import type { PacketMessage, PushNodeState, PushPullMessage, StreamMessage } from '../wire/messages.js';
import { ownFeatures, type CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { UserTarget } from './outbox.js';
import { adoptConverged } from './converge.js';
import { screenJoinReply, type JoinReplyOutcome } from './join-reply.js';
import { routeStreamResult, serveStream } from './stream-routing.js';
import { runTimer, timerIsStale } from './timer-routing.js';
import { createParts, type CoreParts } from './parts.js';
import { pushPullScale } from './push-pull.js';
import type { Random } from './random.js';
import { drop, memberGauges } from './report.js';
import { snapshotOf } from './snapshot.js';
import type { Timer } from './timers.js';

export type { CoreConfig } from './config.js';
export type { UserTarget } from './outbox.js';

/**
 * One cluster member's protocol state machine.
 *
 * Lifecycle: construct (no effects) → {@link start} → inputs … → {@link leave} (optional) → the
 * driver stops feeding it. Events are emitted into the sink after the state change they
 * describe, exactly once per transition, and never for ourselves (except `self:*`).
 */
export class Core {
  private readonly p: CoreParts;

  /**
   * @param config protocol options plus identity; `vsn` must be 6 bytes, `advertiseAddr` 4 or 16.
   * @param random the only source of randomness (probe order, picks, staggers).
   */
  constructor(config: CoreConfig, random: Random) {
    this.p = createParts(config, random);
  }

  /**
   * Starts the protocol: we become alive at incarnation 1 (memberlist `setAlive`, which also
   * queues our alive for gossip) and the probe, gossip and push/pull tickers are armed, each after
   * a random stagger within its interval so restarted clusters do not tick in lockstep. The first
   * push/pull is earlier than Go's on purpose: stagger + interval scaled by the size *now* (1
   * before a join). That round repairs joins whose reply timed out on a starved seed (see
   * docs/architecture.md). Idempotent; a no-op after `leave()`.
   */
  start(now: number, fx: Effects): void {
    if (this.p.self.started || this.p.self.leaving) return;
    this.p.self.markStarted();
    this.enter(now, fx, 1);
  }

  /**
   * Undoes {@link leave} (`join()` after `leave()`): alive at incarnation + 1, out-bidding our leave
   * so peers emit `join`, and the tickers re-armed as at start. A no-op unless we started and left.
   * @throws {RangeError} if our incarnation is already 2³² − 1 (it never wraps). Nothing changes.
   */
  rejoin(now: number, fx: Effects): void {
    const self = this.p.self;
    if (!self.started || !self.leaving) return;
    if (self.incarnation >= U32_MAX) throw new RangeError('incarnation exhausted (2^32-1): cannot rejoin');
    self.markRejoined();
    this.enter(now, fx, self.incarnation + 1);
  }

  /** Announces us alive at `incarnation` and arms the probe, gossip and push/pull tickers (fresh chains), each staggered. */
  private enter(now: number, fx: Effects, incarnation: number): void {
    const { self, config: cfg, random } = this.p;
    const e = self.entry;
    // Our entry's meta is `config.meta`, or what `setMetadata` kept meanwhile.
    this.p.membership.alive(now, fx, { type: 'alive', incarnation, node: cfg.name, addr: e.addr, port: e.port, meta: e.meta, vsn: cfg.vsn, ...ownFeatures(cfg) }, true);
    self.adopt(this.p.table.get(cfg.name));
    this.p.probe.scheduleTick(now, fx, random.int(cfg.probeIntervalMs));
    this.p.gossip.schedule(now, fx, random.int(cfg.gossipIntervalMs));
    if (cfg.pushPullIntervalMs > 0) {
      const stagger = random.int(cfg.pushPullIntervalMs);
      this.p.pushPull.scheduleTick(now, fx, stagger + pushPullScale(cfg.pushPullIntervalMs, this.p.table.size));
      // The same stagger (no extra random draw): a cluster started together still spreads its attempts.
      this.p.reconnect.scheduleTick(now, fx, stagger + 1);
    }
    fx.metric('gauge', METRIC.healthScore, this.p.health.score);
    memberGauges(fx, this.p.table);
    this.endStep(now, fx);
  }

  /**
   * Handles one datagram's messages, in order (compounds already flattened: a buddy-system
   * suspect must follow its ping). `from` is the UDP source `host:port`, used for replies when the
   * sender gave no `Source*` fields. `ackPayload`, when given, goes in the acks to this packet's
   * pings (the driver asks the host's ping hook before the step); `null` sends none, and absent
   * falls back to `config.ackPayload`.
   */
  handlePacket(now: number, from: string, messages: readonly PacketMessage[], fx: Effects, ackPayload?: Uint8Array | null): void {
    if (!this.p.self.started) {
      drop(fx, 'not-started', { from }, 'packet before start');
      return;
    }
    if (messages.length > 0) this.p.isolation.heard(now, fx, from); // someone reached us: we are not cut off (isolation.ts)
    for (const msg of messages) {
      try {
        this.dispatch(now, from, msg, fx, ackPayload);
      } catch (error) {
        drop(fx, 'internal-error', { from, type: msg.type, error: String(error) }, 'handler failed; message dropped');
      }
    }
    this.endStep(now, fx);
  }

  /**
   * True when `timer` would do nothing if it fired now: the state it was armed for moved on (an
   * acked probe, a refuted suspicion, a replaced ticker chain). A pure query, answered by the family
   * that made the timer, so the driver can skip waking up for it; `false` means "not known stale".
   */
  isTimerStale(timer: Timer): boolean {
    return timerIsStale(this.p, timer);
  }

  /** Every step ends here: report finished broadcasts, and wake the gossip ticker if it has news to send. */
  private endStep(now: number, fx: Effects): void {
    this.p.queues.flushDone(fx);
    this.p.queues.reportDepth(fx);
    if (this.p.self.started) this.p.gossip.resumeIfParked(now, fx);
  }

  private dispatch(now: number, from: string, msg: PacketMessage, fx: Effects, ackPayload: Uint8Array | null | undefined): void {
    switch (msg.type) {
      case 'ping':
        return this.p.responder.handlePing(fx, from, msg, ackPayload === undefined ? (this.p.config.ackPayload ?? null) : ackPayload);
      case 'indirect-ping':
        return this.p.responder.handleIndirectPing(now, fx, from, msg);
      case 'ack':
        if (this.p.probe.handleAck(now, fx, msg) || this.p.responder.forwardAck(fx, msg)) return;
        return drop(fx, 'unknown-seq', { seqNo: msg.seqNo }, 'ack for unknown sequence number');
      case 'nack':
        if (this.p.probe.handleNack(now, fx, msg)) return;
        return drop(fx, 'unknown-seq', { seqNo: msg.seqNo }, 'nack for unknown sequence number');
      case 'alive':
        return this.p.membership.alive(now, fx, msg, false);
      case 'suspect':
        return this.p.membership.suspect(now, fx, msg);
      case 'dead':
        return this.p.membership.dead(now, fx, msg);
      case 'user':
        fx.emit({ type: 'message', from: this.p.table.senderAt(from, this.p.config.name), address: from, payload: msg.payload });
        return;
      default:
        drop(fx, 'unexpected-type', { from, type: (msg as { type: string }).type }, 'unexpected message type in a packet');
    }
  }

  /**
   * Handles a due timer. Stale timers (token no longer held) are ignored; failure-deciding timers
   * due during an event-loop stall are held for a grace window (see `stall.ts`).
   */
  handleTimer(now: number, timer: Timer, fx: Effects): void {
    if (!this.p.self.started) return;
    try {
      runTimer(this.p, now, fx, timer);
    } catch (error) {
      drop(fx, 'internal-error', { timer: timer.type, error: String(error) }, 'timer handler failed');
    }
    this.endStep(now, fx);
  }

  /**
   * Serves one inbound stream exchange (push/pull, ping and user, as Go; and hearsay's digest legs).
   * - push/pull: returns our table (echoing `join`), built *before* merging theirs; a rejected
   *   merge (protocol versions) still returns the reply, as memberlist does;
   * - ping: returns `ack{seqNo, payload: null}` if `node` is ours or empty, else `undefined`;
   * - user: emits `message`, returns `undefined`;
   * - digest request: returns the differing buckets and our entries in them; digest entries: merged, `undefined`;
   * - anything else: dropped, `undefined`.
   */
  handleStream(now: number, from: string, request: StreamMessage, fx: Effects): StreamMessage | undefined {
    if (!this.p.self.started) {
      drop(fx, 'not-started', { from }, 'stream before start');
      return undefined;
    }
    try {
      return serveStream(this.p, now, from, request, fx);
    } catch (error) {
      drop(fx, 'internal-error', { from, error: String(error) }, 'stream handler failed');
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
    const pending = this.p.streams.take(id);
    if (pending === undefined) return;
    try {
      routeStreamResult(this.p, now, pending, result, fx);
    } catch (error) {
      drop(fx, 'internal-error', { id, error: String(error) }, 'stream result handler failed');
    }
    this.endStep(now, fx);
  }

  /** Our whole table for a push/pull (join and anti-entropy): self and every state, in probe order. */
  localState(join: boolean): PushPullMessage {
    return this.p.pushPull.localState(join);
  }

  /** Our push/pull entry for `name` if it encodes to exactly `buf[start, end)` (the stream decoder's `knownNode`). Changes no state. */
  knownPushNode(name: string, buf: Uint8Array, start: number, end: number): PushNodeState | undefined {
    return this.p.pushPull.known(name, buf, start, end);
  }

  /**
   * Merges a peer's push/pull (the driver calls this with the seed's reply during `join`).
   * Checks protocol compatibility first (reference §4) and merges nothing on failure. User state
   * in it becomes a `merge-user-state` event with `join`: the flag we sent (default: the reply's
   * echo of it).
   * @returns the incompatibility as an Error ("Node 'x' protocol version (2) is incompatible: [3, 5]"), else `undefined`.
   */
  mergeRemoteState(now: number, remote: PushPullMessage, fx: Effects, join = remote.join): Error | undefined {
    try {
      this.p.isolation.heard(now, fx);
      return this.p.pushPull.merge(now, fx, remote, join);
    } catch (error) {
      drop(fx, 'internal-error', { error: String(error) }, 'merge failed');
      return error instanceof Error ? error : new Error(String(error));
    } finally {
      this.endStep(now, fx);
    }
  }

  /**
   * Merges a seed's reply to our join (`join()` calls this) unless it shows the join cannot make us
   * a member ({@link screenJoinReply}: our name is held elsewhere, or our admission hook vetoes a
   * member in it): then nothing is merged and the outcome says why. Otherwise as {@link mergeRemoteState}.
   * @param staleHolder the caller found the holder of our name gone: merge despite it.
   */
  mergeJoinReply(now: number, reply: PushPullMessage, fx: Effects, staleHolder = false): JoinReplyOutcome {
    const blocked = screenJoinReply(now, fx, reply, this.p.self.entry, this.p.admission, staleHolder);
    if (blocked !== undefined) return blocked;
    const error = this.mergeRemoteState(now, reply, fx, true); // our join: the flag we sent
    this.p.admission.endScreen();
    return error === undefined ? { kind: 'merged' } : { kind: 'incompatible', error };
  }

  /**
   * Leaves gracefully: broadcasts `dead{inc: ours, node: us, from: us}` (peers see a *leave*, not a
   * failure), marks us left, and stops probing and periodic push/pull (our view goes stale once
   * peers stop gossiping to us); gossip keeps running so the message spreads, and pings and inbound
   * streams are still answered. After this, alives about us are ignored (a queued one must not
   * re-join us).
   *
   * Completion goes through the core: the caller picks `completionId` (and registers its waiter
   * for it) *before* the step, so the event can never come before the waiter exists.
   * `broadcast-done{id: completionId}` follows once the message has been sent `retransmitLimit`
   * times — or within this step (transmits 0) if no other member is alive or suspect, as
   * memberlist does not wait then. Calling again changes nothing and reports its own
   * `completionId` done within the step (transmits 0): the first call's id tracks the broadcast.
   */
  leave(now: number, fx: Effects, completionId: number): void {
    const self = this.p.self;
    if (self.leaving) {
      fx.emit({ type: 'broadcast-done', id: completionId, transmits: 0 });
      return;
    }
    self.markLeaving();
    // Abandon a probe in flight: once left we judge nobody (its timers go stale).
    this.p.probe.stop();
    const anyone = self.started && this.p.membership.anyPeerUp();
    if (self.started) this.p.membership.dead(now, fx, { type: 'dead', incarnation: self.incarnation, node: self.name, from: self.name }, anyone ? completionId : undefined);
    if (!anyone) fx.emit({ type: 'broadcast-done', id: completionId, transmits: 0 });
    this.endStep(now, fx);
  }

  /**
   * Replaces our metadata: incarnation + 1 and an alive broadcast (memberlist `UpdateNode`).
   * No member event is emitted for ourselves. Completion as for {@link leave}:
   * `broadcast-done{id: completionId}` follows when the alive has been sent `retransmitLimit`
   * times, or within this step (transmits 0) if no other member is alive or suspect — or if we
   * are not in the cluster (not started, or left), when the metadata is only kept for our entry.
   * @throws {RangeError} if our incarnation is already 2³² − 1 (it can never wrap; see `refute`).
   *   Nothing changes and no `broadcast-done` follows.
   */
  setMetadata(now: number, meta: Uint8Array, fx: Effects, completionId: number): void {
    const self = this.p.self;
    if (self.incarnation >= U32_MAX) throw new RangeError('incarnation exhausted (2^32-1): cannot announce new metadata');
    if (!self.started || self.leaving) {
      // Not in the cluster (yet / any more): just remember it for our next alive.
      self.rememberMeta(meta);
      fx.emit({ type: 'broadcast-done', id: completionId, transmits: 0 });
      return;
    }
    const anyone = this.p.membership.anyPeerUp();
    const entry = self.entry;
    this.p.membership.alive(now, fx, { type: 'alive', incarnation: entry.incarnation + 1, node: self.name, addr: entry.addr, port: entry.port, meta, vsn: this.p.config.vsn, ...ownFeatures(this.p.config) }, true, anyone ? completionId : undefined);
    if (!anyone) fx.emit({ type: 'broadcast-done', id: completionId, transmits: 0 });
    this.endStep(now, fx);
  }

  /**
   * Queues a user broadcast, piggybacked after membership gossip as `08` + payload and sent
   * `retransmitLimit` times. At most 1024 are queued (the oldest is dropped beyond that).
   * With a `completionId`, `broadcast-done{id}` follows as for {@link leave}: once sent its limit
   * (or dropped), or within this step (transmits 0) when no other member is alive or suspect.
   * @returns false, queueing nothing, if the payload can never fit a packet (> budget − 5 bytes).
   */
  broadcastUser(now: number, payload: Uint8Array, fx: Effects, completionId?: number): boolean {
    const wait = completionId !== undefined && this.p.membership.anyPeerUp();
    const queued = this.p.queues.queueUser(payload, wait ? completionId : undefined);
    if (queued && completionId !== undefined && !wait) fx.emit({ type: 'broadcast-done', id: completionId, transmits: 0 });
    this.endStep(now, fx);
    return queued;
  }

  /** Largest payload {@link broadcastUser} accepts (budget − 5 bytes: 1395 with LAN's 1400). */
  get maxUserBroadcastBytes(): number {
    return this.p.queues.maxUserBytes;
  }

  /**
   * Where a user datagram to `to` goes, for the host's `send`: a member name (in any state) gives
   * that member's address, with a CRC when its protocol max is ≥ 5 (memberlist sends with the node
   * known); otherwise an `ip:port` gives itself, with memberlist's rule for bare addresses (a CRC
   * only if the address's IP text names a member with protocol max ≥ 5). `undefined` when `to` is
   * neither. A pure query: no step, no effects.
   */
  userTarget(to: string): UserTarget | undefined {
    return this.p.outbox.userTarget(to);
  }

  /**
   * Empties the membership gossip queue as if every message in it had been sent its retransmit
   * limit: the state of a cluster once gossip has spread. For the simulator's converged bootstrap
   * (`Simulator.bootstrapConverged`), which builds that state without simulating the join storm;
   * not for running nodes. User broadcasts stay queued; completions are reported at the next step.
   */
  settleGossip(): void {
    this.p.queues.settle(this.p.table.size);
  }

  /**
   * The converged start (`hearsay/testing`): takes a converged cluster's table in one step, to the
   * state {@link mergeRemoteState} and then {@link settleGossip} reach, without the broadcasts and
   * member snapshots they would make and drop (converge.ts). Returns false, changing nothing, when
   * this core is not one that knows only itself, or the table is not all new alive members: then
   * merge it.
   */
  adoptConverged(now: number, nodes: readonly PushNodeState[], fx: Effects): boolean {
    const p = this.p;
    const done = adoptConverged({ config: p.config, random: p.random, members: p.table, isolation: p.isolation, gossip: p.gossip }, now, nodes, fx);
    if (done) this.endStep(now, fx);
    return done;
  }

  /**
   * The driver detected an event-loop stall of `stalledMs` and is about to fire overdue timers:
   * raise our own health score and hold failure-deciding timers for a grace window in which the
   * datagrams that piled up are read. Call it *before* firing any overdue timer. See `stall.ts`.
   */
  noteStall(now: number, stalledMs: number, fx: Effects): void {
    this.p.stall.note(now, fx, stalledMs);
  }

  /** Every member in the table — self, alive, suspect, and dead/left until reaped — as frozen snapshots, in probe order. */
  members(): readonly MemberSnapshot[] {
    return this.p.table.entries().map(snapshotOf);
  }

  /** The member named `name`, if known. */
  member(name: string): MemberSnapshot | undefined {
    const e = this.p.table.get(name);
    return e === undefined ? undefined : snapshotOf(e);
  }

  /** The hearsay features `name` announced (0: none), or undefined when it is not in the table (never known, or reaped). */
  memberFeatures(name: string): number | undefined {
    const e = this.p.table.get(name);
    return e === undefined ? undefined : (e.features ?? 0);
  }

  /**
   * A peer evidently holds `name` as a member (the state layer got its state from one) while we
   * remember it as failed and reaped: push/pull with it now, at most once per push/pull interval
   * per member (`ReconnectTicker.prompt`, core/reconnect.ts). Does nothing for a name we hold or
   * never knew. Returns whether an exchange was started.
   */
  reconnectFailed(now: number, fx: Effects, name: string): boolean {
    return this.p.reconnect.prompt(now, fx, name);
  }

  /** Our own member snapshot. */
  get localMember(): MemberSnapshot {
    return snapshotOf(this.p.self.entry);
  }

  /** Lifeguard local health score, 0 (healthy) … awarenessMaxMultiplier − 1. */
  get healthScore(): number {
    return this.p.health.score;
  }

  /** Members alive or suspect, ourselves included (0 before start). */
  get size(): number {
    return this.p.table.count('alive') + this.p.table.count('suspect');
  }

  /** Our current incarnation (0 before start). */
  get incarnation(): number {
    return this.p.self.incarnation;
  }

  /** True after {@link leave}, until {@link rejoin}. */
  get isLeaving(): boolean {
    return this.p.self.leaving;
  }

  /** Estimated cluster size n: every table entry, including self, dead and left until reaped. */
  numMembers(): number {
    return this.p.table.size;
  }
}
