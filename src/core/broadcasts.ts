/**
 * The transmit-limited broadcast queue (memberlist `TransmitLimitedQueue`, reference §6).
 *
 * SWIM §4 disseminates membership changes by piggybacking them on protocol traffic; each message
 * is sent `retransmitLimit` times (enough, with high probability, to reach everyone in
 * O(log n) rounds) and then dropped.
 * @module
 */

/**
 * Transmits per message: `mult × ⌈log10(n + 1)⌉` (memberlist `retransmitLimit`).
 * LAN (mult 4): n = 1…9 → 4, n = 10…99 → 8, n = 100…999 → 12.
 * @param n estimated cluster size (every table entry).
 */
export function retransmitLimit(mult: number, n: number): number {
  const nodeScale = Math.ceil(Math.log10(n + 1));
  return mult * nodeScale;
}

/** A broadcast that finished (sent `limit` times, or replaced) and had a completion id. */
export interface FinishedBroadcast {
  /** The completion id the caller gave `Core.leave()` / `Core.setMetadata()`. */
  readonly id: number;
  /** How many times it was actually sent. */
  readonly transmits: number;
}

/** One queued message. */
interface Entry {
  /** Insertion order: larger is newer. */
  readonly seq: number;
  /** Named broadcasts replace each other by name; `undefined` for unnamed (user) broadcasts. */
  readonly name: string | undefined;
  /** The encoded message (type byte + body, or `08` + user bytes). */
  readonly bytes: Uint8Array;
  transmits: number;
  readonly completionId: number | undefined;
}

/**
 * Orders a tier the way Go's btree does: longest first, then newest first. Returns true when `a`
 * sorts before `b`.
 */
function before(a: Entry, b: Entry): boolean {
  if (a.bytes.length !== b.bytes.length) return a.bytes.length > b.bytes.length;
  return a.seq > b.seq;
}

/**
 * Messages waiting to be piggybacked, grouped in tiers by how often they were sent.
 *
 * Selection per packet (memberlist ≥ 0.3 `GetBroadcasts`): visit tiers from the fewest transmits
 * up; in a tier take the largest message that still fits (ties: newest first), and repeat until
 * nothing fits. Each message taken has its count raised by one; once that reaches the limit it
 * is dropped (and reported in {@link finished} if it carried a completion id).
 *
 * Invariants: at most one entry per name; at most `maxUnnamed` unnamed entries (the oldest is
 * dropped beyond that); each tier array is sorted by {@link before}.
 */
export class TransmitLimitedQueue {
  /** `tiers[t]`: entries sent `t` times so far. */
  private readonly tiers: Entry[][] = [];
  private readonly byName = new Map<string, Entry>();
  /** Unnamed entries in insertion order, for dropping the oldest beyond the cap. */
  private readonly unnamed = new Set<Entry>();
  private count = 0;
  private seq = 0;
  /** Completions since the caller last drained this array (the core turns them into `broadcast-done`). */
  readonly finished: FinishedBroadcast[] = [];

  /**
   * @param retransmitMult `retransmitMult` from the options.
   * @param maxUnnamed cap on unnamed entries; the oldest is dropped beyond it (reported in
   *   {@link finished} if it carried a completion id, so no waiter hangs on it).
   */
  constructor(
    readonly retransmitMult: number,
    readonly maxUnnamed = Number.POSITIVE_INFINITY,
  ) {}

  /** Messages currently queued. */
  get size(): number {
    return this.count;
  }

  /**
   * Queues `bytes`. A named message replaces any queued message with the same name, whatever its
   * type (the replaced one counts as finished).
   * @param completionId reported in {@link finished} when this message is done.
   */
  queue(bytes: Uint8Array, name: string | undefined, completionId?: number): void {
    // The codec hands out views into shared 64 KiB slabs; a message that sits in the queue for a
    // while would pin its whole slab, so keep an exact-size copy instead.
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength) bytes = bytes.slice();
    if (name !== undefined) {
      const old = this.byName.get(name);
      if (old !== undefined) {
        this.remove(old);
        this.finish(old);
      }
    }
    const entry: Entry = { seq: this.seq++, name, bytes, transmits: 0, completionId };
    this.insert(entry);
    if (name === undefined) {
      this.unnamed.add(entry);
      while (this.unnamed.size > this.maxUnnamed) {
        const oldest = this.unnamed.values().next().value as Entry;
        this.remove(oldest);
        this.finish(oldest);
      }
    }
  }

  /** True if a message named `name` is queued. */
  has(name: string): boolean {
    return this.byName.has(name);
  }

  /**
   * Empties the queue as if every message had now been sent `transmits` times: each one that
   * carried a completion id is reported in {@link finished}, in tier order.
   */
  settle(transmits: number): void {
    for (const tier of this.tiers) {
      for (const e of tier) if (e.completionId !== undefined) this.finished.push({ id: e.completionId, transmits });
      tier.length = 0;
    }
    this.byName.clear();
    this.unnamed.clear();
    this.count = 0;
  }

  /**
   * Takes the messages for one packet and appends them to `out`.
   * @param overhead bytes each message costs on top of its length (2 for a compound length entry).
   * @param limit bytes available for all selected messages including their overhead.
   * @param n estimated cluster size, for the retransmit limit.
   * @returns bytes used (Σ len + overhead).
   */
  take(overhead: number, limit: number, n: number, out: Uint8Array[]): number {
    if (this.count === 0) return 0;
    const transmitLimit = retransmitLimit(this.retransmitMult, n);
    let used = 0;
    let reinsert: Entry[] | undefined;
    for (let t = 0; t < this.tiers.length; ) {
      const free = limit - used - overhead;
      if (free <= 0) break;
      const tier = this.tiers[t];
      const idx = tier === undefined || tier.length === 0 ? -1 : firstFitting(tier, free);
      if (idx < 0) {
        t++;
        continue;
      }
      const keep = tier![idx]!;
      tier!.splice(idx, 1);
      used += overhead + keep.bytes.length;
      out.push(keep.bytes);
      if (keep.transmits + 1 >= transmitLimit) {
        this.drop(keep);
        keep.transmits++;
        this.finish(keep);
      } else {
        // Re-insert after the walk: it moves to a tier we have not visited yet.
        keep.transmits++;
        (reinsert ??= []).push(keep);
      }
    }
    if (reinsert !== undefined) for (const e of reinsert) this.insertIntoTier(e);
    return used;
  }

  private insert(entry: Entry): void {
    this.count++;
    if (entry.name !== undefined) this.byName.set(entry.name, entry);
    this.insertIntoTier(entry);
  }

  private insertIntoTier(entry: Entry): void {
    let tier = this.tiers[entry.transmits];
    if (tier === undefined) {
      while (this.tiers.length <= entry.transmits) this.tiers.push([]);
      tier = this.tiers[entry.transmits]!;
    }
    tier.splice(insertionPoint(tier, entry), 0, entry);
  }

  /** Removes an entry that is still in its tier. */
  private remove(entry: Entry): void {
    const tier = this.tiers[entry.transmits];
    if (tier !== undefined) {
      // Tiers are sorted by the unique key (length, seq), so the insertion point is its index.
      const at = insertionPoint(tier, entry);
      if (tier[at] === entry) tier.splice(at, 1);
    }
    this.drop(entry);
  }

  /** Forgets an entry's bookkeeping (the caller has taken it out of its tier). */
  private drop(entry: Entry): void {
    this.count--;
    if (entry.name !== undefined) {
      if (this.byName.get(entry.name) === entry) this.byName.delete(entry.name);
    } else {
      this.unnamed.delete(entry);
    }
  }

  private finish(entry: Entry): void {
    if (entry.completionId !== undefined) this.finished.push({ id: entry.completionId, transmits: entry.transmits });
  }
}

/** Index of the first entry in a sorted tier that `entry` does not sort after (binary search). */
function insertionPoint(tier: readonly Entry[], entry: Entry): number {
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(tier[mid]!, entry)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first entry in a (length-descending) tier whose length is ≤ `free`, or −1. */
function firstFitting(tier: readonly Entry[], free: number): number {
  let lo = 0;
  let hi = tier.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tier[mid]!.bytes.length > free) lo = mid + 1;
    else hi = mid;
  }
  return lo < tier.length ? lo : -1;
}
