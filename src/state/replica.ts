/**
 * One member's key/value state as a node holds it: the owner's own copy or a peer's replica.
 *
 * Every change the owner makes takes the next version of its monotonic counter; a key keeps only
 * its latest version. So "everything after version v" is the set of keys whose version is above v,
 * and a prefix of that set in version order is itself a consistent state (chitchat's deltas).
 * Pure: no clock, no I/O.
 * @module
 */

/** A value as written: strings read back as strings, bytes as bytes. */
export type StateValue = string | Uint8Array;

/** One key's latest change. `value` undefined = a tombstone (the key was deleted). */
export interface KeyRecord {
  readonly value: StateValue | undefined;
  readonly version: number;
  /** Local time the tombstone was recorded, for its grace period (tombstones only). */
  readonly deletedAt: number;
}

/** One key's change as carried by a delta. */
export interface DeltaEntry {
  readonly key: string;
  readonly version: number;
  /** Undefined = deleted. */
  readonly value: StateValue | undefined;
}

/** One observed change of a key, for the `state` event. */
export interface KeyChange {
  readonly key: string;
  readonly value: StateValue | undefined;
  readonly previous: StateValue | undefined;
  readonly version: number;
}

/** UTF-8 length of a string without allocating for ASCII. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Bytes a value occupies on the wire (and against the per-node budget). */
export function valueLength(v: StateValue | undefined): number {
  return v === undefined ? 0 : typeof v === 'string' ? utf8Length(v) : v.length;
}

/**
 * What one key costs against the per-node budget: key, value and a fixed 16 bytes for its version
 * and framing. Tombstones cost their key too, so deleting many distinct keys cannot grow memory
 * past the budget: the owner collects its oldest tombstones early instead.
 */
export function recordCost(key: string, value: StateValue | undefined): number {
  return utf8Length(key) + valueLength(value) + 16;
}

/** Two values are the same when both are absent, equal strings, or byte-equal arrays of the same kind. */
export function sameValue(a: StateValue | undefined, b: StateValue | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || typeof a === 'string' || typeof b === 'string') return false;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A member's keys at one generation, up to `version`. */
export class Replica {
  private readonly keys = new Map<string, KeyRecord>();
  private costBytes = 0;
  private tombBytes = 0;
  private tombCount = 0;
  /** Highest version whose change this replica reflects. */
  version = 0;
  /**
   * Highest version of a collected tombstone (owner), or of a tombstone collected here. A peer
   * behind it cannot learn those deletes from a delta and needs a reset.
   */
  gcFloor = 0;

  constructor(readonly generation: number) {}

  /** The record of `key`, tombstones included. */
  record(key: string): KeyRecord | undefined {
    return this.keys.get(key);
  }

  /** The live value of `key`. */
  get(key: string): StateValue | undefined {
    return this.keys.get(key)?.value;
  }

  /** Removes `key`'s record outright (no tombstone): for a record known to be stale. */
  forget(key: string): void {
    const old = this.keys.get(key);
    if (old === undefined) return;
    this.costBytes -= recordCost(key, old.value);
    if (old.value === undefined) {
      this.tombBytes -= recordCost(key, undefined);
      this.tombCount--;
    }
    this.keys.delete(key);
  }

  /** Every record, tombstones included, in insertion order. */
  records(): IterableIterator<[string, KeyRecord]> {
    return this.keys.entries();
  }

  /** Live keys and values, in insertion order. */
  *live(): IterableIterator<[string, StateValue]> {
    for (const [k, r] of this.keys) if (r.value !== undefined) yield [k, r.value];
  }

  /** Number of records, tombstones included. */
  get size(): number {
    return this.keys.size;
  }

  /** Number of tombstones held (deletes not yet collected). */
  get tombstones(): number {
    return this.tombCount;
  }

  /** Budgeted bytes held (keys, values, tombstones). */
  get bytes(): number {
    return this.costBytes;
  }

  /** Cost of the whole replica if `key` held `value` instead. */
  costWith(key: string, value: StateValue | undefined): number {
    const old = this.keys.get(key);
    return this.costBytes - (old ? recordCost(key, old.value) : 0) + recordCost(key, value);
  }

  /** Cost of the live keys alone if `key` held `value`: what a write must fit once every tombstone is collected. */
  liveCostWith(key: string, value: StateValue): number {
    const old = this.keys.get(key);
    const oldTomb = old !== undefined && old.value === undefined ? recordCost(key, undefined) : 0;
    return this.costWith(key, value) - (this.tombBytes - oldTomb);
  }

  /** Stores one change (the caller checked its version is newer). Returns the previous live value. */
  put(key: string, value: StateValue | undefined, version: number, now: number): StateValue | undefined {
    const old = this.keys.get(key);
    if (old) {
      this.costBytes -= recordCost(key, old.value);
      if (old.value === undefined) {
        this.tombBytes -= recordCost(key, undefined);
        this.tombCount--;
      }
    }
    this.costBytes += recordCost(key, value);
    if (value === undefined) {
      this.tombBytes += recordCost(key, undefined);
      this.tombCount++;
    }
    // Re-insert so iteration order stays close to version order (cheap delta scans).
    this.keys.delete(key);
    this.keys.set(key, { value, version, deletedAt: value === undefined ? now : 0 });
    if (version > this.version) this.version = version;
    return old?.value;
  }

  /**
   * Changes above `since`, oldest first, as many as fit `budget` bytes (each entry costs
   * {@link recordCost}); at least one when any exists. `upTo` is the last version included: every
   * change in (since, upTo] is in `entries`, so a receiver may advance to `upTo`.
   */
  changesSince(since: number, budget: number): { entries: DeltaEntry[]; upTo: number } {
    const out: DeltaEntry[] = [];
    for (const [key, r] of this.keys) if (r.version > since) out.push({ key, version: r.version, value: r.value });
    out.sort((a, b) => a.version - b.version);
    let used = 0;
    let n = 0;
    for (; n < out.length; n++) {
      const c = recordCost(out[n]!.key, out[n]!.value);
      if (n > 0 && used + c > budget) break;
      used += c;
    }
    const entries = out.slice(0, n);
    const upTo = n === out.length ? this.version : entries[n - 1]!.version;
    return { entries, upTo };
  }

  /**
   * Drops tombstones recorded before `olderThan`, and the oldest ones while the replica is over
   * `maxBytes`; raises `gcFloor` to the highest version dropped. Returns how many were dropped.
   */
  collect(olderThan: number, maxBytes: number): number {
    // Most replicas hold no tombstone: skip the scan (every node runs this every sync interval).
    if (this.tombBytes === 0) return 0;
    let dropped = 0;
    const tombs: [string, KeyRecord][] = [];
    for (const e of this.keys) if (e[1].value === undefined) tombs.push(e);
    tombs.sort((a, b) => a[1].version - b[1].version);
    for (const [key, r] of tombs) {
      if (r.deletedAt >= olderThan && this.costBytes <= maxBytes) break;
      this.keys.delete(key);
      this.costBytes -= recordCost(key, undefined);
      this.tombBytes -= recordCost(key, undefined);
      this.tombCount--;
      if (r.version > this.gcFloor) this.gcFloor = r.version;
      dropped++;
    }
    return dropped;
  }
}
