/**
 * Which owner a timer belongs to: each timer type is answered (stale or not) and run by the part
 * that scheduled it (`parts.ts`), so the core's entry points only route.
 * @module
 */
import type { Effects } from './effects.js';
import type { CoreParts } from './parts.js';
import type { Timer } from './timers.js';

/**
 * True when `timer` would do nothing if it fired now: the state it was armed for moved on. Asked
 * of the family that made the timer; `false` means "not known stale".
 */
export function timerIsStale(p: CoreParts, timer: Timer): boolean {
  switch (timer.type) {
    case 'probe-tick':
    case 'probe-timeout':
    case 'probe-end':
      return p.probe.isStale(timer);
    case 'relay-timeout':
      return p.responder.isStale(timer);
    case 'suspicion-timeout':
      return p.membership.isStale(timer);
    case 'gossip-tick':
      return p.gossip.isStale(timer);
    case 'push-pull-tick':
      return p.pushPull.isStale(timer);
    case 'reconnect-tick':
      return p.reconnect.isStale(timer);
  }
}

/** Runs a due timer in the owner that scheduled it. */
export function runTimer(p: CoreParts, now: number, fx: Effects, timer: Timer): void {
  switch (timer.type) {
    case 'probe-tick':
      return p.probe.onTick(now, fx, timer);
    case 'probe-timeout':
      return p.probe.onTimeout(now, fx, timer);
    case 'probe-end':
      return p.probe.onEnd(now, fx, timer);
    case 'relay-timeout':
      return p.responder.onRelayTimeout(now, fx, timer);
    case 'suspicion-timeout':
      return p.membership.onSuspicionTimeout(now, fx, timer);
    case 'gossip-tick':
      return p.gossip.onTick(now, fx, timer);
    case 'push-pull-tick':
      return p.pushPull.onTick(now, fx, timer);
    case 'reconnect-tick':
      return p.reconnect.onTick(now, fx, timer);
  }
}
