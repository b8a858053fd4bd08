/**
 * Push/pull anti-entropy and join state exchange (memberlist `pushPull`, `sendLocalState`,
 * `mergeRemoteState`, `verifyProtocol`; reference §3.2, §4).
 *
 * Gossip is probabilistic; a periodic full-state exchange with one random member repairs whatever
 * it missed, and the same exchange (with `join` set) is how a node joins.
 * @module
 */
import { METRIC } from '../observability.js';
import { NodeStateNumber, type NodeStateNumberValue, type PushNodeState, type PushPullMessage, type StreamMessage } from '../wire/messages.js';
import type { MemberState } from '../events.js';
import type { CoreContext } from './context.js';
import type { Effects } from './effects.js';
import { aliveNode, deadNode, suspectNode } from './state-merge.js';
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
export function localState(ctx: CoreContext, join: boolean): PushPullMessage {
  const nodes: PushNodeState[] = [];
  for (const e of ctx.members.entries()) {
    nodes.push({ name: e.name, addr: e.addr, port: e.port, meta: e.meta, incarnation: e.incarnation, state: STATE_NUMBER[e.state], vsn: e.vsn });
  }
  return { type: 'push-pull', join, nodes, userState: EMPTY };
}

/**
 * memberlist `verifyProtocol`: over all *alive* nodes, remote and local, find the highest PMin and
 * DMin and the lowest PMax and DMax; then *every* node on both sides (any state; a missing Vsn
 * counts as 0) must have its PCur and DCur inside those ranges. One failure rejects the exchange.
 * @returns an Error naming the node and versions, as Go words it; `undefined` if compatible.
 */
export function verifyProtocol(ctx: CoreContext, remote: readonly PushNodeState[]): Error | undefined {
  let maxPMin = 0;
  let minPMax = 255;
  let maxDMin = 0;
  let minDMax = 255;
  for (const r of remote) {
    if (r.state !== NodeStateNumber.alive || r.vsn.length < 6) continue;
    maxPMin = Math.max(maxPMin, r.vsn[0]!);
    minPMax = Math.min(minPMax, r.vsn[1]!);
    maxDMin = Math.max(maxDMin, r.vsn[3]!);
    minDMax = Math.min(minDMax, r.vsn[4]!);
  }
  const local = ctx.members.entries();
  for (const e of local) {
    if (e.state !== 'alive') continue;
    maxPMin = Math.max(maxPMin, e.vsn[0] ?? 0);
    minPMax = Math.min(minPMax, e.vsn[1] ?? 0);
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

/**
 * memberlist `mergeRemoteState`: {@link verifyProtocol} first (on failure nothing is merged), then
 * per entry: alive → `aliveNode`; left → `dead` with From = Node (→ left); suspect and dead → a
 * *suspect from us* — a remote death is only a local suspicion (reference §7.13), so one confused
 * peer cannot kill members wholesale. `userState` is ignored for now.
 */
export function mergeRemoteState(ctx: CoreContext, now: number, fx: Effects, remote: PushPullMessage): Error | undefined {
  const err = verifyProtocol(ctx, remote.nodes);
  if (err !== undefined) {
    fx.metric('increment', METRIC.pushPull, 1, { outcome: 'rejected' });
    fx.log('debug', { error: err.message }, 'push/pull rejected by protocol version check');
    return err;
  }
  const me = ctx.config.name;
  for (const r of remote.nodes) {
    switch (r.state) {
      case NodeStateNumber.alive:
        aliveNode(ctx, now, fx, { type: 'alive', incarnation: r.incarnation, node: r.name, addr: r.addr, port: r.port, meta: r.meta, vsn: r.vsn }, false);
        break;
      case NodeStateNumber.left:
        deadNode(ctx, now, fx, { type: 'dead', incarnation: r.incarnation, node: r.name, from: r.name });
        break;
      case NodeStateNumber.dead:
      case NodeStateNumber.suspect:
        suspectNode(ctx, now, fx, { type: 'suspect', incarnation: r.incarnation, node: r.name, from: me });
        break;
      default:
        ctx.drop(fx, 'bad-state', { node: r.name, state: r.state }, 'push/pull entry with an unknown state');
    }
  }
  fx.metric('increment', METRIC.pushPull, 1, { outcome: 'ok' });
  return undefined;
}

/** Arms the push/pull ticker (a fresh chain). */
export function schedulePushPullTick(ctx: CoreContext, now: number, fx: Effects, afterMs: number): void {
  ctx.pushPullTickToken = ctx.token();
  const timer: PushPullTickTimer = { type: 'push-pull-tick', token: ctx.pushPullTickToken, dueAt: now + afterMs };
  fx.schedule(timer, afterMs);
}

/**
 * Periodic anti-entropy: a `join = false` push/pull with one random alive member.
 *
 * Stops after `leave()` (memberlist keeps it running until `Shutdown`): nobody gossips to a left
 * member, so its table goes stale, and pushing it would resurrect members the others have already
 * declared dead and reaped — they would accept the stale alive as a brand-new node.
 */
export function onPushPullTick(ctx: CoreContext, now: number, fx: Effects, timer: PushPullTickTimer): void {
  if (timer.token !== ctx.pushPullTickToken || ctx.leaving) return;
  const cfg = ctx.config;
  const interval = pushPullScale(cfg.pushPullIntervalMs, ctx.members.size);
  const next: PushPullTickTimer = { type: 'push-pull-tick', token: timer.token, dueAt: now + interval };
  fx.schedule(next, interval);
  const [peer] = ctx.members.kRandom(1, ctx.random, (e) => e.name === cfg.name || e.state !== 'alive');
  if (peer !== undefined) {
    const id = ctx.registerStream({ kind: 'push-pull' });
    fx.stream(peer.address, id, localState(ctx, false), cfg.tcpTimeoutMs);
  }
  const failed = ctx.failed.pick(now, ctx.members.entries(), (name) => ctx.members.get(name) !== undefined, ctx.members.count('alive'), ctx.random);
  if (failed !== undefined) reconnect(ctx, fx, failed.address, true);
}

/** A push/pull with a member we consider failed (see reconnect.ts). */
function reconnect(ctx: CoreContext, fx: Effects, address: string, followUp: boolean): void {
  const id = ctx.registerStream({ kind: 'reconnect', address, followUp });
  fx.stream(address, id, localState(ctx, false), ctx.config.tcpTimeoutMs);
}

/** The reply to a reconnect attempt: merge it, and if the member answered the first time, exchange once more to carry both sides' refutations across. */
export function onReconnectResult(ctx: CoreContext, now: number, fx: Effects, address: string, followUp: boolean, result: StreamMessage | Error): void {
  const answered = !(result instanceof Error) && result.type === 'push-pull';
  onPushPullResult(ctx, now, fx, result);
  if (answered) {
    fx.log('debug', { address }, 'reconnected to a member considered failed');
    if (followUp && !ctx.leaving) reconnect(ctx, fx, address, false);
  }
}

/** The reply to our periodic push/pull: merge it. */
export function onPushPullResult(ctx: CoreContext, now: number, fx: Effects, result: StreamMessage | Error): void {
  if (result instanceof Error || result.type !== 'push-pull') {
    const why = result instanceof Error ? result.message : result.type === 'error' ? result.error : `unexpected ${result.type} reply`;
    fx.metric('increment', METRIC.pushPull, 1, { outcome: 'failed' });
    fx.log('debug', { error: why }, 'push/pull failed');
    return;
  }
  mergeRemoteState(ctx, now, fx, result);
}

/**
 * An inbound push/pull: build our reply first (echoing `join`), then merge theirs — memberlist's
 * order, so the joiner gets our table as it was before its own entry arrived. The reply goes out
 * even if the merge is rejected; the peer's own check will then reject ours.
 */
export function handlePushPullRequest(ctx: CoreContext, now: number, fx: Effects, request: PushPullMessage): PushPullMessage {
  const reply = localState(ctx, request.join);
  mergeRemoteState(ctx, now, fx, request);
  return reply;
}
