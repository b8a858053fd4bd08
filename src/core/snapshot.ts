/**
 * Frozen `MemberSnapshot`s, built lazily from member entries and cached until the entry changes.
 *
 * Snapshots are only made when an event is emitted or the host asks (`members()`, `member()`),
 * never per packet: the simulator runs thousands of cores and most gossip changes nothing.
 * @module
 */
import { decode } from '@msgpack/msgpack';
import { bytesToIp } from '../address.js';
import type { MemberSnapshot, MemberVersions } from '../events.js';
import type { MemberEntry } from './members.js';

/** serf's tag marker: metadata `0xFF` + msgpack map of str → str (reference §9). */
const TAGS_MARKER = 0xff;

/**
 * Decodes serf-style tags: `0xFF` followed by a msgpack map whose keys and values are all
 * strings. Anything else (other metadata, a broken map, a non-string value) gives `undefined`.
 */
export function decodeTags(meta: Uint8Array): Readonly<Record<string, string>> | undefined {
  if (meta.length < 2 || meta[0] !== TAGS_MARKER) return undefined;
  let value: unknown;
  try {
    value = decode(meta.subarray(1), { maxStrLength: meta.length, maxMapLength: meta.length, maxArrayLength: 0, maxBinLength: 0, maxExtLength: 0 });
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return Object.freeze(out);
}

/** The six `Vsn` bytes as named fields (missing bytes read as 0). */
export function versionsOf(vsn: Uint8Array): MemberVersions {
  return Object.freeze({
    protocolMin: vsn[0] ?? 0,
    protocolMax: vsn[1] ?? 0,
    protocolCurrent: vsn[2] ?? 0,
    delegateMin: vsn[3] ?? 0,
    delegateMax: vsn[4] ?? 0,
    delegateCurrent: vsn[5] ?? 0,
  });
}

/** The entry's snapshot: the cached one if the entry has not changed since, else a new frozen one. */
export function snapshotOf(entry: MemberEntry): MemberSnapshot {
  if (entry.snapshot !== undefined) return entry.snapshot;
  const snap: MemberSnapshot = Object.freeze({
    name: entry.name,
    address: entry.address,
    host: bytesToIp(entry.addr) ?? '',
    port: entry.port,
    state: entry.state,
    incarnation: entry.incarnation,
    // A copy: the snapshot is the host's to keep and must not alias protocol state.
    metadata: entry.meta.slice(),
    tags: decodeTags(entry.meta),
    versions: versionsOf(entry.vsn),
  });
  entry.snapshot = snap;
  return snap;
}
