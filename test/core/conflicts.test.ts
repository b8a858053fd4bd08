/**
 * Name conflicts (issue 9; memberlist `ConflictDelegate`): a `conflict` event once per claim, and
 * a joiner that refuses a seed's reply holding its name elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { NodeStateNumber, type PushNodeState, type PushPullMessage } from '../../src/wire/messages.js';
import { TestNode, VSN, addr, alive, dead, ip, nodeWithPeers } from './helpers.js';

function state(name: string, i: number, st: PushNodeState['state'], incarnation = 1): PushNodeState {
  return { name, addr: ip(i), port: 7946, meta: null, incarnation, state: st, vsn: VSN };
}
function reply(...nodes: PushNodeState[]): PushPullMessage {
  return { type: 'push-pull', join: true, nodes, userState: new Uint8Array(0) };
}

describe('conflict event', () => {
  it('reports a claimant of a live name once per address and incarnation, keeping the holder', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    const meta = Uint8Array.of(0xff, 0x81, 0xa1, 0x6b, 0xa1, 0x76);
    a.receive(10, addr(9), alive('B', 9, 3, { meta }));
    expect(a.drops()).toEqual(['conflict']);
    const [c] = a.eventsOf('conflict');
    expect(c?.existing).toMatchObject({ name: 'B', address: addr(2), state: 'alive', incarnation: 1 });
    expect(c?.claimant).toEqual({ name: 'B', address: addr(9), host: '10.0.0.9', port: 7946, incarnation: 3, metadata: meta, tags: { k: 'v' } });
    // Gossip retransmits the same alive: no second event.
    a.receive(20, addr(9), alive('B', 9, 3, { meta }));
    expect(a.eventsOf('conflict')).toHaveLength(1);
    // The claimant announces itself again (a refutation, a restart): a new claim.
    a.receive(30, addr(9), alive('B', 9, 4));
    expect(a.eventsOf('conflict')).toHaveLength(2);
    expect(a.core.member('B')).toMatchObject({ address: addr(2), incarnation: 1 });
  });

  it('reports a claim of our own name with ourselves as the holder', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.receive(10, addr(9), alive('A', 9, 7));
    expect(a.eventsOf('conflict')[0]).toMatchObject({ existing: { name: 'A', address: addr(1) }, claimant: { address: addr(9), incarnation: 7 } });
    expect(a.core.localMember.address).toBe(addr(1));
  });

  it('stays quiet about a holder that is dead (it clears once reaped), but still drops the claim', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.receive(2, addr(9), alive('B', 9, 3));
    expect(a.eventsOf('conflict')).toHaveLength(1);
    a.receive(5, addr(3), dead('B', 1, 'C'));
    a.receive(10, addr(9), alive('B', 9, 4));
    expect(a.drops()).toEqual(['conflict']);
    expect(a.eventsOf('conflict')).toHaveLength(1);
  });
});

describe('a joiner reading a seed reply that holds its name elsewhere', () => {
  it('merges nothing and reports the holder', () => {
    const a = new TestNode('A', 1).start(0);
    a.events.length = 0;
    const out = a.step((c, fx) => c.mergeJoinReply(10, reply(state('S', 2, NodeStateNumber.alive), state('A', 9, NodeStateNumber.alive, 4)), fx));
    expect(out).toEqual({ kind: 'name-held', holder: addr(9) });
    expect(a.core.members().map((m) => m.name)).toEqual(['A']);
    expect(a.events).toEqual([]);
    // A suspect holder is still live.
    const held = a.step((c, fx) => c.mergeJoinReply(10, reply(state('A', 9, NodeStateNumber.suspect, 4)), fx));
    expect(held).toEqual({ kind: 'name-held', holder: addr(9) });
  });

  it('merges the same reply when the caller found the holder gone (a stale entry of an earlier run)', () => {
    const a = new TestNode('A', 1).start(0);
    const out = a.step((c, fx) => c.mergeJoinReply(10, reply(state('S', 2, NodeStateNumber.alive), state('A', 9, NodeStateNumber.alive, 4)), fx, true));
    expect(out).toEqual({ kind: 'merged' });
    expect(a.core.member('S')?.state).toBe('alive');
    expect(a.core.localMember.address).toBe(addr(1));
  });

  it('merges a reply that lists its name only dead or left elsewhere, or at its own address', () => {
    for (const st of [NodeStateNumber.dead, NodeStateNumber.left]) {
      const a = new TestNode('A', 1).start(0);
      const out = a.step((c, fx) => c.mergeJoinReply(10, reply(state('S', 2, NodeStateNumber.alive), state('A', 9, st, 4)), fx));
      expect(out).toEqual({ kind: 'merged' });
      expect(a.core.member('S')?.state).toBe('alive');
    }
    const a = new TestNode('A', 1).start(0);
    expect(a.step((c, fx) => c.mergeJoinReply(10, reply(state('S', 2, NodeStateNumber.alive), state('A', 1, NodeStateNumber.alive, 1)), fx))).toEqual({ kind: 'merged' });
  });
});
