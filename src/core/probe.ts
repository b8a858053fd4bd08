/**
 * SWIM failure detection: the probe cycle — memberlist `probe` / `probeNode` (reference §5), with
 * Lifeguard's nack-based health accounting and buddy system. (Answering pings and relaying
 * indirect ones is `responder.ts`.)
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
 *                                                  (fallback refused, relays answered: suspicion ≤ 1 interval)
 * ```
 *
 * Watchdog (foca's `Probe::validate` / `IncompleteProbeCycle`): the runtime must deliver every
 * timer, but if a `probe-end` is lost anyway the cycle would stay open and every later tick would
 * wait for it: failure detection would stop for good. So a tick that was due after the open
 * cycle's deadline closes it without judging the target, counts `probe.abandoned`, and probes on.
 * @module
 */
import { METRIC } from '../observability.js';
import { supportsNack, supportsTcpPing } from '../wire/capabilities.js';
import { encodeMessage } from '../wire/codec.js';
import type { AckMessage, IndirectPingMessage, NackMessage, StreamMessage, SuspectMessage } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { Health } from './health.js';
import type { SeqNumbers, TimerTokens } from './ids.js';
import type { Isolation } from './isolation.js';
import type { MemberEntry, MemberTable } from './members.js';
import type { Outbox } from './outbox.js';
import type { Random } from './random.js';
import type { FailedMembers } from './reconnect.js';
import { smoothRtt } from './rtt.js';
import type { SelfState } from './self.js';
import { snapshotOf } from './snapshot.js';
import type { StallGuard } from './stall.js';
import type { Membership } from './state-merge.js';
import type { Streams } from './streams.js';
import type { ProbeEndTimer, ProbeTickTimer, ProbeTimeoutTimer } from './timers.js';

const EMPTY = new Uint8Array(0);

/** The probe in flight (memberlist's blocking `probeNode`, unrolled into state + timers). */
interface ActiveProbe {
  readonly seqNo: number;
  readonly target: MemberEntry;
  /** The target's incarnation when the probe started (Go probes a copy of the node state). */
  readonly targetIncarnation: number;
  readonly startedAt: number;
  /** Awareness-scaled probe interval, ms. */
  readonly intervalMs: number;
  /** When the probe decides, ms (moved later only by the stall rule). */
  endAt: number;
  /** When the latest `probe-end` armed for this probe is due, ms: past it, the cycle is abandoned. */
  deadline: number;
  timeoutToken: number;
  endToken: number;
  /** Indirect pings and the TCP fallback have been started. */
  indirectSent: boolean;
  expectedNacks: number;
  nacks: number;
  /** The TCP fallback: `refused` = the target's host answered that nothing listens on its port. */
  tcp: 'none' | 'pending' | 'ok' | 'failed' | 'refused';
  /** Id of the TCP fallback stream, forgotten when the probe ends. */
  tcpStreamId: number | undefined;
  /** The end was postponed once to wait for a TCP fallback result still in flight. */
  tcpWaitExtended: boolean;
}

/** What the probe cycle works with (each owned elsewhere). */
export interface ProbeDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly tokens: TimerTokens;
  readonly seq: SeqNumbers;
  readonly self: SelfState;
  readonly members: MemberTable;
  readonly failed: FailedMembers;
  readonly membership: Membership;
  readonly isolation: Isolation;
  readonly outbox: Outbox;
  readonly health: Health;
  readonly stall: StallGuard;
  readonly streams: Streams;
}

/** Owns the probe ticker and the probe in flight. Answers for `probe-tick`, `probe-timeout` and `probe-end` timers. */
export class ProbeCycle {
  /** Token of the current ticker chain. */
  private tickToken = 0;
  /** The probe in flight, if any (at most one, as Go's blocking probe loop). */
  private active: ActiveProbe | undefined;
  /** A probe tick arrived while a probe was running (Go's ticker buffers one tick). */
  private tickPending = false;
  /**
   * The last probe that ended silent. A relay's nack comes `probeTimeoutMs` after our indirect ping,
   * itself sent `probeTimeoutMs` into the probe, so at health 0 it lands just after the probe's end
   * (memberlist has the same race and counts it against our health): a nack for this probe still
   * proves the network worked, and verifies the suspicion it raised.
   */
  private lastSilent: { readonly seqNo: number; readonly suspect: SuspectMessage; readonly refused: boolean } | undefined;

  constructor(private readonly d: ProbeDeps) {}

  /** Arms the probe ticker (a fresh chain: older tick timers go stale). */
  scheduleTick(now: number, fx: Effects, afterMs: number): void {
    this.tickToken = this.d.tokens.next();
    const timer: ProbeTickTimer = { type: 'probe-tick', token: this.tickToken, dueAt: now + afterMs };
    fx.schedule(timer, afterMs);
  }

  /** True when `timer` would do nothing: a replaced ticker chain, or a probe that ended or moved its timers. */
  isStale(timer: ProbeTickTimer | ProbeTimeoutTimer | ProbeEndTimer): boolean {
    const p = this.active;
    switch (timer.type) {
      case 'probe-tick':
        return timer.token !== this.tickToken;
      case 'probe-timeout':
        return p === undefined || p.seqNo !== timer.seqNo || p.timeoutToken !== timer.token;
      case 'probe-end':
        return p === undefined || p.seqNo !== timer.seqNo || p.endToken !== timer.token;
    }
  }

  /**
   * A probe tick. Ticks run on a fixed `probeIntervalMs` grid; a tick that arrives while a probe is
   * still running is buffered (one at most) and consumed the moment that probe finishes — Go's
   * `time.Ticker` with its one-slot channel, so failed probes stretch the cadence to the
   * awareness-scaled interval. A tick due after the open probe's deadline finds its `probe-end`
   * lost: the watchdog closes that cycle and probes on. After `leave()` the ticker stops (we no
   * longer judge others).
   */
  onTick(now: number, fx: Effects, timer: ProbeTickTimer): void {
    if (timer.token !== this.tickToken || this.d.self.leaving) return;
    const interval = this.d.config.probeIntervalMs;
    const next: ProbeTickTimer = { type: 'probe-tick', token: timer.token, dueAt: now + interval };
    fx.schedule(next, interval);
    const p = this.active;
    if (p !== undefined) {
      // The tick's own due time, not `now`: a tick and the probe-end it races are often due at the
      // same instant (score 0), and a late or starved process handles both late. Timers fire in
      // due order, so only a tick due *after* the deadline proves the probe-end went missing.
      if (timer.dueAt <= p.deadline) {
        this.tickPending = true;
        return;
      }
      this.abandon(fx, p, timer.dueAt);
    }
    this.start(now, fx);
  }

  /** Closes an overdue cycle without judging its target (foca's `IncompleteProbeCycle`). */
  private abandon(fx: Effects, p: ActiveProbe, tickDueAt: number): void {
    this.close(p);
    fx.metric('increment', METRIC.probeAbandoned, 1);
    fx.log('debug', { node: p.target.name, seqNo: p.seqNo, deadline: p.deadline, overdueMs: tickDueAt - p.deadline }, 'probe cycle still open past its deadline (probe-end timer lost?): abandoned');
  }

  /** Abandons the probe in flight, if any, judging nobody (we are leaving; its timers go stale). */
  stop(): void {
    if (this.active !== undefined) this.close(this.active);
  }

  private close(p: ActiveProbe): void {
    if (p.tcpStreamId !== undefined) this.d.streams.forget(p.tcpStreamId);
    this.active = undefined;
  }

  private start(now: number, fx: Effects): void {
    this.tickPending = false;
    const { config: cfg, members, self } = this.d;
    // A held suspicion (state-merge.ts) waits for our probe to decide it: it goes before the round-robin.
    const target =
      this.d.membership.nextToVerify() ??
      members.nextProbeTarget(now, cfg.name, cfg.gossipToTheDeadMs, this.d.random, (e) => {
        fx.log('debug', { node: e.name, state: e.state }, 'reaped member');
        this.d.failed.remember(e, now);
      });
    if (target === undefined) return;
    // memberlist's `degraded.probe`: probing with a raised health score (waits scaled up).
    if (this.d.health.score > 0) fx.metric('increment', METRIC.degradedProbes, 1);
    const intervalMs = this.d.health.scale(cfg.probeIntervalMs);
    const seqNo = this.d.seq.next();
    const probe: ActiveProbe = {
      seqNo,
      target,
      targetIncarnation: target.incarnation,
      startedAt: now,
      intervalMs,
      endAt: now + intervalMs,
      deadline: now + intervalMs,
      timeoutToken: this.d.tokens.next(),
      endToken: this.d.tokens.next(),
      indirectSent: false,
      expectedNacks: 0,
      nacks: 0,
      tcp: 'none',
      tcpStreamId: undefined,
      tcpWaitExtended: false,
    };
    this.active = probe;
    const ping = self.ping(seqNo, target.name);
    if (target.state === 'alive') {
      this.d.outbox.sendDirect(fx, target.address, ping);
    } else {
      // Buddy system (Lifeguard §IV-C, memberlist PR #85): tell a suspect it is suspected so it can
      // refute at once. Sent with the node known, so it carries a CRC for PMax ≥ 5; no other piggyback.
      const suspect = encodeMessage({ type: 'suspect', incarnation: target.incarnation, node: target.name, from: cfg.name });
      this.d.outbox.sendToMember(fx, target, [encodeMessage(ping), suspect]);
    }
    const t1: ProbeTimeoutTimer = { type: 'probe-timeout', token: probe.timeoutToken, dueAt: now + cfg.probeTimeoutMs, seqNo, target: target.name };
    fx.schedule(t1, cfg.probeTimeoutMs);
    const t2: ProbeEndTimer = { type: 'probe-end', token: probe.endToken, dueAt: probe.endAt, seqNo, target: target.name };
    fx.schedule(t2, intervalMs);
  }

  /** Arms a new `probe-end` for `p`, due at `dueAt`, `afterMs` from now (the old one goes stale). */
  private rearmEnd(fx: Effects, p: ActiveProbe, dueAt: number, afterMs: number): void {
    p.endToken = this.d.tokens.next();
    p.deadline = Math.max(p.deadline, dueAt);
    const t: ProbeEndTimer = { type: 'probe-end', token: p.endToken, dueAt, seqNo: p.seqNo, target: p.target.name };
    fx.schedule(t, afterMs);
  }

  /** The direct wait is over without an ack: ask relays, and try TCP (memberlist `probeNode` step 4). */
  onTimeout(now: number, fx: Effects, timer: ProbeTimeoutTimer): void {
    const p = this.active;
    if (p === undefined || p.seqNo !== timer.seqNo || p.timeoutToken !== timer.token) return;
    const { config: cfg, stall } = this.d;
    if (stall.deferIfStalled(now, fx, timer)) {
      // Keep the indirect phase's usual length after the deferred timeout (stall rule, step 4).
      const newEnd = stall.graceEndsAt + (p.intervalMs - cfg.probeTimeoutMs);
      if (newEnd > p.endAt) {
        p.endAt = newEnd;
        this.rearmEnd(fx, p, newEnd, newEnd - now);
      }
      return;
    }
    p.indirectSent = true;
    const target = p.target;
    // After a silent probe, one relay is the member that last reached us (isolation.ts, the witness).
    const at = cfg.indirectChecks > 0 ? this.d.isolation.witness() : undefined;
    const w = at === undefined ? undefined : this.d.members.get(this.d.members.senderAt(at, cfg.name) ?? '');
    const witness = w !== undefined && w.name !== cfg.name && w.name !== target.name && w.state === 'alive' ? [w] : [];
    const others = this.d.members.kRandom(cfg.indirectChecks - witness.length, this.d.random, (e) => e.name === cfg.name || e.name === target.name || e === w || e.state !== 'alive');
    const relays = [...witness, ...others];
    for (const peer of relays) {
      // Only relays that speak protocol 4 send nacks, so only they count towards expected nacks.
      const nack = supportsNack(peer.vsn);
      if (nack) p.expectedNacks++;
      const ind: IndirectPingMessage = { type: 'indirect-ping', seqNo: p.seqNo, target: target.addr, port: target.port, node: target.name, nack, ...this.d.self.sourceFields() };
      this.d.outbox.sendDirect(fx, peer.address, ind);
    }
    // TCP fallback (protocol 3): catches nodes whose UDP is blocked but which are otherwise fine,
    // so they are not flapped out of the cluster. Deadline: the end of the scaled interval.
    if (!cfg.disableTcpPings && supportsTcpPing(target.vsn)) {
      const id = this.d.streams.register({ kind: 'ping', seqNo: p.seqNo });
      p.tcp = 'pending';
      p.tcpStreamId = id;
      // Whole ms: `now` is fractional under a real clock, and timer APIs (AbortSignal.timeout) reject fractions.
      fx.stream(target.address, id, this.d.self.ping(p.seqNo, target.name), Math.max(1, Math.ceil(p.endAt - now)));
    }
  }

  /** The scaled interval is over: success if TCP got through, else health penalty and suspicion. */
  onEnd(now: number, fx: Effects, timer: ProbeEndTimer): void {
    const p = this.active;
    if (p === undefined || p.seqNo !== timer.seqNo || p.endToken !== timer.token) return;
    if (this.d.stall.deferIfStalled(now, fx, timer)) {
      p.deadline = Math.max(p.deadline, this.d.stall.graceEndsAt);
      return;
    }
    if (p.tcp === 'pending' && !p.tcpWaitExtended) {
      // Go blocks on the fallback channel here; its deadline is this same instant, so the result is
      // due any moment. Wait one more probe timeout for it, at most.
      p.tcpWaitExtended = true;
      const wait = this.d.config.probeTimeoutMs;
      this.rearmEnd(fx, p, now + wait, wait);
      return;
    }
    this.finish(now, fx, p);
  }

  /** Ends the active probe without an ack (TCP fallback success or failure). */
  private finish(now: number, fx: Effects, p: ActiveProbe): void {
    this.close(p);
    fx.metric('observe', METRIC.probeDurationSeconds, (now - p.startedAt) / 1000);
    const { config: cfg, health } = this.d;
    if (p.tcp === 'ok') {
      fx.log('debug', { node: p.target.name }, 'reached member over TCP but UDP probes failed; network may be misconfigured');
      health.apply(fx, -1);
      this.d.membership.probeAnswered(now, fx, p.target.name);
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
      // Silent: we asked relays that nack and nobody answered at all, so the silence may be ours (isolation.ts).
      const silent = p.expectedNacks > 0 && p.nacks === 0;
      const suspect: SuspectMessage = { type: 'suspect', incarnation: p.targetIncarnation, node: p.target.name, from: cfg.name };
      const refused = p.tcp === 'refused';
      this.lastSilent = silent ? { seqNo: p.seqNo, suspect, refused } : undefined;
      this.d.isolation.probeFailed(fx, p.startedAt, silent);
      this.d.membership.probeFailed(now, fx, suspect, silent, refused);
      // Go applies the delta in a deferred call, i.e. after suspectNode.
      health.apply(fx, delta);
    }
    this.afterProbe(now, fx);
  }

  private afterProbe(now: number, fx: Effects): void {
    if (this.tickPending && !this.d.self.leaving) this.start(now, fx);
  }

  /** An ack for our probe completes it. @returns false if the ack is not for our probe. */
  handleAck(now: number, fx: Effects, ack: AckMessage): boolean {
    const p = this.active;
    if (p === undefined || p.seqNo !== ack.seqNo) return false;
    this.close(p);
    // Go reports the RTT only for acks in the direct phase.
    if (!p.indirectSent) this.directAck(now, fx, p, ack);
    fx.metric('observe', METRIC.probeDurationSeconds, (now - p.startedAt) / 1000);
    this.d.health.apply(fx, -1);
    this.d.membership.probeAnswered(now, fx, p.target.name);
    this.afterProbe(now, fx);
    return true;
  }

  /**
   * A direct probe completed (memberlist's `NotifyPingComplete`): record its round trip in the
   * member's smoothed RTT and, when the host listens (`reportProbes`), report it with the ack's
   * payload. The entry must still be the one we probed: a member reaped and re-added meanwhile
   * is another incarnation of the name, whose RTT this sample does not describe.
   */
  private directAck(now: number, fx: Effects, p: ActiveProbe, ack: AckMessage): void {
    const rttMs = now - p.startedAt;
    fx.metric('observe', METRIC.probeRttMs, rttMs);
    const entry = this.d.members.get(p.target.name);
    if (entry !== p.target) return;
    entry.rttMs = smoothRtt(entry.rttMs, rttMs);
    if (this.d.config.reportProbes === true) fx.emit({ type: 'probe', member: snapshotOf(entry), rttMs, payload: ack.payload ?? EMPTY });
  }

  /**
   * A nack for our probe only counts (it does not end the wait); one for the last probe that ended
   * silent turns it into an ordinary failed probe after all (see {@link lastSilent}), refused
   * fallback included.
   * @returns false if it is for neither.
   */
  handleNack(now: number, fx: Effects, nack: NackMessage): boolean {
    const p = this.active;
    if (p === undefined || p.seqNo !== nack.seqNo) {
      const late = this.lastSilent;
      if (late === undefined || late.seqNo !== nack.seqNo) return false;
      this.lastSilent = undefined;
      // This is the usual path for a crash: the relays' nacks land just after the probe's end.
      this.d.membership.probeFailed(now, fx, late.suspect, false, late.refused);
      return true;
    }
    // Go's nack channel holds indirectChecks + 1; extra nacks are dropped.
    if (p.nacks < this.d.config.indirectChecks + 1) p.nacks++;
    return true;
  }

  /** The TCP fallback ping's outcome: only an ack with our seqNo counts (memberlist `sendPingAndWaitForAck`). */
  onFallbackResult(now: number, fx: Effects, seqNo: number, result: StreamMessage | Error): void {
    const p = this.active;
    if (p === undefined || p.seqNo !== seqNo) return;
    const ok = !(result instanceof Error) && result.type === 'ack' && result.seqNo === seqNo;
    if (!ok) fx.log('debug', { node: p.target.name, error: result instanceof Error ? result.message : result.type }, 'TCP fallback ping failed');
    p.tcp = ok ? 'ok' : isRefusal(result) ? 'refused' : 'failed';
    p.tcpStreamId = undefined;
    if (p.tcpWaitExtended) this.finish(now, fx, p);
  }
}

/**
 * A dial the peer's host refused (the transport's `TransportError.refused`; read structurally,
 * since the core does not import the runtime's error classes). Timeouts and unreachable hosts are
 * not refusals: a partition or a paused process must never look like a crash.
 */
function isRefusal(result: StreamMessage | Error): boolean {
  return result instanceof Error && (result as { readonly refused?: unknown }).refused === true;
}
