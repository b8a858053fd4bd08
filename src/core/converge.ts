/**
 * The converged start's fast path (`hearsay/testing`'s `bootstrapConverged`): a core that knows
 * only itself takes a whole cluster's table, of members it has never heard of, all alive.
 *
 * The end state is the one merging that table as a push/pull (`mergeRemoteState`, the join path)
 * and then emptying the gossip queue (`settleGossip`) reaches: the same entries with the same
 * fields (interned alike), each inserted by one `MemberTable.add` in the table's order (so the
 * same random probe-order positions, drawn from the same generator), `stateChangeAt` = now,
 * "heard from" noted for isolation, and the gossip ticker resumed as the queued alives would have
 * resumed it. Left out is only what the merge would make and then throw away: one encoded alive
 * broadcast per member (emptied by `settleGossip`) and one member snapshot per member for `join`
 * events — 10⁸ of each for 10,000 simulated nodes, most of the converged start's time.
 * `test/core/converge.test.ts` checks the two paths give the same tables and the same run after.
 * @module
 */
import { bytesEqual, bytesToHostPort } from '../address.js';
import { protocolRangeValid } from '../wire/capabilities.js';
import { NodeStateNumber, type PushNodeState } from '../wire/messages.js';
import type { CoreConfig } from './config.js';
import type { Effects } from './effects.js';
import type { GossipTicker } from './gossip.js';
import { internAddr, internMeta, internString, internVsn } from './intern.js';
import type { Isolation } from './isolation.js';
import { memberEntry, type MemberEntry, type MemberTable } from './members.js';
import { verifyProtocol } from './push-pull.js';
import type { Random } from './random.js';
import { memberGauges } from './report.js';

/** What the fast path touches. */
export interface ConvergeDeps {
  readonly config: CoreConfig;
  readonly random: Random;
  readonly members: MemberTable;
  readonly isolation: Isolation;
  readonly gossip: GossipTicker;
}

const EMPTY = new Uint8Array(0);

/**
 * Adopts `nodes` (a converged cluster's push/pull entries, ours among them) if the fast path
 * applies: we know only ourselves, no admission hook is set, our own entry in `nodes` is exactly
 * ours, every entry is alive, named once, with a valid version range and an IP address, and the
 * versions pass memberlist's `verifyProtocol`. Returns false, having changed nothing, otherwise
 * (the caller then merges).
 */
export function adoptConverged(d: ConvergeDeps, now: number, nodes: readonly PushNodeState[], fx: Effects): boolean {
  const { config, members } = d;
  if (members.size !== 1 || config.admit !== undefined) return false;
  const self = members.get(config.name);
  const fields = prepared(nodes);
  if (self === undefined || fields === undefined) return false;
  for (const r of nodes) if (r.name === config.name && !isOurs(self, r)) return false;
  if (verifyProtocol(members, nodes) !== undefined) return false;

  d.isolation.heard(now, fx);
  let added = 0;
  for (let i = 0; i < nodes.length; i++) {
    const r = nodes[i]!;
    if (r.name === config.name) continue;
    const f = fields[i]!;
    // As `Membership.alive` builds a new member's entry and then applies its alive (the record is
    // the shared one that alive's change reaches, member-record.ts).
    const entry = memberEntry(
      { name: r.name, addr: f.addr, port: r.port, address: f.address, meta: f.meta, vsn: f.vsn, features: r.features, incarnation: r.incarnation, state: 'alive' },
      now,
    );
    members.add(entry, d.random);
    added++;
  }
  memberGauges(fx, members);
  // The merge's alives would have sat in the queue at the step's end, waking a parked ticker.
  if (added > 0) d.gossip.resumeIfParked(now, fx, true);
  return true;
}

/** A member's interned fields, as `Membership.alive` interns them. */
interface Interned {
  readonly addr: Uint8Array;
  readonly address: string;
  readonly meta: Uint8Array;
  readonly vsn: Uint8Array;
}

/**
 * Every core of a converged start gets the same table: check it and intern its fields once, not
 * once per core (the values are the process-wide interned ones either way). `undefined` when an
 * entry is not alive, unnamed, named twice, has an invalid version range or no IP address.
 */
const preparedTables = new WeakMap<readonly PushNodeState[], readonly Interned[] | null>();
function prepared(nodes: readonly PushNodeState[]): readonly Interned[] | undefined {
  let fields = preparedTables.get(nodes);
  if (fields === undefined) {
    fields = intern(nodes);
    preparedTables.set(nodes, fields);
  }
  return fields ?? undefined;
}

function intern(nodes: readonly PushNodeState[]): readonly Interned[] | null {
  const seen = new Set<string>();
  const out: Interned[] = [];
  for (const r of nodes) {
    const address = bytesToHostPort(r.addr, r.port);
    if (r.state !== NodeStateNumber.alive || r.name.length === 0 || seen.has(r.name) || !protocolRangeValid(r.vsn) || address === undefined) return null;
    seen.add(r.name);
    out.push({ addr: internAddr(r.addr), address: internString(address), meta: internMeta(r.meta ?? EMPTY), vsn: internVsn(r.vsn) });
  }
  return out;
}

/** Whether a push/pull entry is exactly our own entry (the merge skips it). */
function isOurs(self: MemberEntry, r: PushNodeState): boolean {
  return (
    r.incarnation === self.incarnation &&
    r.state === NodeStateNumber.alive &&
    self.state === 'alive' &&
    r.port === self.port &&
    bytesEqual(self.addr, r.addr) &&
    bytesEqual(self.meta, r.meta) &&
    bytesEqual(self.vsn, r.vsn)
  );
}
