/**
 * How the core reports what it did: dropped input, member events and the member gauges. Free
 * functions over the effects sink, so every family reports the same way.
 * @module
 */
import type { MemberState } from '../events.js';
import { METRIC } from '../observability.js';
import type { Effects } from './effects.js';
import type { MemberEntry, MemberTable } from './members.js';
import { snapshotOf } from './snapshot.js';

/** Counts and logs one dropped inbound message (bad input is data, never an exception). */
export function drop(fx: Effects, reason: string, fields: Readonly<Record<string, unknown>>, msg: string): void {
  fx.metric('increment', METRIC.packetsDropped, 1, { reason });
  fx.log('debug', fields, msg);
}

/** Emits a member event (never for ourselves, `selfName`) and the per-state member gauges. */
export function memberEvent(fx: Effects, members: MemberTable, selfName: string, type: 'join' | 'alive' | 'fail' | 'leave', entry: MemberEntry): void {
  if (entry.name === selfName) return;
  fx.emit({ type, member: snapshotOf(entry) });
  memberGauges(fx, members);
}

/** `hearsay_members{state}` gauges. */
export function memberGauges(fx: Effects, members: MemberTable): void {
  for (const state of STATES) fx.metric('gauge', METRIC.members, members.count(state), STATE_LABELS[state]);
}

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];
const STATE_LABELS: Readonly<Record<MemberState, Readonly<Record<string, string>>>> = {
  alive: { state: 'alive' },
  suspect: { state: 'suspect' },
  dead: { state: 'dead' },
  left: { state: 'left' },
};
