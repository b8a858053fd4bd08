/**
 * `leave()` orchestration: an optional user broadcast that must go out first (serf's leave
 * intent), then memberlist's leave (a `dead` about us from us), under one deadline.
 *
 * The order is serf's (`Serf.Leave`): a serf agent that hears memberlist's leave before serf's
 * intent reports the member *failed* to its event handlers first, so the intent is queued alone
 * and the leave waits until it has been sent its retransmit limit (serf's `notifyCh`, bounded by
 * `BroadcastTimeout`, here by what is left of `timeoutMs`).
 *
 * The leave step runs synchronously where the intent's completion is reported, not in a promise
 * continuation: the simulator moves virtual time on as soon as an input's step is done.
 * @module
 */
import type { Core } from '../core/core.js';
import { TimeoutError } from '../errors.js';
import type { Clock } from './clock.js';
import type { Completions } from './completions.js';
import { deferred } from './deferred.js';
import type { Driver } from './driver.js';

/** What {@link leaveCluster} works with. */
export interface LeaveContext {
  readonly driver: Driver;
  readonly core: Core;
  readonly completions: Completions;
  readonly clock: Clock;
  /** A user broadcast to send before the leave (serf's leave intent), or none. */
  readonly first: Uint8Array | undefined;
  /** False once the node stopped leaving while the first broadcast went out: shut down, or `join()` came back. */
  readonly stillLeaving: () => boolean;
}

/**
 * Leaves: broadcasts `ctx.first` (if any) and waits until it has been sent its retransmit limit,
 * then runs `Core.leave` and waits for its broadcast, both within `timeoutMs` of the call.
 * Without `ctx.first` the leave step runs within this call, as before.
 *
 * Rejects with `TimeoutError` when the deadline passes (the leave still runs, and its broadcast
 * keeps spreading) and with `AbortError` when `signal` aborts. If the first broadcast times out
 * or is aborted, the leave still runs, as the node already reports itself left; if the node
 * stopped leaving meanwhile, it does not, and a timeout is no error then.
 */
export function leaveCluster(ctx: LeaveContext, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const { driver, core, completions, clock } = ctx;
  const result = deferred<void>();
  const settle = (error?: Error): void => (error ? result.reject(error) : result.resolve());
  const deadline = clock.now() + timeoutMs;
  const leaveNow = (interrupted: Error | undefined): void => {
    const remaining = Math.max(1, Math.ceil(deadline - clock.now()));
    const id = completions.watch(remaining, signal, (error) => settle(interrupted ?? error));
    if (!driver.step((now, fx) => (core.leave(now, fx, id), true))) completions.done(id);
  };
  const first = ctx.first;
  if (first === undefined) {
    leaveNow(undefined);
    return result.promise;
  }
  let firstSettled = false;
  const id = completions.watch(timeoutMs, signal, (error) => {
    firstSettled = true;
    if (ctx.stillLeaving()) leaveNow(error);
    else settle(error instanceof TimeoutError ? undefined : error);
  });
  // Not queued (stopped driver, or larger than a packet: only with a tiny packetBudgetBytes): nothing to wait for.
  if (!firstSettled && driver.step((now, fx) => core.broadcastUser(now, first, fx, id)) !== true) completions.done(id);
  return result.promise;
}
