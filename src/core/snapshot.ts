/**
 * Frozen `MemberSnapshot`s, built from member entries when asked.
 *
 * Snapshots are only made when an event is emitted or the host asks (`members()`, `member()`),
 * never per packet: the simulator runs thousands of cores and most gossip changes nothing. They
 * are not kept on the entry: a snapshot with its metadata copy, tags and versions is several
 * hundred bytes, more than the entry itself, and one per member per node made up most of the
 * member table's heap (issue 12).
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

/** A new frozen snapshot of the entry as it is now. */
export function snapshotOf(entry: MemberEntry): MemberSnapshot {
  return Object.freeze({
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
}
