/**
 * Timers as data (foca's model): what the core asks the driver to call back, and when.
 *
 * A timer is a plain tagged object carrying a generation `token` (and, where it matters, the
 * probe sequence number, target or incarnation). The core never cancels a timer: when the state
 * it was armed for has moved on, the core finds the token no longer matches and ignores it. (A
 * host may ask `Core.isTimerStale` to avoid waking up for such a timer; that is an optimisation,
 * never needed for correctness.)
 * `dueAt` is `now + afterMs` as computed by the core when it scheduled the timer; the driver keys
 * its heap on its own clock and ignores `dueAt`, but the core reads it for the stall rule (see
 * `Core.noteStall`).
 * @module
 */

/** Fields every timer carries. */
interface TimerBase {
  /** Generation token: the timer is acted on only while the core still holds this token. */
  readonly token: number;
  /** Monotonic ms at which the core meant this timer to fire (`now + afterMs` at scheduling). */
  readonly dueAt: number;
}

/** The probe ticker (every `probeIntervalMs`; a tick that arrives mid-probe is buffered, as Go's ticker). */
export interface ProbeTickTimer extends TimerBase {
  readonly type: 'probe-tick';
}
/** The direct-ack wait of probe `seqNo` is over (`probeTimeoutMs`, unscaled): go indirect. */
export interface ProbeTimeoutTimer extends TimerBase {
  readonly type: 'probe-timeout';
  readonly seqNo: number;
  readonly target: string;
}
/** The whole awareness-scaled probe interval of probe `seqNo` is over: decide success or suspicion. */
export interface ProbeEndTimer extends TimerBase {
  readonly type: 'probe-end';
  readonly seqNo: number;
  readonly target: string;
}
/** A relayed (indirect) ping got no ack within `probeTimeoutMs`: drop the handler, send a nack if asked. */
export interface RelayTimeoutTimer extends TimerBase {
  readonly type: 'relay-timeout';
  /** Our local sequence number for the relayed ping. */
  readonly seqNo: number;
}
/** A suspicion ran out: declare `node` dead if it is still suspect from the same suspicion. */
export interface SuspicionTimeoutTimer extends TimerBase {
  readonly type: 'suspicion-timeout';
  readonly node: string;
  /** The member's incarnation when it became suspect (for logs; the token decides). */
  readonly incarnation: number;
}
/** The gossip ticker (every `gossipIntervalMs`). */
export interface GossipTickTimer extends TimerBase {
  readonly type: 'gossip-tick';
}
/** The push/pull (anti-entropy) ticker, every `pushPullScale(pushPullIntervalMs, n)`. */
export interface PushPullTickTimer extends TimerBase {
  readonly type: 'push-pull-tick';
}

/** The reconnect ticker (reconnect.ts), every unscaled `pushPullIntervalMs`: a push/pull with a failed member, sometimes. */
export interface ReconnectTickTimer extends TimerBase {
  readonly type: 'reconnect-tick';
}

/** Every timer the core schedules. Dead/left members are reaped when the probe list wraps, so there is no reap timer. */
export type Timer =
  | ProbeTickTimer
  | ProbeTimeoutTimer
  | ProbeEndTimer
  | RelayTimeoutTimer
  | SuspicionTimeoutTimer
  | GossipTickTimer
  | PushPullTickTimer
  | ReconnectTickTimer;

/** One of the timer `type` tags. */
export type TimerType = Timer['type'];

/**
 * True for the timers whose firing decides that *someone else* failed (probe-timeout, probe-end,
 * relay-timeout → nack, suspicion-timeout). These are the ones the stall rule holds back.
 */
export function isFailureTimer(timer: Timer): boolean {
  const t = timer.type;
  return t === 'probe-timeout' || t === 'probe-end' || t === 'relay-timeout' || t === 'suspicion-timeout';
}
