/**
 * What the serf adapter needs from the core: a user broadcast whose completion can be awaited
 * (serf's leave intent goes out before memberlist's leave), and push/pull user state handed up
 * after the merge (memberlist's `MergeRemoteState`).
 */
import { describe, expect, it } from 'vitest';
import { NodeStateNumber, type PushPullMessage } from '../../src/wire/messages.js';
import { TestNode, VSN, addr, ip, nodeWithPeers } from './helpers.js';

describe('broadcastUser with a completion id', () => {
  it('reports broadcast-done once the message has been sent its retransmit limit', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    for (let t = 0; t < 20; t++) a.gossip(t); // drain the alives
    const payload = Uint8Array.of(0, 1, 2);
    expect(a.step((c, fx) => c.broadcastUser(100, payload, fx, 41))).toBe(true);
    expect(a.eventsOf('broadcast-done')).toEqual([]);
    const sent = [];
    for (let t = 0; t < 10; t++) sent.push(...a.gossip(200 + t).flatMap((s) => s.messages));
    expect(sent.filter((m) => m.type === 'user')).toHaveLength(4); // n = 2: retransmitLimit(4, 2) = 4
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id: 41, transmits: 4 }]);
    // A payload refused as too large is never reported done: the caller learns it from the `false`.
    expect(a.step((c, fx) => c.broadcastUser(300, new Uint8Array(5000), fx, 43))).toBe(false);
    expect(a.eventsOf('broadcast-done').map((e) => e.id)).toEqual([41]);
  });

  it('reports it within the step when no other member is alive, and still queues the message', () => {
    const a = new TestNode('A', 1).start(0);
    expect(a.step((c, fx) => c.broadcastUser(100, Uint8Array.of(5), fx, 42))).toBe(true);
    expect(a.last.events).toEqual([{ type: 'broadcast-done', id: 42, transmits: 0 }]);
  });
});

describe('push/pull user state', () => {
  const remote = (userState: Uint8Array, join = false, vsn = VSN): PushPullMessage => ({
    type: 'push-pull',
    join,
    nodes: [{ name: 'B', addr: ip(2), port: 7946, meta: null, incarnation: 1, state: NodeStateNumber.alive, vsn }],
    userState,
  });

  it('is emitted as merge-user-state after a merge, with the join flag, on both sides of the exchange', () => {
    const a = new TestNode('A', 1).start(0);
    const state = Uint8Array.of(2, 0x80);
    a.step((c, fx) => c.handleStream(10, addr(2), remote(state, true), fx));
    expect(a.eventsOf('merge-user-state')).toEqual([{ type: 'merge-user-state', state, join: true }]);
    expect(a.core.member('B')?.state).toBe('alive');
    a.step((c, fx) => c.mergeRemoteState(20, remote(state, false), fx));
    expect(a.eventsOf('merge-user-state').map((e) => e.join)).toEqual([true, false]);
    // Not when empty (memberlist calls MergeRemoteState only with user state), nor when the
    // version check rejects the exchange (nothing is merged then).
    a.step((c, fx) => c.mergeRemoteState(30, remote(new Uint8Array(0)), fx));
    const incompatible = Uint8Array.of(1, 5, 2, 2, 5, 9);
    a.step((c, fx) => c.mergeRemoteState(40, remote(state, false, incompatible), fx));
    expect(a.eventsOf('merge-user-state')).toHaveLength(2);
  });
});
