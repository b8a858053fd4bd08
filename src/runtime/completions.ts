/**
 * Waiting for the core's `broadcast-done` completions (`leave()`, `setMetadata()`).
 * @module
 */
import { AbortError, TimeoutError } from '../errors.js';
import type { Clock } from './clock.js';
import { deferred } from './deferred.js';

/**
 * Completion waiters by id. The facade takes an id and its waiter *before* the core step that may
 * complete it, since the completion can come within that very step (no live peers).
 */
export class Completions {
  private readonly waiters = new Map<number, () => void>();
  private nextId = 1;

  constructor(private readonly clock: Clock) {}

  /**
   * A fresh completion id and a promise that resolves when {@link done} reports it, and rejects
   * with `TimeoutError` after `timeoutMs` or with `AbortError` (`cause` = `signal.reason`) when
   * `signal` aborts.
   */
  wait(timeoutMs: number, signal: AbortSignal): { readonly id: number; readonly done: Promise<void> } {
    const result = deferred<void>();
    const id = this.watch(timeoutMs, signal, (error) => (error ? result.reject(error) : result.resolve()));
    return { id, done: result.promise };
  }

  /**
   * {@link wait} with a callback instead of a promise: `settled` runs exactly once, synchronously
   * where the outcome happens (within {@link done}, the timer, the abort, or this call when
   * `signal` is already aborted). For a next step that must run at that instant, not a microtask
   * later (the simulator moves time on once an input's step is done).
   */
  watch(timeoutMs: number, signal: AbortSignal, settled: (error?: Error) => void): number {
    const id = this.nextId++;
    const timer = this.clock.setTimer(() => finish(new TimeoutError(`broadcast not sent within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => finish(new AbortError('aborted while waiting for broadcast', { cause: signal.reason }));
    const finish = (error?: Error): void => {
      this.clock.clearTimer(timer);
      signal.removeEventListener('abort', onAbort);
      this.waiters.delete(id);
      settled(error);
    };
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, () => finish());
    }
    return id;
  }

  /** The core reported `id` done; unknown or finished ids are ignored. */
  done(id: number): void {
    this.waiters.get(id)?.();
  }
}
