import { describe, expect, it } from 'vitest';
import { NodeStateNumber, type PushNodeState, type PushPullMessage } from '../../src/wire/messages.js';
import { TestNode, VSN, addr, alive, dead, ip, nodeWithPeers, suspect } from './helpers.js';

function state(name: string, i: number, st: PushNodeState['state'], incarnation = 1, vsn = VSN): PushNodeState {
  return { name, addr: ip(i), port: 7946, meta: null, incarnation, state: st, vsn };
}
function pushPull(join: boolean, ...nodes: PushNodeState[]): PushPullMessage {
  return { type: 'push-pull', join, nodes, userState: new Uint8Array(0) };
}

describe('start', () => {
  it('makes us alive at incarnation 1 and arms the three tickers with a random stagger', () => {
    const a = new TestNode('A', 1).start(0);
    expect(a.core.localMember).toMatchObject({ name: 'A', state: 'alive', incarnation: 1, address: addr(1) });
    expect(a.core.size).toBe(1);
    const byType = new Map(a.timers.map((t) => [t.timer.type, t.afterMs]));
    expect(byType.get('probe-tick')).toBeLessThan(1000);
    expect(byType.get('gossip-tick')).toBeLessThan(200);
    expect(byType.get('push-pull-tick')).toBeGreaterThanOrEqual(30_000);
    expect(byType.get('push-pull-tick')).toBeLessThan(60_000);
    expect(a.events).toEqual([]); // no member events about ourselves
  });

  it('does not arm push/pull when the interval is 0', () => {
    const a = new TestNode('A', 1, { pushPullIntervalMs: 0 }).start(0);
    expect(a.has('push-pull-tick')).toBe(false);
  });
});

describe('push/pull', () => {
  it('lists self and every state in localState, with state numbers and 6-byte vsn', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4], ['E', 5]]);
    a.receive(1, addr(3), suspect('C', 1, 'B'));
    a.receive(1, addr(4), dead('D', 1, 'B'));
    a.receive(1, addr(5), dead('E', 1, 'E'));
    const ls = a.core.localState(true);
    expect(ls.join).toBe(true);
    expect(ls.userState).toEqual(new Uint8Array(0));
    const byName = Object.fromEntries(ls.nodes.map((n) => [n.name, n.state]));
    expect(byName).toEqual({ A: 0, B: 0, C: 1, D: 2, E: 3 });
    expect(ls.nodes.every((n) => n.vsn.length === 6)).toBe(true);
  });

  it('answers an inbound push/pull with its table as it was before merging, echoing join, then merges', () => {
    const seed = nodeWithPeers('S', 1, [['B', 2]]);
    const reply = seed.step((c, fx) => c.handleStream(0, '10.0.0.3:40000', pushPull(true, state('J', 3, 0)), fx));
    expect(reply?.type).toBe('push-pull');
    const r = reply as PushPullMessage;
    expect(r.join).toBe(true);
    expect(r.nodes.map((n) => n.name).sort()).toEqual(['B', 'S']);
    expect(seed.core.member('J')?.state).toBe('alive');
    expect(seed.eventsOf('join').map((e) => e.member.name)).toEqual(['J']);
  });

  it('merges remote alive as alive, suspect and dead as a local suspicion from us, left as left', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4]]);
    const err = a.step((c, fx) =>
      c.mergeRemoteState(10, pushPull(false, state('B', 2, NodeStateNumber.dead), state('C', 3, NodeStateNumber.suspect), state('D', 4, NodeStateNumber.left), state('N', 5, NodeStateNumber.alive, 3)), fx),
    );
    expect(err).toBeUndefined();
    expect(a.core.member('B')?.state).toBe('suspect');
    expect(a.core.member('C')?.state).toBe('suspect');
    expect(a.core.member('D')?.state).toBe('left');
    expect(a.core.member('N')).toMatchObject({ state: 'alive', incarnation: 3 });
    expect(a.events.map((e) => e.type).sort()).toEqual(['join', 'leave', 'suspect', 'suspect', 'suspicion', 'suspicion']);
    // The suspicions are ours: the gossip says "from A".
    const gossip = [];
    for (let t = 0; t < 30; t++) gossip.push(...a.gossip(100 + t).flatMap((s) => s.messages));
    expect(gossip.filter((m) => m.type === 'suspect').every((m) => (m as { from: string }).from === 'A')).toBe(true);
  });

  it('never imports a remote death directly, and a remote view of us as dead makes us refute', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.step((c, fx) => c.mergeRemoteState(10, pushPull(false, state('A', 1, NodeStateNumber.dead, 1)), fx));
    expect(a.core.incarnation).toBe(2);
    expect(a.eventsOf('self:refute')).toHaveLength(1);
  });

  it.each([
    ['a higher protocol minimum', Uint8Array.of(3, 5, 3, 0, 0, 0), "Node 'Y' protocol version (2) is incompatible: [3, 5]"],
    ['a different delegate range', Uint8Array.of(1, 5, 2, 2, 5, 4), "Node 'X' delegate protocol version (4) is incompatible: [2, 0]"],
  ])('rejects a push/pull from a node with %s and merges nothing', (_why, vsn, message) => {
    const a = nodeWithPeers('A', 1, []);
    const err = a.step((c, fx) => c.mergeRemoteState(10, pushPull(true, state('X', 9, 0, 1, vsn), state('Y', 8, 0)), fx));
    expect(err?.message).toBe(message);
    expect(a.core.member('X')).toBeUndefined();
    expect(a.core.member('Y')).toBeUndefined();
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ name: 'hearsay_push_pulls_total', labels: { outcome: 'rejected' } }));
  });

  it('rejects a remote entry of any state without versions, as Go does', () => {
    const a = nodeWithPeers('A', 1, []);
    const err = a.step((c, fx) => c.mergeRemoteState(10, pushPull(false, state('X', 9, NodeStateNumber.dead, 1, new Uint8Array(0))), fx));
    expect(err?.message).toBe("Node 'X' protocol version (0) is incompatible: [1, 5]");
  });

  it('still answers a push/pull it rejects (the peer rejects ours in turn)', () => {
    const a = nodeWithPeers('A', 1, []);
    const reply = a.step((c, fx) => c.handleStream(0, '10.0.0.9:1', pushPull(true, state('X', 9, 0, 1, Uint8Array.of(3, 5, 3, 0, 0, 0))), fx));
    expect(reply?.type).toBe('push-pull');
    expect(a.core.member('X')).toBeUndefined();
  });

  it('runs periodic anti-entropy with a random alive member and merges its reply', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    a.receive(0, addr(3), alive('C', 3, 1));
    a.receive(0, addr(3), dead('C', 1, 'C'));
    for (let i = 0; i < 5; i++) {
      a.fire('push-pull-tick', 40_000 + i);
      expect(a.last.streams).toHaveLength(1);
      expect(a.last.streams[0]).toMatchObject({ to: addr(2), request: { type: 'push-pull', join: false }, timeoutMs: 10_000 });
      expect(a.last.schedules[0]?.afterMs).toBe(30_000);
    }
    const id = a.last.streams[0]!.id;
    a.step((c, fx) => c.handleStreamResult(40_100, id, pushPull(false, state('B', 2, 0), state('N', 7, 0)), fx));
    expect(a.core.member('N')?.state).toBe('alive');
    a.fire('push-pull-tick', 50_000);
    const id2 = a.last.streams[0]!.id;
    a.step((c, fx) => c.handleStreamResult(50_100, id2, new Error('connection refused'), fx));
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ name: 'hearsay_push_pulls_total', labels: { outcome: 'failed' } }));
    a.step((c, fx) => c.handleStreamResult(50_200, 9999, pushPull(false, state('Z', 9, 0)), fx));
    expect(a.core.member('Z')).toBeUndefined();
  });
});

describe('streams', () => {
  it('answers a TCP ping for us with a bare ack, ignores one for another name, and surfaces user messages', () => {
    const a = new TestNode('A', 1, { ackPayload: Uint8Array.of(9) }).start(0);
    expect(a.step((c, fx) => c.handleStream(0, 'x:1', { type: 'ping', seqNo: 4, node: 'A' }, fx))).toEqual({ type: 'ack', seqNo: 4, payload: null });
    expect(a.step((c, fx) => c.handleStream(0, 'x:1', { type: 'ping', seqNo: 4, node: 'B' }, fx))).toBeUndefined();
    expect(a.step((c, fx) => c.handleStream(0, 'x:1', { type: 'user', payload: Uint8Array.of(1) }, fx))).toBeUndefined();
    expect(a.eventsOf('message')).toEqual([{ type: 'message', from: undefined, address: 'x:1', payload: Uint8Array.of(1) }]);
    expect(a.step((c, fx) => c.handleStream(0, 'x:1', { type: 'ack', seqNo: 1, payload: null }, fx))).toBeUndefined();
  });
});

describe('leave', () => {
  it('gossips a self-dead with From = us, reports broadcast-done after the retransmit limit, and is seen as leave', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    for (let t = 0; t < 20; t++) a.gossip(t); // drain the alives
    const id = 7;
    a.step((c, fx) => c.leave(100, fx, id));
    expect(a.core.localMember.state).toBe('left');
    expect(a.core.isLeaving).toBe(true);
    const sent = [];
    for (let t = 0; t < 10; t++) sent.push(...a.gossip(200 + t));
    const deads = sent.flatMap((s) => s.messages).filter((m) => m.type === 'dead');
    expect(deads).toHaveLength(4); // n = 2: retransmitLimit(4, 2) = 4
    expect(deads[0]).toEqual(dead('A', 1, 'A'));
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id, transmits: 4 }]);
    // Again: nothing new is queued, and the second id is reported done within its step.
    a.step((c, fx) => c.leave(300, fx, 8));
    expect(a.last.events).toEqual([{ type: 'broadcast-done', id: 8, transmits: 0 }]);
    expect(a.last.sends).toEqual([]);

    const b = nodeWithPeers('B', 2, [['A', 1]]);
    b.receive(300, addr(1), deads[0]!);
    expect(b.events.map((e) => e.type)).toEqual(['leave']);
    expect(b.core.member('A')?.state).toBe('left');
  });

  it('reports broadcast-done at once when nobody else is alive, and ignores alives about us afterwards', () => {
    const a = new TestNode('A', 1).start(0);
    const id = 7;
    a.step((c, fx) => c.leave(100, fx, id));
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id, transmits: 0 }]);
    a.receive(200, addr(2), alive('A', 1, 5));
    expect(a.core.localMember.state).toBe('left');
    expect(a.core.incarnation).toBe(1);
    a.receive(200, addr(2), suspect('A', 5, 'B'));
    expect(a.eventsOf('self:refute')).toEqual([]);
  });
});

describe('setMetadata', () => {
  it('bumps the incarnation, gossips an alive and reports broadcast-done; peers see an update', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    for (let t = 0; t < 20; t++) a.gossip(t);
    const meta = Uint8Array.of(0xff, 0x81, 0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa3, 0x77, 0x65, 0x62);
    const id = 9;
    a.step((c, fx) => c.setMetadata(100, meta, fx, id));
    expect(a.core.incarnation).toBe(2);
    expect(a.core.localMember.tags).toEqual({ role: 'web' });
    expect(a.events.filter((e) => e.type === 'update')).toEqual([]);
    const sent = [];
    for (let t = 0; t < 10; t++) sent.push(...a.gossip(200 + t).flatMap((s) => s.messages));
    expect(sent).toHaveLength(4);
    expect(sent[0]).toEqual(alive('A', 1, 2, { meta }));
    expect(a.eventsOf('broadcast-done')).toEqual([{ type: 'broadcast-done', id, transmits: 4 }]);

    const b = nodeWithPeers('B', 2, [['A', 1]]);
    b.receive(300, addr(1), sent[0]!);
    const [u] = b.eventsOf('update');
    expect(u?.member.tags).toEqual({ role: 'web' });
    expect(u?.previous.tags).toBeUndefined();
    expect(b.events.map((e) => e.type)).toEqual(['update']);
  });
});

describe('user broadcasts', () => {
  it('piggybacks user payloads after membership gossip and surfaces received ones as message events', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    expect(a.broadcastUser(Uint8Array.of(1, 2, 3))).toBe(true);
    const [s] = a.gossip(10);
    expect(s?.messages.map((m) => m.type)).toEqual(['alive', 'alive', 'user']);
    const b = nodeWithPeers('B', 2, [['A', 1]]);
    b.receive(20, addr(1), ...s!.messages);
    expect(b.eventsOf('message')).toEqual([{ type: 'message', from: 'A', address: addr(1), payload: Uint8Array.of(1, 2, 3) }]);
  });

  it('splits a packet of many small messages into compounds of at most 127 parts (Go misreads 128+)', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    for (let t = 0; t < 20; t++) a.gossip(t);
    for (let i = 0; i < 300; i++) a.broadcastUser(Uint8Array.of(i & 255));
    a.fire('gossip-tick', 100);
    const sends = a.last.sends;
    expect(sends.map((s) => s.payload[1])).toEqual([127, 127, 46]);
    for (const s of sends) {
      expect(s.payload[0]).toBe(7);
      expect(s.payload[1]).toBeLessThanOrEqual(127);
    }
    const total = a.sent().reduce((n, s) => n + s.messages.length, 0);
    expect(total).toBe(300); // all fit one packet budget: each 1-byte user message costs 1 + 1 + 2
  });

  it('refuses a payload that could never fit a packet', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    expect(a.broadcastUser(new Uint8Array(1395))).toBe(true);
    expect(a.broadcastUser(new Uint8Array(1396))).toBe(false);
  });

  it('subtracts the driver’s per-packet overhead from the budget', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]], { packetOverheadBytes: 29 });
    expect(a.broadcastUser(new Uint8Array(1367))).toBe(false);
    expect(a.broadcastUser(new Uint8Array(1366))).toBe(true);
  });
});

describe('robustness', () => {
  it('drops packets before start and never throws on hostile input', () => {
    const a = new TestNode('A', 1);
    a.receive(0, addr(2), alive('B', 2, 1));
    expect(a.drops()).toEqual(['not-started']);
    a.start(0);
    a.receive(0, addr(2), alive('', 2, 1), alive('B', 2, 1, { addr: new Uint8Array(0) }), { type: 'bogus' } as never);
    expect(a.drops()).toEqual(['bad-name', 'bad-addr', 'unexpected-type']);
    expect(a.core.numMembers()).toBe(1);
  });
});
