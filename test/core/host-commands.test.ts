/**
 * What the core offers its hosts (the `Hearsay` facade and the simulator) beyond packets and
 * timers: completion ids chosen by the caller, the target of a user datagram, and settling gossip.
 */
import { describe, expect, it } from 'vitest';
import { TestNode, addr, alive, nodeWithPeers } from './helpers.js';

const TAGS = Uint8Array.of(0xff, 0x81, 0xa1, 0x6b, 0xa1, 0x76); // { k: 'v' }

describe('completion ids come from the caller', () => {
  it('reports a setMetadata outside the cluster done under the caller id within the step', () => {
    const a = new TestNode('A', 1);
    a.step((c, fx) => c.setMetadata(0, TAGS, fx, 31));
    expect(a.last.events).toEqual([{ type: 'broadcast-done', id: 31, transmits: 0 }]);
    a.start(0);
    a.step((c, fx) => c.leave(10, fx, 32));
    a.step((c, fx) => c.setMetadata(20, TAGS, fx, 33));
    expect(a.eventsOf('broadcast-done').map((e) => e.id)).toEqual([31, 32, 33]);
  });

  it('announces metadata set before start in the first alive', () => {
    const a = new TestNode('A', 1);
    a.step((c, fx) => c.setMetadata(0, TAGS, fx, 1));
    a.start(0);
    expect(a.core.localMember.tags).toEqual({ k: 'v' });
    const b = nodeWithPeers('B', 2, []);
    b.receive(0, addr(1), ...a.core.localState(false).nodes.map((n) => alive(n.name, 1, n.incarnation, { meta: n.meta })));
    expect(b.core.member('A')?.tags).toEqual({ k: 'v' });
  });

  it('reports the caller id once the broadcast has gone out its retransmit limit', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.step((c, fx) => c.setMetadata(10, TAGS, fx, 1234));
    expect(a.last.events).toEqual([]); // B is alive: the alive has to spread first
    for (let t = 0; t < 20; t++) a.gossip(100 + t);
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id: 1234, transmits: 4 }]);
  });
});

describe('userTarget', () => {
  it('gives a member its address, with a CRC when its protocol max is at least 5', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.receive(0, addr(3), alive('C', 3, 1, { vsn: Uint8Array.of(1, 4, 2, 0, 0, 0) }));
    expect(a.core.userTarget('B')).toEqual({ address: addr(2), crc: true });
    expect(a.core.userTarget('C')).toEqual({ address: addr(3), crc: false });
  });

  it('gives a bare ip:port itself, with a CRC only where memberlist looks the IP up as a member name', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    expect(a.core.userTarget('10.0.0.9:7946')).toEqual({ address: '10.0.0.9:7946', crc: false });
    expect(a.core.userTarget(addr(2))).toEqual({ address: addr(2), crc: false }); // B is not named by its IP
    a.receive(0, addr(4), alive('10.0.0.4', 4, 1));
    expect(a.core.userTarget(addr(4))).toEqual({ address: addr(4), crc: true });
  });

  it('gives nothing for a name that is neither a member nor an address', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    expect(a.core.userTarget('nobody')).toBeUndefined();
    expect(a.core.userTarget('10.0.0.9')).toBeUndefined();
  });
});

describe('settleGossip', () => {
  it('empties the membership queue as if every message had been sent its limit, reporting completions', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]]);
    a.step((c, fx) => c.setMetadata(5, TAGS, fx, 77));
    expect(a.has('gossip-tick')).toBe(true);
    a.core.settleGossip();
    expect(a.gossip(10)).toEqual([]); // nothing left to send: the ticker parks
    expect(a.has('gossip-tick')).toBe(false);
    // n = 3: retransmitLimit(4, 3) = 4.
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id: 77, transmits: 4 }]);
  });

  it('leaves user broadcasts queued', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.broadcastUser(Uint8Array.of(1, 2, 3));
    a.core.settleGossip();
    const sent = a.gossip(10).flatMap((s) => s.messages.map((m) => m.type));
    expect(sent).toEqual(['user']);
  });
});
