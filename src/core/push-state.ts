/**
 * Each member entry's push/pull entry with its kept encoding, shared by every entry that holds
 * the same state of the same member.
 *
 * A push/pull carries the whole table, so a sender keeps each entry's encoded map while the entry
 * is unchanged (wire/bodies.ts `EncodedPushNodeState`; +35 % simulator speed at N = 1,000). One
 * per entry cost about 180 bytes (the object and its bytes), as much as the rest of the entry.
 * The simulator holds N² entries but only about N distinct member states, so the kept encodings
 * are also shared through a table by member name: an entry whose own is stale takes the shared
 * one if it matches, else makes one and shares it. The fields match by value and by identity of
 * the interned arrays (intern.ts), so a shared encoding is byte for byte the one the entry would
 * make. The table is bounded like the intern tables.
 * @module
 */
import type { MemberState } from '../events.js';
import { EncodedPushNodeState } from '../wire/bodies.js';
import { NodeStateNumber, type NodeStateNumberValue } from '../wire/messages.js';
import { INTERN_LIMIT } from './intern.js';
import type { MemberEntry } from './members.js';

const STATE_NUMBER: Readonly<Record<MemberState, NodeStateNumberValue>> = {
  alive: NodeStateNumber.alive,
  suspect: NodeStateNumber.suspect,
  dead: NodeStateNumber.dead,
  left: NodeStateNumber.left,
};

/** The last push/pull entry made for each member name, across every core in the process. */
const shared = new Map<string, EncodedPushNodeState>();

function matches(s: EncodedPushNodeState, e: MemberEntry, state: NodeStateNumberValue): boolean {
  return s.incarnation === e.incarnation && s.state === state && s.addr === e.addr && s.port === e.port && s.meta === e.meta && s.vsn === e.vsn && s.features === (e.features || undefined);
}

/**
 * `e` as a push/pull entry: the one kept on the entry while every field still matches (checked
 * here, by value and array identity, rather than cleared by each writer of an entry), else the
 * shared one if it matches, else a new one, kept and shared. Entries change rarely, so a push/pull
 * mostly reuses encoded bytes.
 */
export function pushStateOf(e: MemberEntry): EncodedPushNodeState {
  const state = STATE_NUMBER[e.state];
  const kept = e.pushState;
  if (kept !== undefined && matches(kept, e, state)) return kept;
  let s = shared.get(e.name);
  if (s === undefined || !matches(s, e, state)) {
    s = new EncodedPushNodeState(e.name, e.addr, e.port, e.meta, e.incarnation, state, e.vsn, e.features || undefined);
    if (shared.size >= INTERN_LIMIT) shared.clear();
    shared.set(e.name, s);
  }
  e.pushState = s;
  return s;
}
