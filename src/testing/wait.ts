/**
 * The one deadline-based wait of hearsay's tests and benches, published for hosts' own tests on
 * real sockets: wait for a condition under a deadline instead of sleeping and then asserting,
 * which is what made memberlist's tests flaky (#131, #135, #47).
 *
 * Uses only `setTimeout` and `Date.now`, no test runner, so benches and plain scripts can use it.
 * @module
 */

/** Options of {@link waitUntil}. */
export interface WaitOptions {
  /** Time between two checks, ms. Default 20. A check that costs a process spawn wants more. */
  readonly pollMs?: number;
  /**
   * Read once, at timeout: whatever shows what the nodes saw (member lists, counters). Its JSON
   * is appended to the error, so a failure in CI explains itself.
   */
  readonly state?: () => unknown;
}

/** A value {@link waitUntil} keeps polling through. */
export type NotYet = undefined | null | false;

/**
 * Resolves with the first truthy value `check` returns, checking at once and then every
 * `pollMs`; rejects once `timeoutMs` has passed without one.
 *
 * The error says `timed out after <timeoutMs> ms waiting for <what>` when `what` is a string.
 * When `what` is a function, it is called once, at timeout, and the error says
 * `timed out after <timeoutMs> ms: <what()>`: make it describe the state as it *was*.
 *
 * @param check may be async; a check that throws (or rejects) ends the wait with that error.
 * @param timeoutMs deadline, ms from the call; the last check runs at or after it.
 * @param options {@link WaitOptions}; a function is shorthand for `{ state }` and a number for
 *   `{ pollMs }` (the fourth arguments of the two helpers this one replaced).
 */
export async function waitUntil<T>(
  check: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs: number,
  what: string | (() => string | Promise<string>),
  options: WaitOptions | (() => unknown) | number = {},
): Promise<T> {
  const { pollMs = 20, state }: WaitOptions =
    typeof options === 'function' ? { state: options } : typeof options === 'number' ? { pollMs: options } : options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() >= deadline) {
      const reason = typeof what === 'string' ? ` waiting for ${what}` : `: ${await what()}`;
      const detail = state ? `; state: ${JSON.stringify(state())}` : '';
      throw new Error(`timed out after ${timeoutMs} ms${reason}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
