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
    const id = this.nextId++;
    const result = deferred<void>();
    const timer = this.clock.setTimer(() => finish(new TimeoutError(`broadcast not sent within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => finish(new AbortError('aborted while waiting for broadcast', { cause: signal.reason }));
    const finish = (error?: Error): void => {
      this.clock.clearTimer(timer);
      signal.removeEventListener('abort', onAbort);
      this.waiters.delete(id);
      if (error) result.reject(error);
      else result.resolve();
    };
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(id, () => finish());
    }
    return { id, done: result.promise };
  }

  /** The core reported `id` done; unknown or finished ids are ignored. */
  done(id: number): void {
    this.waiters.get(id)?.();
  }
}
