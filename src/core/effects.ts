/**
 * What a `Core` step asks the outside world to do: the effects sink and the events it emits.
 *
 * The core never performs I/O; it records effects in a sink, and the driver (or a test, or the
 * simulator) drains them after the step, in order: sends, then streams, then schedules, then events.
 * @module
 */
import type { IsolatedEvent, MemberSnapshot, RefuteEvent, SuspicionEvent } from '../events.js';
import type { ConflictEvent } from '../hooks/conflict.js';
import type { StreamMessage } from '../wire/messages.js';
import type { Timer } from './timers.js';

/** Events the core emits; the driver turns member events into `Hearsay` events. */
export type CoreEvent =
  | { readonly type: 'join'; readonly member: MemberSnapshot }
  | { readonly type: 'update'; readonly member: MemberSnapshot; readonly previous: MemberSnapshot }
  | { readonly type: 'suspect'; readonly member: MemberSnapshot; readonly accuser: string }
  /** A suspicion started (right after `suspect`) or gained a confirmation; timings from its running timer. */
  | ({ readonly type: 'suspicion' } & SuspicionEvent)
  /** Another address claimed a live member's name (memberlist `NotifyConflict`); reported once per claim. */
  | ({ readonly type: 'conflict' } & ConflictEvent)
  | { readonly type: 'alive'; readonly member: MemberSnapshot }
  | { readonly type: 'fail'; readonly member: MemberSnapshot }
  | { readonly type: 'leave'; readonly member: MemberSnapshot }
  | ({ readonly type: 'self:refute' } & RefuteEvent)
  | { readonly type: 'self:health'; readonly score: number; readonly previous: number }
  | ({ readonly type: 'self:isolated' } & IsolatedEvent)
  /** A user message: `address` is the datagram's or stream's source, `from` the member it names (see `MemberTable.senderAt`). */
  | { readonly type: 'message'; readonly from: string | undefined; readonly address: string; readonly payload: Uint8Array }
  /**
   * A broadcast queued with a completion id (`leave()`, `setMetadata()`, `broadcastUser()`) has
   * been sent `retransmitLimit` times (or was replaced or dropped), or there was nothing to wait
   * for (transmits 0). `id` is the completion id the caller passed.
   */
  | { readonly type: 'broadcast-done'; readonly id: number; readonly transmits: number }
  /**
   * A direct probe completed (memberlist `NotifyPingComplete`): `member` after its smoothed RTT took
   * this sample, `rttMs` this probe's round trip, `payload` the ack's (empty for Go's nil). Emitted
   * only with `CoreConfig.reportProbes`; the driver hands it to the host's ping hook.
   */
  | { readonly type: 'probe'; readonly member: MemberSnapshot; readonly rttMs: number; readonly payload: Uint8Array }
  /**
   * A push/pull brought user state (`UserStateLen` > 0) and its node states were merged: the driver
   * hands `state` to the host's user-state hook (memberlist `MergeRemoteState(buf, join)`), in order
   * with the step's other events. `join` is the exchange's join flag (ours when we initiated).
   */
  | { readonly type: 'merge-user-state'; readonly state: Uint8Array; readonly join: boolean };

/** Log levels the core uses (it never logs above debug). */
export type CoreLogLevel = 'debug' | 'trace';

/** The sink a core step writes effects into. */
export interface Effects {
  /**
   * Send one datagram to `to` (`host:port`). `payload` is the inner message (one message or a
   * compound), not yet compressed, CRC'd, encrypted or labelled: the driver wraps it. `crc` is
   * true when the recipient's PMax ≥ 5 and memberlist would add a CRC (reference §2.1).
   */
  send(to: string, payload: Uint8Array, crc: boolean): void;
  /**
   * Run one stream exchange with `to`: send `request`, read one reply (none for `user`), then call
   * `core.handleStreamResult(now, id, reply | error)`. `timeoutMs` (a whole number ≥ 1) bounds the whole exchange.
   */
  stream(to: string, id: number, request: StreamMessage, timeoutMs: number): void;
  /**
   * Call `core.handleTimer(now, timer)` after `afterMs`. Never cancelled: stale timers are ignored
   * by the core (a runtime may skip one only when `core.isTimerStale(timer)` says so).
   *
   * Contract: the runtime must deliver **every** scheduled timer, late if it must, and timers in
   * order of due time (ties in scheduling order). Timers are the core's only way to learn that time
   * has passed: a lost gossip or push/pull tick stops that ticker for good, a lost suspicion
   * timeout leaves a member suspect forever, a lost relay timeout holds a relay slot forever. The
   * probe cycle alone has a safety net (a lost `probe-end` is abandoned by the next tick due after
   * its deadline, counted as `probe.abandoned`), and that is a watchdog, not a licence to drop.
   */
  schedule(timer: Timer, afterMs: number): void;
  /** Queue an event for the host; the driver delivers events in order after the step. */
  emit(event: CoreEvent): void;
  /** A debug/trace log line (pino argument order: fields, then message). */
  log(level: CoreLogLevel, fields: Readonly<Record<string, unknown>>, msg: string): void;
  /** A metric sample; `name` is one of `METRIC` (observability.ts), `labels` a small bounded set. */
  metric(kind: 'increment' | 'gauge' | 'observe', name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}

/** One recorded `send`. */
export interface SendEffect {
  readonly to: string;
  readonly payload: Uint8Array;
  readonly crc: boolean;
}
/** One recorded `stream`. */
export interface StreamEffect {
  readonly to: string;
  readonly id: number;
  readonly request: StreamMessage;
  readonly timeoutMs: number;
}
/** One recorded `schedule`. */
export interface ScheduleEffect {
  readonly timer: Timer;
  readonly afterMs: number;
}
/** One recorded `log`. */
export interface LogEffect {
  readonly level: CoreLogLevel;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly msg: string;
}
/** One recorded `metric`. */
export interface MetricEffect {
  readonly kind: 'increment' | 'gauge' | 'observe';
  readonly name: string;
  readonly value: number;
  readonly labels: Readonly<Record<string, string>> | undefined;
}
/** Everything one or more steps asked for, in call order per kind. */
export interface AccumulatedEffects {
  readonly sends: readonly SendEffect[];
  readonly streams: readonly StreamEffect[];
  readonly schedules: readonly ScheduleEffect[];
  readonly events: readonly CoreEvent[];
  readonly logs: readonly LogEffect[];
  readonly metrics: readonly MetricEffect[];
}

/**
 * An {@link Effects} sink that records everything in arrays: for tests (foca-style hand-stepped
 * cores), the simulator and the driver. {@link drain} hands the records over and starts afresh.
 * Logs and metrics can be switched off for large simulations, where recording them would cost
 * more than the protocol work.
 */
export class AccumulatingEffects implements Effects {
  sends: SendEffect[] = [];
  streams: StreamEffect[] = [];
  schedules: ScheduleEffect[] = [];
  events: CoreEvent[] = [];
  logs: LogEffect[] = [];
  metrics: MetricEffect[] = [];
  private readonly recordLogs: boolean;
  private readonly recordMetrics: boolean;

  /** @param options `logs` / `metrics`: record those (default true). */
  constructor(options: { readonly logs?: boolean; readonly metrics?: boolean } = {}) {
    this.recordLogs = options.logs ?? true;
    this.recordMetrics = options.metrics ?? true;
  }

  send(to: string, payload: Uint8Array, crc: boolean): void {
    this.sends.push({ to, payload, crc });
  }
  stream(to: string, id: number, request: StreamMessage, timeoutMs: number): void {
    this.streams.push({ to, id, request, timeoutMs });
  }
  schedule(timer: Timer, afterMs: number): void {
    this.schedules.push({ timer, afterMs });
  }
  emit(event: CoreEvent): void {
    this.events.push(event);
  }
  log(level: CoreLogLevel, fields: Readonly<Record<string, unknown>>, msg: string): void {
    if (this.recordLogs) this.logs.push({ level, fields, msg });
  }
  metric(kind: 'increment' | 'gauge' | 'observe', name: string, value: number, labels?: Readonly<Record<string, string>>): void {
    if (this.recordMetrics) this.metrics.push({ kind, name, value, labels });
  }

  /** Returns everything recorded so far and clears the sink. */
  drain(): AccumulatedEffects {
    const out: AccumulatedEffects = {
      sends: this.sends,
      streams: this.streams,
      schedules: this.schedules,
      events: this.events,
      logs: this.logs,
      metrics: this.metrics,
    };
    this.sends = [];
    this.streams = [];
    this.schedules = [];
    this.events = [];
    this.logs = [];
    this.metrics = [];
    return out;
  }
}
