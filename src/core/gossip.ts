/**
 * SWIM dissemination: the gossip ticker and user broadcasts (memberlist `gossip`, reference §5
 * "Gossip" and §6).
 * @module
 */
import { encodeCompound } from '../wire/compound.js';
import { COMPOUND_OVERHEAD, type CoreContext } from './context.js';
import type { Effects } from './effects.js';
import type { GossipTickTimer } from './timers.js';

/** Arms the gossip ticker (a fresh chain: older tick timers go stale). */
export function scheduleGossipTick(ctx: CoreContext, now: number, fx: Effects, afterMs: number): void {
  ctx.gossipTickToken = ctx.token();
  const timer: GossipTickTimer = { type: 'gossip-tick', token: ctx.gossipTickToken, dueAt: now + afterMs };
  fx.schedule(timer, afterMs);
}

/**
 * One gossip round: up to `gossipNodes` random members that are not us and are alive, suspect,
 * or dead for at most `gossipToTheDeadMs` (so a wrongly declared node hears it and refutes) —
 * never left. Each gets a fresh batch from the queues; the round stops when they run dry.
 * Sent with the node known, so with a CRC for PMax ≥ 5. Keeps running after `leave()`: that is
 * how our leave spreads.
 */
export function onGossipTick(ctx: CoreContext, now: number, fx: Effects, timer: GossipTickTimer): void {
  if (timer.token !== ctx.gossipTickToken) return;
  const cfg = ctx.config;
  if (ctx.broadcasts.size === 0 && ctx.userBroadcasts.size === 0) {
    // Nothing queued: park instead of ticking idle (a steady cluster has nothing to gossip, and
    // each wake-up costs a host process far more than the tick's work). A tick with empty queues
    // sends nothing and draws no random numbers, so parking changes no observable behaviour.
    ctx.gossipParked = true;
    ctx.gossipResumeAt = now + cfg.gossipIntervalMs;
    return;
  }
  const next: GossipTickTimer = { type: 'gossip-tick', token: timer.token, dueAt: now + cfg.gossipIntervalMs };
  fx.schedule(next, cfg.gossipIntervalMs);
  const selfName = cfg.name;
  const deadMs = cfg.gossipToTheDeadMs;
  const targets = ctx.members.kRandom(cfg.gossipNodes, ctx.random, (e) => {
    if (e.name === selfName) return true;
    if (e.state === 'alive' || e.state === 'suspect') return false;
    if (e.state === 'dead') return now - e.stateChangeAt > deadMs;
    return true;
  });
  const limit = ctx.budget - COMPOUND_OVERHEAD;
  for (const target of targets) {
    const msgs: Uint8Array[] = [];
    ctx.takeBroadcasts(limit, msgs);
    if (msgs.length === 0) return;
    const crc = (target.vsn[1] ?? 0) >= 5;
    for (const packet of encodeCompound(msgs)) fx.send(target.address, packet, crc);
  }
}

/**
 * Restarts a parked gossip ticker once something is queued (called at the end of every core
 * step). The next tick keeps the parked ticker's phase — the first instant `resumeAt + k ×
 * interval` not in the past — so dissemination timing is what an always-running ticker gives.
 */
export function resumeGossipIfParked(ctx: CoreContext, now: number, fx: Effects): void {
  if (!ctx.gossipParked || (ctx.broadcasts.size === 0 && ctx.userBroadcasts.size === 0)) return;
  ctx.gossipParked = false;
  const interval = ctx.config.gossipIntervalMs;
  let due = ctx.gossipResumeAt;
  if (due < now) due += Math.ceil((now - due) / interval) * interval;
  scheduleGossipTick(ctx, now, fx, due - now);
}

/** Largest user broadcast payload one gossip packet can carry: budget − 2 compound overheads − the `08` type byte. */
export function maxUserBroadcastBytes(ctx: CoreContext): number {
  return ctx.budget - 2 * COMPOUND_OVERHEAD - 1;
}

/**
 * Queues a user broadcast (`08` + payload, piggybacked after membership gossip, cost len + 3).
 * Returns false (and queues nothing) if the payload could never fit one packet
 * (`payload > budget − 5` bytes). Beyond `MAX_USER_BROADCASTS` queued, the oldest is dropped.
 */
export function queueUserBroadcast(ctx: CoreContext, payload: Uint8Array): boolean {
  if (payload.length > maxUserBroadcastBytes(ctx)) return false;
  const framed = new Uint8Array(payload.length + 1);
  framed[0] = 8;
  framed.set(payload, 1);
  ctx.userBroadcasts.queue(framed, undefined);
  return true;
}
