/**
 * Frozen `MemberSnapshot`s, built lazily from member entries and cached until the entry changes.
 *
 * Snapshots are only made when an event is emitted or the host asks (`members()`, `member()`),
 * never per packet: the simulator runs thousands of cores and most gossip changes nothing.
 * @module
 */
import { bytesToIp } from '../address.js';
import type { MemberSnapshot, MemberVersions } from '../events.js';
import { protocolMax, protocolMin } from '../wire/capabilities.js';
import { decodeTags } from '../wire/tags.js';
import type { MemberEntry } from './members.js';

export { decodeTags };

/** The six `Vsn` bytes as named fields (missing bytes read as 0). */
export function versionsOf(vsn: Uint8Array): MemberVersions {
  return Object.freeze({
    protocolMin: protocolMin(vsn),
    protocolMax: protocolMax(vsn),
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
    rttMs: entry.rttMs,
  });
  entry.snapshot = snap;
  return snap;
}
