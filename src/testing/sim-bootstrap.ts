/**
 * The simulator's converged bootstrap: the state a cluster settles into after a join storm,
 * reached without simulating the storm (for steady-state measurements at large N, where 1,000
 * staggered joins take minutes of wall time).
 * @module
 */
import type { NodeInternals } from '../runtime/node-runtime.js';
import { NodeStateNumber, type PushNodeState, type PushPullMessage } from '../wire/messages.js';

/**
 * Gives every node what the protocol itself would have produced:
 * 1. Membership: one push/pull message listing every node's own entry, exactly as that node
 *    would send it (from its own `localState`), merged by each node's core through its driver —
 *    the call a join makes with the seed's reply. So every core inserts the members at random
 *    probe-order positions, creates their entries and queues one alive re-broadcast per member.
 * 2. Gossip drained: each core's membership broadcast queue is emptied, as if every message had
 *    been sent its `retransmitLimit` times — where a real cluster is once gossip has finished.
 *
 * Not reproduced: the join traffic, health-score bumps from probes lost in the storm. Timers are
 * untouched: each node keeps the random probe, gossip and push/pull staggers it got at start.
 *
 * A core that knows only itself takes the table through `Core.adoptConverged`, which reaches the
 * merge's end state without making the N alive broadcasts and N `join` snapshots the merge would
 * (the simulator mutes those events anyway; a listener on the node itself no longer hears them).
 * `viaMerge` forces the merge, for the test that the two agree.
 */
export function convergeNodes(nodes: readonly (NodeInternals & { readonly name: string })[], viaMerge = false): void {
  const entries: PushNodeState[] = [];
  for (const { name, core } of nodes) {
    const self = core.localState(false).nodes.find((e) => e.name === name);
    if (self === undefined || self.state !== NodeStateNumber.alive) throw new Error(`node ${name} is not alive in its own table`);
    entries.push(self);
  }
  const message: PushPullMessage = { type: 'push-pull', join: false, nodes: entries, userState: new Uint8Array(0) };
  for (const { driver, core } of nodes) {
    const err = driver.step((now, fx) => (!viaMerge && core.adoptConverged(now, entries, fx) ? undefined : core.mergeRemoteState(now, message, fx)));
    if (err !== undefined) throw err;
    core.settleGossip();
  }
}
