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
