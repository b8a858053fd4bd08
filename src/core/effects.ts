/**
 * What a `Core` step asks the outside world to do: the effects sink and the events it emits.
 *
 * The core never performs I/O; it records effects in a sink, and the driver (or a test, or the
 * simulator) drains them after the step, in order: sends, then streams, then schedules, then events.
 * @module
 */
import type { MemberSnapshot, RefuteEvent } from '../events.js';
import type { StreamMessage } from '../wire/messages.js';
import type { Timer } from './timers.js';

/** Events the core emits; the driver turns member events into `Hearsay` events. */
export type CoreEvent =
  | { readonly type: 'join'; readonly member: MemberSnapshot }
  | { readonly type: 'update'; readonly member: MemberSnapshot; readonly previous: MemberSnapshot }
  | { readonly type: 'suspect'; readonly member: MemberSnapshot }
  | { readonly type: 'alive'; readonly member: MemberSnapshot }
  | { readonly type: 'fail'; readonly member: MemberSnapshot }
  | { readonly type: 'leave'; readonly member: MemberSnapshot }
  | ({ readonly type: 'self:refute' } & RefuteEvent)
  | { readonly type: 'self:health'; readonly score: number; readonly previous: number }
  | { readonly type: 'message'; readonly from: string; readonly payload: Uint8Array }
  /** A broadcast queued by `leave()` / `setMetadata()` has been sent `retransmitLimit` times (or was replaced). */
  | { readonly type: 'broadcast-done'; readonly id: number; readonly transmits: number };

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
   * `core.handleStreamResult(now, id, reply | error)`. `timeoutMs` bounds the whole exchange.
   */
  stream(to: string, id: number, request: StreamMessage, timeoutMs: number): void;
  /** Call `core.handleTimer(now, timer)` after `afterMs`. Never cancelled: stale timers are ignored by the core. */
  schedule(timer: Timer, afterMs: number): void;
  emit(event: CoreEvent): void;
  log(level: CoreLogLevel, fields: Readonly<Record<string, unknown>>, msg: string): void;
  metric(kind: 'increment' | 'gauge' | 'observe', name: string, value: number, labels?: Readonly<Record<string, string>>): void;
}
