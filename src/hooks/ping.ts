/**
 * The ping hook: a payload on our acks, and the round trip of every direct probe we complete.
 * @module
 */
import { InvalidOptionsError } from '../errors.js';
import type { MemberSnapshot } from '../events.js';

/** One completed direct probe, as memberlist's `PingDelegate.NotifyPingComplete(other, rtt, payload)` reports it. */
export interface ProbeResult {
  /** The member that answered, as it was when its ack arrived (its `rttMs` already includes this sample). */
  readonly member: MemberSnapshot;
  /** Round trip of this probe, ms: from sending the ping to reading the ack, on the node's monotonic clock. */
  readonly rttMs: number;
  /** The ack's payload (the peer's `AckPayload()`); empty when it sent none. */
  readonly payload: Uint8Array;
}

/**
 * Ping hooks — memberlist's `PingDelegate`. Both optional.
 *
 * Runs on the node's own event loop, synchronously, between protocol steps; keep them quick.
 */
export interface PingHook {
  /**
   * Bytes to put in the ack of each ping we answer over UDP (memberlist `AckPayload()`; serf sends
   * its network coordinate). Called once per datagram carrying a ping. Acks we relay for indirect
   * probes and acks over the TCP fallback carry no payload, as in memberlist.
   *
   * Without this hook our acks carry none (Go's nil), which is what serf expects from a node that
   * is not a serf agent: serf's ping delegate ignores an empty payload and logs an error for any
   * other that is not its own coordinate format. A throw, a value that is not a `Uint8Array`, or
   * one that cannot fit one packet with the ack (`packetBudgetBytes` minus the label and encryption
   * overhead minus 32 bytes of ack framing) is counted (`hearsay_hook_failures_total{hook}`),
   * logged at warn, and the ack goes out with no payload.
   */
  ackPayload?(): Uint8Array;
  /**
   * Called for every direct probe completed (memberlist `NotifyPingComplete`): an ack for our ping
   * within `probeTimeoutMs`, as memberlist reports only those. Acks that arrive through relays or
   * the TCP fallback, or after the indirect phase began, are not reported and do not feed `rttMs`.
   * Delivered in order with the member events. A throw is counted and logged at warn.
   */
  onProbe?(result: ProbeResult): void;
}

/**
 * Checks the `ping` option's shape.
 * @throws {InvalidOptionsError} naming `ping`, `ping.ackPayload` or `ping.onProbe`.
 */
export function checkPingHook(value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'object' || value === null) throw new InvalidOptionsError('ping', 'must be an object { ackPayload?(), onProbe?(result) }');
  const hook = value as Record<string, unknown>;
  for (const method of ['ackPayload', 'onProbe'] as const) {
    if (hook[method] !== undefined && typeof hook[method] !== 'function') throw new InvalidOptionsError(`ping.${method}`, 'must be a function when given');
  }
}
