/**
 * The messages between the fuzz driver (which hosts the target cluster) and the attacker child
 * process, over Node's IPC channel. Datagrams are paced: after each batch the attacker says how
 * many it has sent to each target and waits until the driver has seen them read, so the kernel
 * never drops a fuzz datagram and the drop counts can be checked exactly.
 * @module
 */

/**
 * How long after its stream deadline a node may take to hang up before a stream counts as never
 * reaped. Generous on purpose: this catches streams a node forgets, not slowness. A 41 MiB
 * compression bomb keeps the target's event loop busy for ~0.4 s, and a few of them in a row
 * delay every deadline by seconds.
 */
export const REAP_SLACK_MS = 15_000;

/** What the attacker is told at start (as JSON in `argv[2]`). */
export interface AttackConfig {
  readonly seed: number;
  readonly datagrams: number;
  readonly streams: number;
  /** `host:port` of each target node. */
  readonly targets: readonly string[];
  /** Real member names (the attacker must not disturb them). */
  readonly real: readonly string[];
  /** The cluster's key, base64. */
  readonly key: string;
  readonly label: string;
  readonly allowUnencrypted: boolean;
  readonly tcpTimeoutMs: number;
  /** Streams open at once. */
  readonly streamConcurrency: number;
  /** Send the crafted datagram set (bombs, nesting, headers) at the start and every this many datagrams. */
  readonly craftedEvery: number;
  /**
   * Self-check of the judge: after the datagrams, send one forged alive for a phantom, past the
   * harmlessness filter. The run must then fail with a changed member table.
   */
  readonly canary: boolean;
}

/** Attacker → driver. */
export type AttackerMessage =
  | { readonly type: 'ready'; readonly udp: string }
  /** Cumulative datagrams sent to each target so far; the driver answers `read` once they have arrived. */
  | { readonly type: 'sent'; readonly perTarget: readonly number[] }
  | { readonly type: 'done'; readonly report: AttackReport };

/** Driver → attacker. */
export type DriverMessage = { readonly type: 'read'; readonly perTarget: readonly number[] };

/** How one kind of fuzz stream ended. */
export interface StreamKindReport {
  count: number;
  /** The node hung up (FIN or reset) within its deadline plus {@link REAP_SLACK_MS}. */
  closedByNode: number;
  /** Still open when we gave up: the node failed to reap it. */
  notClosed: number;
  /** Could not connect at all. */
  connectFailed: number;
  /** The first message the node wrote back, by type (`none` when nothing complete arrived). */
  readonly replies: Record<string, number>;
  /** Hang-up times, ms after connecting: median, 99th percentile and slowest. */
  closeMs: { p50: number; p99: number; max: number };
}

/** What the attacker did. */
export interface AttackReport {
  readonly datagrams: {
    sent: number;
    bytes: number;
    /** By generator: noise, hostile (mutated plain datagrams), structured (by mutated layer), crafted. */
    readonly byKind: Record<string, number>;
    /** Generated, found harmful by the decoder check (would add a phantom, accuse a member…), and replaced. */
    rejectedAsHarmful: number;
    /** Drops per reason the wire decoder reports for exactly the bytes sent (summed over targets). */
    readonly expectedDrops: Record<string, number>;
    /** Datagrams the driver never saw arrive (lost in the kernel or never read). */
    lost: number;
  };
  readonly streams: {
    total: number;
    rejectedAsHarmful: number;
    readonly byKind: Record<string, StreamKindReport>;
  };
  elapsedMs: number;
}
