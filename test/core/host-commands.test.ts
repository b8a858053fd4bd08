/**
 * What the core offers its hosts (the `Hearsay` facade and the simulator) beyond packets and
 * timers: completion ids chosen by the caller, the target of a user datagram, and settling gossip.
 */
import { describe, expect, it } from 'vitest';
import { TestNode, addr, alive, dead, nodeWithPeers, suspect } from './helpers.js';

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

describe('rejoin after leave', () => {
  it('announces alive at incarnation + 1, probes and pushes/pulls again, and peers see a join', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    const b = nodeWithPeers('B', 2, [['A', 1]]);
    a.step((c, fx) => c.leave(10, fx, 1));
    for (const s of a.gossip(100)) b.receive(100, a.address, ...s.messages);
    expect(b.core.member('A')?.state).toBe('left');
    // The tickers leave stopped: their pending ticks die without rescheduling.
    a.fire('probe-tick', 1000);
    a.fire('push-pull-tick', 40_000);
    expect(a.has('probe-tick') || a.has('push-pull-tick')).toBe(false);

    a.step((c, fx) => c.rejoin(50_000, fx));
    expect(a.core.isLeaving).toBe(false);
    expect(a.core.localMember).toMatchObject({ state: 'alive', incarnation: 2 });
    expect(a.last.schedules.map((s) => s.timer.type)).toEqual(expect.arrayContaining(['probe-tick', 'push-pull-tick']));
    const gossip = a.gossip(50_200);
    expect(gossip.flatMap((s) => s.messages)).toContainEqual(expect.objectContaining({ type: 'alive', node: 'A', incarnation: 2 }));
    b.events.length = 0;
    for (const s of gossip) b.receive(50_200, a.address, ...s.messages);
    expect(b.eventsOf('join').map((e) => [e.member.name, e.member.incarnation])).toEqual([['A', 2]]);
    a.fire('probe-tick');
    expect(a.sent().flatMap((s) => s.messages.map((m) => m.type))).toContain('ping');
  });

  it('refutes accusations again once back, and changes nothing unless the node left', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.step((c, fx) => c.rejoin(5, fx));
    expect(a.last.schedules).toEqual([]);
    expect(a.core.localMember.incarnation).toBe(1);
    a.step((c, fx) => c.leave(10, fx, 1));
    a.step((c, fx) => c.rejoin(20, fx));
    a.receive(30, addr(2), { type: 'suspect', incarnation: 2, node: 'A', from: 'B' });
    expect(a.eventsOf('self:refute')).toEqual([expect.objectContaining({ incarnation: 3, accuser: 'B' })]);
  });
});

describe('who sent a user message', () => {
  const user = { type: 'user', payload: Uint8Array.of(7) } as const;

  it('names the member at the source address, or the one live member on the source host', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]]);
    a.receive(0, addr(2), user);
    a.step((c, fx) => c.handleStream(0, '10.0.0.3:50123', user, fx)); // a stream's ephemeral port
    expect(a.eventsOf('message').map((e) => [e.from, e.address])).toEqual([
      ['B', addr(2)],
      ['C', '10.0.0.3:50123'],
    ]);
  });

  it('names nobody when several members share the host, when none is there, or for our own host', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.receive(0, addr(2), alive('B2', 2, 1, { port: 7947 }));
    a.step((c, fx) => c.handleStream(0, '10.0.0.2:40000', user, fx));
    a.step((c, fx) => c.handleStream(0, '10.9.9.9:40000', user, fx));
    a.step((c, fx) => c.handleStream(0, '10.0.0.1:40000', user, fx));
    a.receive(0, '10.0.0.2:7947', user);
    expect(a.eventsOf('message').map((e) => e.from)).toEqual([undefined, undefined, undefined, 'B2']);
  });
});

describe('Lifeguard expects confirmations only from members that can send them', () => {
  // local-like: suspicionMult 3 → k = 1, min = 3 × 1 s = 3 s at n = 3, max = 6 × min.
  const cfg = { suspicionMult: 3 };
  const suspicionTimeoutOf = (n: ReturnType<typeof nodeWithPeers>): number | undefined => n.last.schedules.find((s) => s.timer.type === 'suspicion-timeout')?.afterMs;

  it('starts at the maximum while another live member could confirm', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]], cfg);
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    expect(suspicionTimeoutOf(a)).toBe(18_000);
  });

  it('starts at the minimum when the only other member has left (memberlist waits the maximum)', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]], cfg);
    a.receive(0, addr(3), dead('C', 1, 'C'));
    expect(a.core.member('C')?.state).toBe('left');
    a.receive(10, addr(2), suspect('B', 1, 'A'));
    expect(suspicionTimeoutOf(a)).toBe(3000);
  });
});
