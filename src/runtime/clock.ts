/**
 * The Clock seam: the runtime's only source of time and timers.
 * @module
 */

/** Opaque handle of a scheduled timer. */
export type TimerHandle = unknown;

/** Monotonic time and one-shot timers. The simulator supplies a virtual one. */
export interface Clock {
  /** Monotonic milliseconds (fractional allowed); never goes backwards. */
  now(): number;
  /** Calls `fn` once after `delayMs`. Timers must not keep the process alive on their own. */
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and unref'd `setTimeout` (sockets, not timers, keep a node's process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, delayMs) {
    const t = setTimeout(fn, Math.max(0, delayMs));
    t.unref();
    return t;
  },
  clearTimer(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

/** A deadline on a {@link Clock}: `signal` aborts with the error `onExpire` builds once `delayMs` has passed. */
export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer (call it once the guarded work is over, so no timer lingers). */
  cancel(): void;
}

/**
 * `AbortSignal.timeout` on a given clock, so the simulator's virtual time governs stream and
 * waiter deadlines exactly as the system clock governs them on sockets.
 */
export function deadline(clock: Clock, delayMs: number, onExpire: () => Error): Deadline {
  const controller = new AbortController();
  const handle = clock.setTimer(() => controller.abort(onExpire()), delayMs);
  return { signal: controller.signal, cancel: () => clock.clearTimer(handle) };
}
