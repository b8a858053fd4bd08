/**
 * Membership state rules: alive / suspect / dead (and left) processing, incarnation precedence,
 * address conflicts, Lifeguard suspicion timers and self-refutation — memberlist `state.go`
 * (`aliveNode`, `suspectNode`, `deadNode`, `refute`), reference §5.
 *
 * The same functions serve gossip, push/pull merges and our own decisions (a failed probe calls
 * {@link suspectNode} with `from` = us), so every path obeys one precedence table:
 *
 * | message | unknown node | inc < known | inc = known | inc > known |
 * |---|---|---|---|---|
 * | alive   | add (join) | ignore | ignore (self: refute if meta/vsn differ) | accept (self: refute) |
 * | suspect | ignore | ignore | accept if alive / confirm if suspect | same as = |
 * | dead    | ignore | ignore | accept unless already dead/left (self: refute) | same as = |
 * @module
 */
import { bytesEqual, bytesToHostPort } from '../address.js';
import { METRIC } from '../observability.js';
import type { AliveMessage, DeadMessage, SuspectMessage } from '../wire/messages.js';
import { U32_MAX, type CoreContext } from './context.js';
import type { Effects } from './effects.js';
import type { MemberEntry } from './members.js';
import { snapshotOf } from './snapshot.js';
import { Suspicion, suspicionTimeouts } from './suspicion.js';
import type { SuspicionTimeoutTimer } from './timers.js';

const EMPTY = new Uint8Array(0);

/**
 * memberlist `aliveNode`. Adds unknown members, accepts strictly newer incarnations, lets a left
 * (or long-dead, `deadNodeReclaimMs`) name move to a new address, refutes alives about us that
 * are newer or differ, re-broadcasts what it accepts, and emits join / alive / update.
 * @param bootstrap true for our own alive at start and on metadata changes (no refutation).
 * @param completionId reported as `broadcast-done` when the re-broadcast finishes.
 */
export function aliveNode(ctx: CoreContext, now: number, fx: Effects, a: AliveMessage, bootstrap: boolean, completionId?: number): void {
  const cfg = ctx.config;
  const isSelf = a.node === cfg.name;
  // A queued alive about us must not undo a leave (memberlist: "cause us to re-join").
  if (isSelf && ctx.leaving) return;
  if (a.node.length === 0) {
    ctx.drop(fx, 'bad-name', {}, 'ignoring alive with an empty node name');
    return;
  }
  const vsn = a.vsn;
  if (vsn.length >= 3) {
    const pmin = vsn[0]!;
    const pmax = vsn[1]!;
    if (pmin === 0 || pmax === 0 || pmin > pmax) {
      ctx.drop(fx, 'bad-vsn', { node: a.node, pmin, pmax }, 'ignoring alive: protocol versions are wrong');
      return;
    }
  }
  const meta = a.meta ?? EMPTY;
  let entry = ctx.members.get(a.node);
  let updatesNode = false;
  if (entry === undefined) {
    const address = bytesToHostPort(a.addr, a.port);
    if (address === undefined) {
      ctx.drop(fx, 'bad-addr', { node: a.node, addrLength: a.addr.length }, 'ignoring alive: Addr is not an IP');
      return;
    }
    // Go stores the new node as dead with incarnation 0 and zero state-change time, then applies
    // the alive below; an alive at incarnation 0 therefore leaves a never-alive entry (reaped on wrap).
    entry = {
      name: a.node,
      addr: a.addr,
      port: a.port,
      address,
      meta,
      vsn: vsn.length >= 6 ? vsn.subarray(0, 6) : new Uint8Array(6),
      incarnation: 0,
      state: 'dead',
      stateChangeAt: Number.NEGATIVE_INFINITY,
      snapshot: undefined,
    };
    ctx.members.add(entry, ctx.random);
  } else if (!bytesEqual(entry.addr, a.addr) || entry.port !== a.port) {
    const canReclaim = cfg.deadNodeReclaimMs > 0 && now - entry.stateChangeAt > cfg.deadNodeReclaimMs;
    if (entry.state === 'left' || (entry.state === 'dead' && canReclaim)) {
      if (bytesToHostPort(a.addr, a.port) === undefined) {
        ctx.drop(fx, 'bad-addr', { node: a.node }, 'ignoring alive: Addr is not an IP');
        return;
      }
      updatesNode = true;
    } else {
      ctx.drop(fx, 'conflict', { node: a.node, mine: entry.address, theirs: bytesToHostPort(a.addr, a.port), state: entry.state }, 'conflicting address for member');
      return;
    }
  }

  if (a.incarnation <= entry.incarnation && !isSelf && !updatesNode) {
    if (a.incarnation < entry.incarnation) stale(ctx, fx, 'alive', entry, a.incarnation);
    return;
  }
  if (a.incarnation < entry.incarnation && isSelf) return;

  // Any suspicion is over: its timer goes stale (token no longer in the map).
  ctx.suspicions.delete(a.node);

  if (!bootstrap && isSelf) {
    // Same incarnation but different meta/vsn: we restarted with a new config (reference §5, §7.12).
    if (a.incarnation === entry.incarnation && bytesEqual(meta, entry.meta) && bytesEqual(vsn, cfg.vsn)) return;
    refute(ctx, now, fx, a.incarnation, 'alive', undefined);
    return;
  }

  ctx.broadcast(a, completionId);
  const oldState = entry.state;
  const metaChanged = !bytesEqual(entry.meta, meta);
  const addrChanged = !bytesEqual(entry.addr, a.addr) || entry.port !== a.port;
  const wasUp = oldState === 'alive' || oldState === 'suspect';
  const previous = wasUp && (metaChanged || addrChanged) && !isSelf ? snapshotOf(entry) : undefined;
  if (vsn.length >= 6) entry.vsn = vsn.length === 6 ? vsn : vsn.subarray(0, 6);
  entry.incarnation = a.incarnation;
  entry.meta = meta;
  if (addrChanged) {
    entry.addr = a.addr;
    entry.port = a.port;
    entry.address = bytesToHostPort(a.addr, a.port) ?? entry.address;
  }
  ctx.members.setState(entry, 'alive', now);

  if (!wasUp) ctx.memberEvent(fx, 'join', entry);
  else {
    if (oldState === 'suspect') ctx.memberEvent(fx, 'alive', entry);
    if (previous !== undefined) fx.emit({ type: 'update', member: snapshotOf(entry), previous });
  }
}

/**
 * memberlist `suspectNode`. Confirms a running suspicion (re-gossiping new confirmations, at most
 * k), or starts one for an alive member: state → suspect, Lifeguard timer at `max` (or `min` when
 * k = 0), `suspect` event. A suspect about us is refuted.
 */
export function suspectNode(ctx: CoreContext, now: number, fx: Effects, s: SuspectMessage): void {
  const entry = ctx.members.get(s.node);
  if (entry === undefined) return;
  if (s.incarnation < entry.incarnation) {
    stale(ctx, fx, 'suspect', entry, s.incarnation);
    return;
  }
  const running = ctx.suspicions.get(s.node);
  if (running !== undefined) {
    const remaining = running.confirm(s.from, now);
    if (remaining !== undefined) {
      // New, independent information: spread it so others can confirm too (Lifeguard §IV-B).
      ctx.broadcast(s);
      fx.metric('increment', METRIC.suspectConfirmations, 1);
      running.token = ctx.token();
      scheduleSuspicion(now, fx, entry, running, Math.max(0, remaining));
    }
    return;
  }
  if (entry.state !== 'alive') return;
  if (entry.name === ctx.config.name) {
    refute(ctx, now, fx, s.incarnation, 'suspect', s.from);
    return;
  }
  ctx.broadcast(s);
  entry.incarnation = s.incarnation;
  ctx.members.setState(entry, 'suspect', now);
  // n counts ourselves and the suspect; k = suspicionMult − 2 so the nominal timeout is reached two
  // probe intervals early when everyone confirms (memberlist's comment).
  const t = suspicionTimeouts(ctx.members.size, ctx.config);
  const suspicion = new Suspicion(s.from, t.k, t.minMs, t.maxMs, now, ctx.token());
  ctx.suspicions.set(s.node, suspicion);
  scheduleSuspicion(now, fx, entry, suspicion, suspicion.initialTimeoutMs);
  ctx.memberEvent(fx, 'suspect', entry);
}

function scheduleSuspicion(now: number, fx: Effects, entry: MemberEntry, s: Suspicion, afterMs: number): void {
  const timer: SuspicionTimeoutTimer = { type: 'suspicion-timeout', token: s.token, dueAt: now + afterMs, node: entry.name, incarnation: entry.incarnation };
  fx.schedule(timer, afterMs);
}

/**
 * A suspicion timer fired (token already checked by the caller): if the member is still suspect
 * from the same suspicion, declare it dead with `from` = us.
 */
export function suspicionExpired(ctx: CoreContext, now: number, fx: Effects, timer: SuspicionTimeoutTimer): void {
  const s = ctx.suspicions.get(timer.node);
  const entry = ctx.members.get(timer.node);
  if (s === undefined || entry === undefined) return;
  if (entry.state !== 'suspect' || entry.stateChangeAt !== s.startedAt) return;
  fx.log('debug', { node: entry.name, confirmations: s.confirmations, k: s.k }, 'marking member as failed: suspicion timeout reached');
  deadNode(ctx, now, fx, { type: 'dead', incarnation: entry.incarnation, node: entry.name, from: ctx.config.name });
}

/**
 * memberlist `deadNode`. `from === node` is a graceful leave (→ left), anything else a failure
 * (→ dead). Ignores unknown members, older incarnations and members already dead or left; a dead
 * about us is refuted unless we are leaving, in which case it is our own leave broadcast.
 * @param completionId reported as `broadcast-done` when the re-broadcast finishes (our leave).
 */
export function deadNode(ctx: CoreContext, now: number, fx: Effects, d: DeadMessage, completionId?: number): void {
  const entry = ctx.members.get(d.node);
  if (entry === undefined) return;
  if (d.incarnation < entry.incarnation) {
    stale(ctx, fx, 'dead', entry, d.incarnation);
    return;
  }
  ctx.suspicions.delete(d.node);
  if (entry.state === 'dead' || entry.state === 'left') return;
  if (entry.name === ctx.config.name && !ctx.leaving) {
    refute(ctx, now, fx, d.incarnation, 'dead', d.from);
    return;
  }
  ctx.broadcast(d, completionId);
  entry.incarnation = d.incarnation;
  const left = d.node === d.from;
  ctx.members.setState(entry, left ? 'left' : 'dead', now);
  ctx.memberEvent(fx, left ? 'leave' : 'fail', entry);
}

/**
 * memberlist `refute`: out-bid an accusation at `accusedInc` by taking the next incarnation (or
 * `accusedInc + 1` if that is not enough), raise our own health score (Lifeguard: being accused
 * suggests *we* are slow), and broadcast alive.
 *
 * Wrap guard (memberlist #358, unfixed at HEAD): incarnations are u32 and Go wraps to 0, which
 * makes every peer ignore us. We never wrap: if the incarnation needed is above 2³² − 1 we do not
 * refute (logged and counted as `incarnation-exhausted`). Peers will then time the suspicion out
 * and declare us dead; only a restart under a new name recovers. An accuser can only force this
 * by gossiping a forged 2³² − 1.
 */
export function refute(ctx: CoreContext, now: number, fx: Effects, accusedInc: number, accusation: 'suspect' | 'dead' | 'alive', accuser: string | undefined): void {
  const self = ctx.self;
  let inc = self.incarnation + 1;
  if (accusedInc >= inc) inc = accusedInc + 1;
  if (inc > U32_MAX) {
    ctx.drop(fx, 'incarnation-exhausted', { accusedInc, accusation, accuser }, 'cannot refute: incarnation would exceed 2^32-1');
    return;
  }
  self.incarnation = inc;
  self.snapshot = undefined;
  ctx.health(fx, 1);
  ctx.broadcast({ type: 'alive', incarnation: inc, node: self.name, addr: self.addr, port: self.port, meta: self.meta, vsn: ctx.config.vsn });
  fx.emit({ type: 'self:refute', incarnation: inc, accuser, accusation });
  fx.metric('increment', METRIC.refutations, 1);
  fx.log('debug', { incarnation: inc, accusation, accuser, at: now }, 'refuting accusation');
}

function stale(ctx: CoreContext, fx: Effects, kind: string, entry: MemberEntry, incarnation: number): void {
  ctx.drop(fx, 'stale', { kind, node: entry.name, incarnation, known: entry.incarnation }, 'ignoring message with an older incarnation');
}
