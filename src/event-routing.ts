/**
 * From core events to the host's: which public event each becomes, and what the logger hears.
 * The facade's only protocol-free translation layer (kept out of hearsay.ts).
 * @module
 */
import type { CoreEvent } from './core/effects.js';
import type { HearsayEvents } from './events.js';
import type { Logger } from './observability.js';
import type { SerfIntents } from './serf/intents.js';

/** Where routed events go: the node's emitter (guarded), its logger and its completion waiters. */
export interface EventSink {
  /** Emits one public event; a throwing listener must not reach protocol code. */
  deliver<K extends keyof HearsayEvents>(name: K, payload: Parameters<HearsayEvents[K]>[0]): void;
  readonly logger: Logger;
  /** A `leave()` / `setMetadata()` broadcast finished. */
  completed(id: number): void;
  /** `awarenessMaxMultiplier − 1`: the health score at which the node warns. */
  readonly healthCeiling: number;
  /** serf's intents adapter, with serf's delegate versions set: it witnesses serf's Lamport clock. */
  readonly serf?: Pick<SerfIntents, 'witnessState' | 'witnessMessage'> | undefined;
}

/**
 * Delivers one core event as the host sees it. Payloads are rebuilt field by field, so nothing
 * internal (the `type` tag) leaks into them. Logs follow one rule: `warn` only for what the host
 * must act on (an accusation of this node, health at its ceiling, a name conflict).
 */
export function routeCoreEvent(event: CoreEvent, sink: EventSink): void {
  const { logger } = sink;
  switch (event.type) {
    case 'broadcast-done':
      return sink.completed(event.id);
    case 'update':
      return sink.deliver('update', { member: event.member, previous: event.previous });
    case 'join':
    case 'alive':
    case 'fail':
    case 'leave':
      return sink.deliver(event.type, { member: event.member });
    case 'suspect':
      return sink.deliver('suspect', { member: event.member, accuser: event.accuser });
    case 'suspicion': {
      const { type: _type, ...view } = event;
      return sink.deliver('suspicion', view);
    }
    case 'conflict':
      // warn: two processes share a name and one of them is invisible until it is renamed.
      logger.warn({ name: event.existing.name, holder: event.existing.address, claimant: event.claimant.address }, 'two addresses claim one member name; the claimant is ignored: give one of them another name');
      return sink.deliver('conflict', { existing: event.existing, claimant: event.claimant });
    case 'merge-user-state':
      // The host's userState hook has had it (runtime/hooks.ts); serf's state carries its clock.
      if (sink.serf && !sink.serf.witnessState(event.state)) logger.debug({ bytes: event.state.length }, "push/pull user state is not serf's; ignored");
      return;
    case 'message':
      sink.serf?.witnessMessage(event.payload);
      return sink.deliver('message', { payload: event.payload, from: event.from, address: event.address });
    case 'self:health':
      logHealth(logger, event.score, event.previous, sink.healthCeiling);
      return sink.deliver('self:health', { score: event.score, previous: event.previous });
    case 'self:refute':
      logger.warn({ incarnation: event.incarnation, accuser: event.accuser }, 'refuted a suspicion of this node');
      return sink.deliver('self:refute', { incarnation: event.incarnation, accuser: event.accuser, accusation: event.accusation });
    case 'self:isolated':
      logger.info({ durationMs: event.durationMs }, 'cut off from the cluster and back: held suspicions are re-checked, not declared failed');
      return sink.deliver('self:isolated', { startedAt: event.startedAt, endedAt: event.endedAt, durationMs: event.durationMs });
  }
}

/**
 * Warns only at the ceiling, where probes wait their longest and the node should be looked at
 * (overloaded, or cut off); one failed probe raises the score by one, which is routine.
 */
function logHealth(logger: Logger, score: number, previous: number, ceiling: number): void {
  if (score > previous && score >= ceiling) logger.warn({ score, ceiling }, 'local health at its ceiling: this node is overloaded or cut off');
  else if (score > previous) logger.info({ score, ceiling }, 'local health degraded');
  else logger.debug({ score }, 'local health improved');
}
