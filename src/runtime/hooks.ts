/**
 * The host's delegate hooks (`userState`, `ping`) as the driver calls them: guarded, so a hook
 * that throws or returns the wrong thing can neither break a protocol exchange nor crash the node.
 *
 * The core is pure and never calls host code, so the hooks sit at its edges (docs/architecture.md,
 * "Host hooks"): the driver asks for our user state just before a push/pull frame is written and
 * for the ack payload just before a datagram with a ping is stepped, passing the bytes in; the
 * core's `merge-user-state` and `probe` events come back out and are handed to the hooks in order
 * with the step's other events.
 * @module
 */
import type { CoreEvent } from '../core/effects.js';
import type { PingHook, ProbeResult } from '../hooks/ping.js';
import type { UserStateHook } from '../hooks/user-state.js';
import { METRIC, type Logger, type Metrics } from '../observability.js';
import type { StreamMessage } from '../wire/messages.js';

const EMPTY = new Uint8Array(0);

/** Bytes of an ack besides its payload, with room to spare: `02`, the map, both keys, the str header and the u32 (24). */
export const ACK_FRAMING_BYTES = 32;

/** What {@link HostHooks} needs. */
export interface HostHooksConfig {
  readonly userState: UserStateHook | undefined;
  readonly ping: PingHook | undefined;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Largest user state `local()` may return (`maxStreamBytes`: what a peer with our limits accepts). */
  readonly maxUserStateBytes: number;
  /** Largest ack payload: one ack must fit the packet budget (budget − label/encryption overhead − {@link ACK_FRAMING_BYTES}). */
  readonly maxAckPayloadBytes: number;
}

/** The hook names used as the `hook` label of `hearsay_hook_failures_total`: the option path of each method. */
export type HookName = 'userState.local' | 'userState.merge' | 'ping.ackPayload' | 'ping.onProbe';

/** One node's hooks, each call guarded. Without hooks every method is a cheap no-op. */
export class HostHooks {
  constructor(private readonly config: HostHooksConfig) {}

  /** True when the host gave `ping.ackPayload` (only then is it worth looking for pings in a datagram). */
  get hasAckPayload(): boolean {
    return this.config.ping?.ackPayload !== undefined;
  }

  /**
   * Our user state for a push/pull with this `join` flag (memberlist `LocalState(join)`): empty
   * without a hook, and empty after a failure (a throw, a non-`Uint8Array`, more than
   * `maxUserStateBytes`), which is counted and logged at warn.
   */
  localState(join: boolean): Uint8Array {
    const hook = this.config.userState;
    if (hook === undefined) return EMPTY;
    let value: unknown;
    try {
      value = hook.local(join);
    } catch (error) {
      return this.failed('userState.local', { err: error, join }, 'userState.local() threw; sending empty user state', EMPTY);
    }
    if (!(value instanceof Uint8Array)) {
      return this.failed('userState.local', { join, got: describe(value) }, 'userState.local() must return a Uint8Array; sending empty user state', EMPTY);
    }
    if (value.length > this.config.maxUserStateBytes) {
      const fields = { join, bytes: value.length, max: this.config.maxUserStateBytes };
      return this.failed('userState.local', fields, 'userState.local() returned more than maxStreamBytes; sending empty user state', EMPTY);
    }
    return value;
  }

  /** `message` with our user state filled in when it is a push/pull (its `join` flag picks the state); anything else as is. */
  withLocalState(message: StreamMessage): StreamMessage {
    if (message.type !== 'push-pull' || this.config.userState === undefined) return message;
    return { ...message, userState: this.localState(message.join) };
  }

  /** The payload for the acks of one datagram's pings (memberlist `AckPayload()`): `null` (Go's nil) after a failure. */
  ackPayload(): Uint8Array | null {
    const hook = this.config.ping;
    if (hook?.ackPayload === undefined) return null;
    let value: unknown;
    try {
      value = hook.ackPayload();
    } catch (error) {
      return this.failed('ping.ackPayload', { err: error }, 'ping.ackPayload() threw; acking with no payload', null);
    }
    if (!(value instanceof Uint8Array)) {
      return this.failed('ping.ackPayload', { got: describe(value) }, 'ping.ackPayload() must return a Uint8Array; acking with no payload', null);
    }
    if (value.length > this.config.maxAckPayloadBytes) {
      const fields = { bytes: value.length, max: this.config.maxAckPayloadBytes };
      return this.failed('ping.ackPayload', fields, 'ping.ackPayload() returned more than fits one packet with the ack; acking with no payload', null);
    }
    return value;
  }

  /**
   * Hands a hook-bound core event to its hook. @returns true if the event belonged to the hook
   * alone (`probe`: not a host event), false for every other event, `merge-user-state` included
   * (the facade also reads it: serf's push/pull state carries serf's Lamport clock).
   */
  handle(event: CoreEvent): boolean {
    if (event.type === 'merge-user-state') {
      this.merge(event.state, event.join);
      return false; // the facade reads it too: serf's push/pull state carries serf's Lamport clock
    }
    if (event.type === 'probe') {
      this.probe({ member: event.member, rttMs: event.rttMs, payload: event.payload });
      return true;
    }
    return false;
  }

  private merge(state: Uint8Array, join: boolean): void {
    const hook = this.config.userState;
    if (hook === undefined) return;
    try {
      hook.merge(state, join);
    } catch (error) {
      this.failed('userState.merge', { err: error, join, bytes: state.length }, 'userState.merge() threw; the exchange stands', undefined);
    }
  }

  private probe(result: ProbeResult): void {
    const onProbe = this.config.ping?.onProbe;
    if (onProbe === undefined) return;
    try {
      onProbe.call(this.config.ping, result);
    } catch (error) {
      this.failed('ping.onProbe', { err: error, member: result.member.name }, 'ping.onProbe() threw', undefined);
    }
  }

  /** Counts and warns about a misbehaving hook (the host must fix it), then returns `fallback`. */
  private failed<T>(hook: HookName, fields: Readonly<Record<string, unknown>>, msg: string, fallback: T): T {
    this.config.metrics.increment(METRIC.hookFailures, 1, { hook });
    this.config.logger.warn({ hook, ...fields }, msg);
    return fallback;
  }
}

/** A short description of a wrong return value for the log (never the value itself: it may be large). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
