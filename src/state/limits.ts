/**
 * Limits and timing of the cluster state, with defaults a host can raise.
 * @module
 */

/** Limits and intervals of the cluster state layer (`HearsayOptions.state`). */
export interface StateOptions {
  /** Longest key, UTF-8 bytes. Default 128. */
  readonly maxKeyBytes?: number;
  /** Longest value, bytes (UTF-8 for strings). Default 4,096. */
  readonly maxValueBytes?: number;
  /**
   * Most bytes one node's keys may hold: per key its key, value and 16 bytes; tombstones count
   * their key. Default 65,536. A peer whose state exceeds it is not trusted: its delta is dropped.
   */
  readonly maxNodeBytes?: number;
  /** Anti-entropy interval: one digest exchange with one random capable peer, ms. Default 1,000. */
  readonly syncIntervalMs?: number;
  /** How often fresh changes are pushed to random capable peers, ms. Default 200 (memberlist's gossip interval). */
  readonly gossipIntervalMs?: number;
  /** Peers a fresh change is pushed to per gossip round. Default 3. */
  readonly gossipNodes?: number;
  /** How long a tombstone (a deleted key) is kept so every peer learns the delete, ms. Default 300,000. */
  readonly tombstoneGraceMs?: number;
  /** How long published events stay in every node's recent buffer, offered by anti-entropy to peers that missed them, ms. Default 30,000. */
  readonly eventWindowMs?: number;
}

/** {@link StateOptions} with every default filled in. */
export type ResolvedStateOptions = Required<StateOptions>;

/** Defaults of {@link StateOptions}. */
export const STATE_DEFAULTS: ResolvedStateOptions = {
  maxKeyBytes: 128,
  maxValueBytes: 4096,
  maxNodeBytes: 65_536,
  syncIntervalMs: 1000,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  tombstoneGraceMs: 300_000,
  eventWindowMs: 30_000,
};

/**
 * Fills defaults and checks each field; returns the error text for the first bad one as
 * `[field, rule]`, so the options layer can throw its `InvalidOptionsError`.
 */
export function resolveStateOptions(o: StateOptions | undefined): ResolvedStateOptions | [string, string] {
  if (o === undefined) return STATE_DEFAULTS;
  if (typeof o !== 'object' || o === null) return ['state', 'must be an object'];
  const out: Record<string, number> = { ...STATE_DEFAULTS };
  for (const [k, v] of Object.entries(o)) {
    if (!(k in STATE_DEFAULTS)) return [`state.${k}`, `unknown; known: ${Object.keys(STATE_DEFAULTS).join(', ')}`];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) return [`state.${k}`, 'must be a positive integer'];
    out[k] = v;
  }
  if (out['maxKeyBytes']! + out['maxValueBytes']! + 16 > out['maxNodeBytes']!) return ['state.maxNodeBytes', 'must hold at least one key of maxKeyBytes with a value of maxValueBytes (+16)'];
  return out as unknown as ResolvedStateOptions;
}
