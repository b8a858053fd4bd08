/**
 * What a `Core` is configured with, and the packet-size arithmetic every sender shares.
 * @module
 */
import type { ProtocolOptions } from '../options.js';
import type { AdmitFn } from './admission.js';

/** What a `Core` is configured with: the protocol options plus this node's identity. */
export interface CoreConfig extends ProtocolOptions {
  /** This node's unique name. */
  readonly name: string;
  /** Raw IP bytes (4 or 16) we advertise. Always sent in this one form (reference §7.3). */
  readonly advertiseAddr: Uint8Array;
  /** Port we advertise (UDP and TCP). */
  readonly advertisePort: number;
  /** Encoded metadata, ≤ 512 bytes (validated by the host layer). */
  readonly meta: Uint8Array;
  /** 6 bytes `[1, 5, protocolVersion, dmin, dmax, dcur]`. */
  readonly vsn: Uint8Array;
  /** memberlist protocol version spoken, 2…5. Features key on the *peer's* PMax (reference §4). */
  readonly protocolVersion: number;
  /**
   * Default ack payload for pings, used when the step brings none (`handlePacket`'s `ackPayload`,
   * which the driver takes from the host's ping hook); `null`/absent sends Go's nil.
   */
  readonly ackPayload?: Uint8Array | null;
  /**
   * Emit a `probe` event for every completed direct probe (the host's `ping.onProbe` hook is set).
   * Off by default: each event costs a member snapshot, and nobody would read it. The smoothed
   * RTT on member entries is kept either way. Default false.
   */
  readonly reportProbes?: boolean;
  /**
   * Bytes the driver adds to each datagram after the core has built it — label (2 + len) and
   * encryption (29 for version 1) — subtracted from `packetBudgetBytes` when sizing piggybacked
   * gossip, as memberlist does (reference §2.6). Default 0.
   */
  readonly packetOverheadBytes?: number;
  /**
   * The host's admission hook as a pure predicate (the runtime wraps it: `src/runtime/admission-hook.ts`):
   * `undefined` admits, a string vetoes. Absent: everyone is admitted.
   */
  readonly admit?: AdmitFn;
  /**
   * hearsay features this node announces in its own alive and push/pull entry (key `Hf`; bit 0:
   * cluster state v1, `src/state/`). Absent: the node announces none, exactly as memberlist.
   */
  readonly features?: number;
}

/** The `features` field of an alive about ourselves: present only when we announce some. */
export function ownFeatures(config: CoreConfig): { features?: number } {
  return config.features ? { features: config.features } : {};
}

/** Compound overhead per message (its u16 length entry) and for the header (type + count). */
export const COMPOUND_OVERHEAD = 2;

/** Piggyback budget per datagram, bytes: `packetBudgetBytes − packetOverheadBytes`. */
export function piggybackBudget(config: CoreConfig): number {
  return config.packetBudgetBytes - (config.packetOverheadBytes ?? 0);
}
