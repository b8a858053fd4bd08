/**
 * Each member entry's push/pull entry with its kept encoding, shared with every entry that holds
 * the same member record.
 *
 * A push/pull carries the whole table, so a sender keeps each entry's encoded map while the entry
 * is unchanged (wire/bodies.ts `EncodedPushNodeState`; +35 % simulator speed at N = 1,000). One
 * per entry cost about 180 bytes (the object and its bytes), as much as the rest of the entry.
 * It is kept on the entry's immutable `MemberRecord` (member-record.ts) instead, made from the
 * record's fields on first use: a changed entry holds another record, so no writer has to clear
 * it, and the simulator's N cores, holding about N distinct records, encode each member's map
 * about once per state in the process.
 * @module
 */
import type { MemberState } from '../events.js';
import { EncodedPushNodeState } from '../wire/bodies.js';
import { NodeStateNumber, type NodeStateNumberValue } from '../wire/messages.js';
import type { MemberEntry } from './members.js';

const STATE_NUMBER: Readonly<Record<MemberState, NodeStateNumberValue>> = {
  alive: NodeStateNumber.alive,
  suspect: NodeStateNumber.suspect,
  dead: NodeStateNumber.dead,
  left: NodeStateNumber.left,
};

/**
 * `e` as a push/pull entry: its record's, made once per record. The same object for every entry
 * holding that record, so identity means "this member exactly as we hold it" (push-pull.ts
 * `isCurrent`). Entries change rarely, so a push/pull mostly reuses encoded bytes.
 */
export function pushStateOf(e: MemberEntry): EncodedPushNodeState {
  const r = e.record;
  return (r.push ??= new EncodedPushNodeState(r.name, r.addr, r.port, r.meta, r.incarnation, STATE_NUMBER[r.state], r.vsn, r.features || undefined));
}
