/**
 * Push/pull anti-entropy and join state exchange (memberlist `pushPull`, `sendLocalState`,
 * `mergeRemoteState`, `verifyProtocol`; reference §3.2, §4).
 *
 * Gossip is probabilistic; a periodic full-state exchange with one random member repairs whatever
 * it missed, and the same exchange (with `join` set) is how a node joins.
 * @module
 */
import type { MemberState } from '../events.js';
import { METRIC } from '../observability.js';
import { protocolMax, protocolMin } from '../wire/capabilities.js';
import { NodeStateNumber, type NodeStateNumberValue, type PushNodeState, type PushPullMessage, type StreamMessage } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { TimerTokens } from './ids.js';
import type { MemberTable } from './members.js';
import type { Random } from './random.js';
import type { FailedMembers } from './reconnect.js';
import { drop } from './report.js';
import type { SelfState } from './self.js';
import type { Membership } from './state-merge.js';
import type { Streams } from './streams.js';
import type { PushPullTickTimer } from './timers.js';

const EMPTY = new Uint8Array(0);
/** memberlist `pushPullScaleThreshold`. */
const PUSH_PULL_SCALE_THRESHOLD = 32;

const STATE_NUMBER: Readonly<Record<MemberState, NodeStateNumberValue>> = {
  alive: NodeStateNumber.alive,
  suspect: NodeStateNumber.suspect,
  dead: NodeStateNumber.dead,
  left: NodeStateNumber.left,
};

/**
 * memberlist `pushPullScale`: the interval unchanged up to 32 members, then
 * `× (⌈log2 n − log2 32⌉ + 1)` — so large clusters do not drown in full-state exchanges.
 */
export function pushPullScale(intervalMs: number, n: number): number {
  if (n <= PUSH_PULL_SCALE_THRESHOLD) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(PUSH_PULL_SCALE_THRESHOLD)) + 1;
  return multiplier * intervalMs;
}

/** Our whole table (self and every state, in probe order) as a push/pull message. No user state yet. */
export function localState(members: MemberTable, join: boolean): PushPullMessage {
  const nodes: PushNodeState[] = [];
  for (const e of members.entries()) {
    nodes.push({ name: e.name, addr: e.addr, port: e.port, meta: e.meta, incarnation: e.incarnation, state: STATE_NUMBER[e.state], vsn: e.vsn, ...(e.features ? { features: e.features } : {}) });
  }
  return { type: 'push-pull', join, nodes, userState: EMPTY };
}

/**
 * memberlist `verifyProtocol`: over all *alive* nodes, remote and local, find the highest PMin and
 * DMin and the lowest PMax and DMax; then *every* node on both sides (any state; a missing Vsn
 * counts as 0) must have its PCur and DCur inside those ranges. One failure rejects the exchange.
 * @returns an Error naming the node and versions, as Go words it; `undefined` if compatible.
 */
export function verifyProtocol(members: MemberTable, remote: readonly PushNodeState[]): Error | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  for (const r of remote) {
    if (r.state !== NodeStateNumber.alive || r.vsn.length < 6) continue;
    maxPMin = Math.max(maxPMin, protocolMin(r.vsn));
    minPMax = Math.min(minPMax, protocolMax(r.vsn));
    maxDMin = Math.max(maxDMin, r.vsn[3]!);
    minDMax = Math.min(minDMax, r.vsn[4]!);
  }
  const local = members.entries();
  for (const e of local) {
    if (e.state !== 'alive') continue;
    maxPMin = Math.max(maxPMin, protocolMin(e.vsn));
    minPMax = Math.min(minPMax, protocolMax(e.vsn));
    maxDMin = Math.max(maxDMin, e.vsn[3] ?? 0);
    minDMax = Math.min(minDMax, e.vsn[4] ?? 0);
  }
  const check = (name: string, vsn: Uint8Array): Error | undefined => {
    const pCur = vsn.length >= 6 ? vsn[2]! : 0;
    const dCur = vsn.length >= 6 ? vsn[5]! : 0;
    if (pCur < maxPMin || pCur > minPMax) return new Error(`Node '${name}' protocol version (${pCur}) is incompatible: [${maxPMin}, ${minPMax}]`);
    if (dCur < maxDMin || dCur > minDMax) return new Error(`Node '${name}' delegate protocol version (${dCur}) is incompatible: [${maxDMin}, ${minDMax}]`);
    return undefined;
  };
  for (const r of remote) {
    const err = check(r.name, r.vsn);
    if (err) return err;
  }
  for (const e of local) {
    const err = check(e.name, e.vsn);
    if (err) return err;
  }
  return undefined;
}

/** What push/pull works with (each owned elsewhere). */
export interface PushPullDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
  readonly membership: Membership;
  readonly streams: Streams;
}

/** Owns the push/pull ticker. Answers for `push-pull-tick` timers. */
export class PushPull {
  /** Token of the current ticker chain. */
  private tickToken = 0;

  constructor(private readonly d: PushPullDeps) {}

  /** Our whole table for a push/pull (join and anti-entropy). */
  localState(join: boolean): PushPullMessage {
    return localState(this.d.members, join);
  }

  /**
   * memberlist `mergeRemoteState`: {@link verifyProtocol} first (on failure nothing is merged), then
   * per entry: alive → `aliveNode`; left → `dead` with From = Node (→ left); suspect and dead → a
   * *suspect from us* — a remote death is only a local suspicion (reference §7.13), so one confused
   * peer cannot kill members wholesale. `userState` is ignored for now.
   */
  merge(now: number, fx: Effects, remote: PushPullMessage): Error | undefined {
    const { members, membership } = this.d;
    const err = verifyProtocol(members, remote.nodes);
    if (err !== undefined) {
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'rejected' });
      fx.log('debug', { error: err.message }, 'push/pull rejected by protocol version check');
      return err;
    }
    const me = this.d.config.name;
    for (const r of remote.nodes) {
      switch (r.state) {
        case NodeStateNumber.alive:
          membership.alive(now, fx, { type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn, ...(r.features === undefined ? {} : { features: r.features }) }, false);
          break;
        case NodeStateNumber.left:
          membership.dead(now, fx, { type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name });
          break;
        case NodeStateNumber.dead:
        case NodeStateNumber.suspect:
          membership.suspect(now, fx, { type: 'suspect', incarnation: r.incarnation, node: r.name, from: me });
          break;
        default:
          drop(fx, 'bad-state', { node: r.name, state: r.state }, 'push/pull entry with an unknown state');
      }
    }
    fx.metric('increment', METRIC.pushPull, 1, { outcome: 'ok' });
    return undefined;
  }

  /** Arms the push/pull ticker (a fresh chain). */
  scheduleTick(now: number, fx: Effects, afterMs: number): void {
    this.tickToken = this.d.tokens.next();
    const timer: PushPullTickTimer = { type: 'push-pull-tick', token: this.tickToken, dueAt: now + afterMs };
    fx.schedule(timer, afterMs);
  }

  /** True when `timer` belongs to a replaced chain. */
  isStale(timer: PushPullTickTimer): boolean {
    return timer.token !== this.tickToken;
  }

  /**
   * Periodic anti-entropy: a `join = false` push/pull with one random alive member.
   *
   * Stops after `leave()` (memberlist keeps it running until `Shutdown`): nobody gossips to a left
   * member, so its table goes stale, and pushing it would resurrect members the others have already
   * declared dead and reaped — they would accept the stale alive as a brand-new node.
   */
  onTick(now: number, fx: Effects, timer: PushPullTickTimer): void {
    if (timer.token !== this.tickToken || this.d.self.leaving) return;
    const { config: cfg, members, random } = this.d;
    const interval = pushPullScale(cfg.pushPullIntervalMs, members.size);
    const next: PushPullTickTimer = { type: 'push-pull-tick', token: timer.token, dueAt: now + interval };
    fx.schedule(next, interval);
    const [peer] = members.kRandom(1, random, (e) => e.name === cfg.name || e.state !== 'alive');
    if (peer !== undefined) {
      const id = this.d.streams.register({ kind: 'push-pull' });
      fx.stream(peer.address, id, this.localState(false), cfg.tcpTimeoutMs);
    }
    const failed = this.d.failed.pick(now, members.entries(), (name) => members.get(name) !== undefined, members.count('alive'), random);
    if (failed !== undefined) this.reconnect(fx, failed.address, true);
  }

  /** A push/pull with a member we consider failed (see reconnect.ts). */
  private reconnect(fx: Effects, address: string, followUp: boolean): void {
    const id = this.d.streams.register({ kind: 'reconnect', address, followUp });
    fx.stream(address, id, this.localState(false), this.d.config.tcpTimeoutMs);
  }

  /** The reply to a reconnect attempt: merge it, and if the member answered the first time, exchange once more to carry both sides' refutations across. */
  onReconnectResult(now: number, fx: Effects, address: string, followUp: boolean, result: StreamMessage | Error): void {
    const answered = !(result instanceof Error) && result.type === 'push-pull';
    this.onResult(now, fx, result);
    if (answered) {
      fx.log('debug', { address }, 'reconnected to a member considered failed');
      if (followUp && !this.d.self.leaving) this.reconnect(fx, address, false);
    }
  }

  /** The reply to our periodic push/pull: merge it. */
  onResult(now: number, fx: Effects, result: StreamMessage | Error): void {
    if (result instanceof Error || result.type !== 'push-pull') {
      const why = result instanceof Error ? result.message : result.type === 'error' ? result.error : `unexpected ${result.type} reply`;
      fx.metric('increment', METRIC.pushPull, 1, { outcome: 'failed' });
      fx.log('debug', { error: why }, 'push/pull failed');
      return;
    }
    this.merge(now, fx, result);
  }

  /**
   * An inbound push/pull: build our reply first (echoing `join`), then merge theirs — memberlist's
   * order, so the joiner gets our table as it was before its own entry arrived. The reply goes out
   * even if the merge is rejected; the peer's own check will then reject ours.
   */
  handleRequest(now: number, fx: Effects, request: PushPullMessage): PushPullMessage {
    const reply = this.localState(request.join);
    this.merge(now, fx, request);
    return reply;
  }
}
