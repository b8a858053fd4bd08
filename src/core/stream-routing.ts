/**
 * Which owner a stream belongs to: an inbound exchange is served, and the outcome of one we asked
 * for is handed back, by the part whose family it is (`parts.ts`), so the core's entry points
 * only route, guard and end the step (as `timer-routing.ts` does for timers).
 * @module
 */
import type { StreamMessage } from '../wire/messages.js';
import type { Effects } from './effects.js';
import type { CoreParts } from './parts.js';
import { drop } from './report.js';
import type { PendingStream } from './streams.js';

/** Serves one inbound stream message from `from` (see `Core.handleStream`); the reply, if any. */
export function serveStream(p: CoreParts, now: number, from: string, request: StreamMessage, fx: Effects): StreamMessage | undefined {
  p.isolation.heard(now, fx, from); // a peer reached us over a stream: we are not cut off
  switch (request.type) {
    case 'push-pull':
      return p.pushPull.handleRequest(now, fx, request);
    case 'digest-request':
      return p.pushPull.digest.handleRequest(fx, request);
    case 'digest-entries':
      return p.pushPull.digest.handleEntries(now, fx, request);
    case 'ping':
      return p.responder.handleStreamPing(fx, from, request);
    case 'user':
      fx.emit({ type: 'message', from: p.table.senderAt(from, p.config.name), address: from, payload: request.payload });
      return undefined;
    default:
      drop(fx, 'unexpected-type', { from, type: request.type }, 'unexpected stream message');
      return undefined;
  }
}

/** Hands the outcome of our stream exchange `pending` to the part that started it (see `Core.handleStreamResult`). */
export function routeStreamResult(p: CoreParts, now: number, pending: PendingStream, result: StreamMessage | Error, fx: Effects): void {
  if (!(result instanceof Error)) p.isolation.heard(now, fx);
  if (pending.kind === 'ping') p.probe.onFallbackResult(now, fx, pending.seqNo, result);
  else if (pending.kind === 'reconnect') p.pushPull.onReconnectResult(now, fx, pending.address, pending.followUp, result);
  else if (pending.kind === 'digest') p.pushPull.digest.onResult(now, fx, pending, result);
  else if (pending.kind === 'digest-entries') p.pushPull.digest.onEntriesSent(fx, result);
  else p.pushPull.onResult(now, fx, result, pending.comeback);
}
