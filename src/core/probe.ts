/**
 * SWIM failure detection: the probe cycle, answering pings, and the relay role — memberlist
 * `probe` / `probeNode` / `handlePing` / `handleIndirectPing` (reference §5), with Lifeguard's
 * nack-based health accounting and buddy system.
 *
 * Go's `probeNode` blocks a goroutine for the whole awareness-scaled interval; here it is unrolled
 * into an {@link ActiveProbe} record and two timers:
 *
 * ```
 * tick ─► ping (or buddy compound) ─► probe-timeout (probeTimeoutMs, unscaled)
 *           │ ack → success               └─► indirect pings (+ nack: relay PMax ≥ 4) + TCP fallback
 *           └──────────────────────────────────► probe-end (probeIntervalMs × (score+1))
 *                                                  ack seen → success; TCP ok → success;
 *                                                  else health += missed nacks (or 1), suspect target
 * ```
 * @module
 */
import { bytesToHostPort } from '../address.js';
import { METRIC } from '../observability.js';
import { encodeMessage } from '../wire/codec.js';
import { encodeCompound } from '../wire/compound.js';
import type { AckMessage, DeadMessage, IndirectPingMessage, NackMessage, PingMessage, SourceFields, StreamMessage } from '../wire/messages.js';
import { MAX_PENDING_RELAYS, type ActiveProbe, type CoreContext } from './context.js';
import type { Effects } from './effects.js';
import { deferIfStalled, stallGraceMs } from './stall.js';
import { suspectNode } from './state-merge.js';
import type { ProbeEndTimer, ProbeTickTimer, ProbeTimeoutTimer, RelayTimeoutTimer } from './timers.js';

/** Arms the probe ticker (a fresh chain: older tick timers go stale). */
export function scheduleProbeTick(ctx: CoreContext, now: number, fx: Effects, afterMs: number): void {
  ctx.probeTickToken = ctx.token();
  const timer: ProbeTickTimer = { type: 'probe-tick', token: ctx.probeTickToken, dueAt: now + afterMs };
  fx.schedule(timer, afterMs);
}

/**
 * A probe tick. Ticks run on a fixed `probeIntervalMs` grid; a tick that arrives while a probe is
 * still running is buffered (one at most) and consumed the moment that probe finishes — Go's
 * `time.Ticker` with its one-slot channel, so failed probes stretch the cadence to the
 * awareness-scaled interval. After `leave()` the ticker stops (we no longer judge others).
 */
export function onProbeTick(ctx: CoreContext, now: number, fx: Effects, timer: ProbeTickTimer): void {
  if (timer.token !== ctx.probeTickToken || ctx.leaving) return;
  const next: ProbeTickTimer = { type: 'probe-tick', token: timer.token, dueAt: now + ctx.config.probeIntervalMs };
  fx.schedule(next, ctx.config.probeIntervalMs);
  if (ctx.probe !== undefined) {
    ctx.probeTickPending = true;
    return;
  }
  startProbe(ctx, now, fx);
}

function startProbe(ctx: CoreContext, now: number, fx: Effects): void {
  ctx.probeTickPending = false;
  const cfg = ctx.config;
  const target = ctx.members.nextProbeTarget(now, cfg.name, cfg.gossipToTheDeadMs, ctx.random, (e) => {
    fx.log('debug', { node: e.name, state: e.state }, 'reaped member');
    ctx.failed.remember(e, now);
  });
  if (target === undefined) return;
  const intervalMs = ctx.awareness.scale(cfg.probeIntervalMs);
  const seqNo = ctx.nextSeqNo();
  const probe: ActiveProbe = {
    seqNo,
    target,
    targetIncarnation: target.incarnation,
    startedAt: now,
    intervalMs,
    endAt: now + intervalMs,
    timeoutToken: ctx.token(),
    endToken: ctx.token(),
    indirectSent: false,
    expectedNacks: 0,
    nacks: 0,
    tcp: 'none',
    tcpStreamId: undefined,
    tcpWaitExtended: false,
  };
  ctx.probe = probe;
  const ping = pingFor(ctx, seqNo, target.name);
  if (target.state === 'alive') {
    ctx.sendDirect(fx, target.address, ping);
  } else {
    // Buddy system (Lifeguard §IV-C, memberlist PR #85): tell a suspect it is suspected so it can
    // refute at once. Sent with the node known, so it carries a CRC for PMax ≥ 5; no other piggyback.
    const suspect = encodeMessage({ type: 'suspect', incarnation: target.incarnation, node: target.name, from: cfg.name });
    for (const packet of encodeCompound([encodeMessage(ping), suspect])) fx.send(target.address, packet, (target.vsn[1] ?? 0) >= 5);
  }
  const t1: ProbeTimeoutTimer = { type: 'probe-timeout', token: probe.timeoutToken, dueAt: now + cfg.probeTimeoutMs, seqNo, target: target.name };
  fx.schedule(t1, cfg.probeTimeoutMs);
  const t2: ProbeEndTimer = { type: 'probe-end', token: probe.endToken, dueAt: probe.endAt, seqNo, target: target.name };
  fx.schedule(t2, intervalMs);
}

function pingFor(ctx: CoreContext, seqNo: number, node: string): PingMessage {
  return { type: 'ping', seqNo, node, ...ctx.sourceFields() };
}

/** The direct wait is over without an ack: ask relays, and try TCP (memberlist `probeNode` step 4). */
export function onProbeTimeout(ctx: CoreContext, now: number, fx: Effects, timer: ProbeTimeoutTimer): void {
  const p = ctx.probe;
  if (p === undefined || p.seqNo !== timer.seqNo || p.timeoutToken !== timer.token) return;
  const cfg = ctx.config;
  if (deferIfStalled(ctx, now, fx, timer)) {
    // Keep the indirect phase's usual length after the deferred timeout (stall rule, step 4).
    const newEnd = ctx.stallEndAt + stallGraceMs(ctx) + (p.intervalMs - cfg.probeTimeoutMs);
    if (newEnd > p.endAt) {
      p.endAt = newEnd;
      p.endToken = ctx.token();
      const t: ProbeEndTimer = { type: 'probe-end', token: p.endToken, dueAt: newEnd, seqNo: p.seqNo, target: p.target.name };
      fx.schedule(t, newEnd - now);
    }
    return;
  }
  p.indirectSent = true;
  const target = p.target;
  const relays = ctx.members.kRandom(cfg.indirectChecks, ctx.random, (e) => e.name === cfg.name || e.name === target.name || e.state !== 'alive');
  for (const peer of relays) {
    // Only relays that speak protocol 4 send nacks, so only they count towards expected nacks.
    const nack = (peer.vsn[1] ?? 0) >= 4;
    if (nack) p.expectedNacks++;
    const ind: IndirectPingMessage = { type: 'indirect-ping', seqNo: p.seqNo, target: target.addr, port: target.port, node: target.name, nack, ...ctx.sourceFields() };
    ctx.sendDirect(fx, peer.address, ind);
  }
  // TCP fallback (protocol 3): catches nodes whose UDP is blocked but which are otherwise fine,
  // so they are not flapped out of the cluster. Deadline: the end of the scaled interval.
  if (!cfg.disableTcpPings && (target.vsn[1] ?? 0) >= 3) {
    const id = ctx.registerStream({ kind: 'ping', seqNo: p.seqNo });
    p.tcp = 'pending';
    p.tcpStreamId = id;
    // Whole ms: `now` is fractional under a real clock, and timer APIs (AbortSignal.timeout) reject fractions.
    fx.stream(target.address, id, pingFor(ctx, p.seqNo, target.name), Math.max(1, Math.ceil(p.endAt - now)));
  }
}

/** The scaled interval is over: success if TCP got through, else health penalty and suspicion. */
export function onProbeEnd(ctx: CoreContext, now: number, fx: Effects, timer: ProbeEndTimer): void {
  const p = ctx.probe;
  if (p === undefined || p.seqNo !== timer.seqNo || p.endToken !== timer.token) return;
  if (deferIfStalled(ctx, now, fx, timer)) return;
  if (p.tcp === 'pending' && !p.tcpWaitExtended) {
    // Go blocks on the fallback channel here; its deadline is this same instant, so the result is
    // due any moment. Wait one more probe timeout for it, at most.
    p.tcpWaitExtended = true;
    p.endToken = ctx.token();
    const wait = ctx.config.probeTimeoutMs;
    const t: ProbeEndTimer = { type: 'probe-end', token: p.endToken, dueAt: now + wait, seqNo: p.seqNo, target: p.target.name };
    fx.schedule(t, wait);
    return;
  }
  finishProbe(ctx, now, fx);
}

/** Ends the active probe without an ack (TCP fallback success or failure). */
function finishProbe(ctx: CoreContext, now: number, fx: Effects): void {
  const p = ctx.probe!;
  ctx.probe = undefined;
  if (p.tcpStreamId !== undefined) ctx.streams.delete(p.tcpStreamId);
  const cfg = ctx.config;
  if (p.tcp === 'ok') {
    fx.log('debug', { node: p.target.name }, 'reached member over TCP but UDP probes failed; network may be misconfigured');
    ctx.health(fx, -1);
  } else {
    // Lifeguard §IV-A: relays that nack show the network works from here, so missing nacks are
    // evidence against *us*. Without nack-capable relays, any failed probe counts +1.
    let delta = 0;
    if (p.expectedNacks > 0) {
      if (p.nacks < p.expectedNacks) delta = p.expectedNacks - p.nacks;
    } else {
      delta = 1;
    }
    fx.metric('increment', METRIC.probeFailed, 1);
    fx.log('debug', { node: p.target.name, expectedNacks: p.expectedNacks, nacks: p.nacks }, 'probe failed: suspecting member');
    suspectNode(ctx, now, fx, { type: 'suspect', incarnation: p.targetIncarnation, node: p.target.name, from: cfg.name });
    // Go applies the delta in a deferred call, i.e. after suspectNode.
    ctx.health(fx, delta);
  }
  afterProbe(ctx, now, fx);
}

function afterProbe(ctx: CoreContext, now: number, fx: Effects): void {
  if (ctx.probeTickPending && !ctx.leaving) startProbe(ctx, now, fx);
}

/** An ack: completes our probe, or a relay we run for someone else. */
export function handleAck(ctx: CoreContext, now: number, fx: Effects, ack: AckMessage): void {
  const p = ctx.probe;
  if (p !== undefined && p.seqNo === ack.seqNo) {
    ctx.probe = undefined;
    if (p.tcpStreamId !== undefined) ctx.streams.delete(p.tcpStreamId);
    // Go reports the RTT only for acks in the direct phase.
    if (!p.indirectSent) fx.metric('observe', METRIC.probeRttMs, now - p.startedAt);
    ctx.health(fx, -1);
    afterProbe(ctx, now, fx);
    return;
  }
  const relay = ctx.relays.get(ack.seqNo);
  if (relay !== undefined) {
    ctx.relays.delete(ack.seqNo);
    // Forward the requester's *original* seqNo, never ours (reference §7.9), with no payload.
    ctx.sendDirect(fx, relay.replyTo, { type: 'ack', seqNo: relay.originalSeqNo, payload: null });
    return;
  }
  ctx.drop(fx, 'unknown-seq', { seqNo: ack.seqNo }, 'ack for unknown sequence number');
}

/** A nack for our probe only counts (it does not end the wait). */
export function handleNack(ctx: CoreContext, fx: Effects, nack: NackMessage): void {
  const p = ctx.probe;
  if (p !== undefined && p.seqNo === nack.seqNo) {
    // Go's nack channel holds indirectChecks + 1; extra nacks are dropped.
    if (p.nacks < ctx.config.indirectChecks + 1) p.nacks++;
    return;
  }
  ctx.drop(fx, 'unknown-seq', { seqNo: nack.seqNo }, 'nack for unknown sequence number');
}

/** Where a reply goes: `SourceAddr:SourcePort` when both are set, else the packet's source. */
function replyAddress(msg: SourceFields, from: string): string {
  if (msg.sourceAddr !== undefined && msg.sourceAddr.length > 0 && msg.sourcePort !== undefined && msg.sourcePort > 0) {
    return bytesToHostPort(msg.sourceAddr, msg.sourcePort) ?? from;
  }
  return from;
}

/** Answers a ping addressed to us (or to anyone) with an ack, gossip piggybacked. */
export function handlePing(ctx: CoreContext, fx: Effects, from: string, ping: PingMessage): void {
  if (ping.node !== '' && ping.node !== ctx.config.name) {
    // A restarted peer under a new name must not ack pings meant for the old one (reference §7.10).
    ctx.drop(fx, 'wrong-node', { node: ping.node, from }, 'ping for another node');
    return;
  }
  ctx.sendDirect(fx, replyAddress(ping, from), { type: 'ack', seqNo: ping.seqNo, payload: ctx.config.ackPayload ?? null }, deadNoteFor(ctx, ping.sourceNode));
}

/**
 * A member that pings us while we hold it dead does not know it was declared dead: nobody
 * probes the dead, and the cluster's gossip about it has usually run out by the time it can hear
 * again (a flapping link, a long stall). Tell it on the ack — `dead{its incarnation, from: us}`
 * rides along — so it refutes at once instead of waiting for its next push/pull, minutes away in
 * a large cluster. Any memberlist refutes a dead message about itself, so this is plain protocol.
 * Also for members already reaped but remembered as failed; never for members that left.
 */
function deadNoteFor(ctx: CoreContext, sender: string | undefined): DeadMessage | undefined {
  // Fast path for the common case, before hashing a freshly decoded name: nobody to tell.
  if (ctx.members.count('dead') === 0 && ctx.failed.size === 0) return undefined;
  if (sender === undefined || sender === '' || sender === ctx.config.name) return undefined;
  const entry = ctx.members.get(sender);
  const incarnation = entry === undefined ? ctx.failed.get(sender)?.incarnation : entry.state === 'dead' ? entry.incarnation : undefined;
  if (incarnation === undefined) return undefined;
  return { type: 'dead', incarnation, node: sender, from: ctx.config.name };
}

/** Answers a TCP fallback ping: a bare ack, no payload (reference §3.3). */
export function handleStreamPing(ctx: CoreContext, fx: Effects, from: string, ping: PingMessage): StreamMessage | undefined {
  if (ping.node !== '' && ping.node !== ctx.config.name) {
    ctx.drop(fx, 'wrong-node', { node: ping.node, from }, 'stream ping for another node');
    return undefined;
  }
  return { type: 'ack', seqNo: ping.seqNo, payload: null };
}

/** Relay role: ping the target under a fresh local seqNo and report back (memberlist `handleIndirectPing`). */
export function handleIndirectPing(ctx: CoreContext, now: number, fx: Effects, from: string, req: IndirectPingMessage): void {
  if (ctx.relays.size >= MAX_PENDING_RELAYS) {
    ctx.drop(fx, 'relay-limit', { from }, 'too many pending relayed pings');
    return;
  }
  const cfg = ctx.config;
  const port = req.port === 0 ? cfg.advertisePort : req.port; // port 0: "use my bind port" (protocol < 2)
  const targetAddr = bytesToHostPort(req.target, port);
  if (targetAddr === undefined) {
    ctx.drop(fx, 'bad-addr', { from }, 'indirect ping with a target that is not an IP');
    return;
  }
  const seqNo = ctx.nextSeqNo();
  const token = ctx.token();
  ctx.relays.set(seqNo, { originalSeqNo: req.seqNo, replyTo: replyAddress(req, from), nack: req.nack, token });
  ctx.sendDirect(fx, targetAddr, pingFor(ctx, seqNo, req.node));
  const timer: RelayTimeoutTimer = { type: 'relay-timeout', token, dueAt: now + cfg.probeTimeoutMs, seqNo };
  fx.schedule(timer, cfg.probeTimeoutMs);
}

/** The relayed ping went unanswered for `probeTimeoutMs`: forget it; nack if the requester asked. */
export function onRelayTimeout(ctx: CoreContext, now: number, fx: Effects, timer: RelayTimeoutTimer): void {
  const r = ctx.relays.get(timer.seqNo);
  if (r === undefined || r.token !== timer.token) return;
  if (deferIfStalled(ctx, now, fx, timer)) return;
  ctx.relays.delete(timer.seqNo);
  if (r.nack) ctx.sendDirect(fx, r.replyTo, { type: 'nack', seqNo: r.originalSeqNo });
}

/** The TCP fallback ping's outcome: only an ack with our seqNo counts (memberlist `sendPingAndWaitForAck`). */
export function onFallbackResult(ctx: CoreContext, now: number, fx: Effects, seqNo: number, result: StreamMessage | Error): void {
  const p = ctx.probe;
  if (p === undefined || p.seqNo !== seqNo) return;
  const ok = !(result instanceof Error) && result.type === 'ack' && result.seqNo === seqNo;
  if (!ok) fx.log('debug', { node: p.target.name, error: result instanceof Error ? result.message : result.type }, 'TCP fallback ping failed');
  p.tcp = ok ? 'ok' : 'failed';
  p.tcpStreamId = undefined;
  if (p.tcpWaitExtended) finishProbe(ctx, now, fx);
}
