import { describe, expect, it } from 'vitest';
import type { CoreConfig } from '../../src/core/core.js';
import type { AckMessage, IndirectPingMessage, PacketMessage, PingMessage } from '../../src/wire/messages.js';
import { TestNode, addr, alive, dead, ip, nodeWithPeers, suspect, type Sent } from './helpers.js';

const ofType = <T extends PacketMessage['type']>(sent: Sent[], type: T): { to: string; crc: boolean; msg: Extract<PacketMessage, { type: T }> }[] =>
  sent.flatMap((s) => s.messages.filter((m): m is Extract<PacketMessage, { type: T }> => m.type === type).map((msg) => ({ to: s.to, crc: s.crc, msg })));

/** Fires A's probe tick until it pings `target` (the order is random); returns the ping. */
function probeUntil(a: TestNode, target: string, now = 1000): PingMessage {
  for (let i = 0; i < 10; i++) {
    a.fire('probe-tick', now);
    const ping = ofType(a.sent(), 'ping')[0];
    if (ping?.msg.node === target) return ping.msg;
    if (ping) {
      // Probing someone else: let that probe succeed and try again.
      a.receive(now, addr(9), { type: 'ack', seqNo: ping.msg.seqNo, payload: null });
    }
  }
  throw new Error(`never probed ${target}`);
}

/** A started node knowing `peers`, with the probe tick ready to fire. */
function probingCore(peers: [string, number][] = [['B', 2]], overrides: Partial<CoreConfig> = {}): TestNode {
  return nodeWithPeers('A', 1, peers, overrides);
}

describe('probe: direct', () => {
  it('pings the target with our source fields and succeeds on its ack', () => {
    const a = probingCore();
    a.step((c, fx) => c.noteStall(0, 2000, fx)); // health 2, so the success is visible
    const ping = probeUntil(a, 'B');
    expect(ping).toMatchObject({ node: 'B', sourceAddr: ip(1), sourcePort: 7946, sourceNode: 'A' });
    expect(a.take('probe-end').dueAt).toBe(1000 + 3000); // awareness-scaled: 1000 × (2 + 1)
    const b = new TestNode('B', 2).start(0);
    b.receive(1001, addr(1), ping);
    const acks = ofType(b.sent(), 'ack');
    expect(acks).toEqual([{ to: addr(1), crc: false, msg: { type: 'ack', seqNo: ping.seqNo, payload: null } }]);
    a.receive(1020, addr(2), acks[0]!.msg);
    expect(a.core.healthScore).toBe(1);
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ kind: 'observe', name: 'hearsay_probe_rtt_milliseconds', value: 20 }));
    a.fire('probe-timeout');
    expect(a.last.sends).toEqual([]); // stale
    expect(a.core.member('B')?.state).toBe('alive');
  });

  it('answers only pings for its own name (or none), to Source* when given, else to the sender, with the ack payload', () => {
    const b = new TestNode('B', 2, { ackPayload: Uint8Array.of(1, 2) }).start(0);
    b.receive(0, '192.168.0.7:5000', { type: 'ping', seqNo: 1, node: 'X' });
    expect(b.last.sends).toEqual([]);
    expect(b.drops()).toEqual(['wrong-node']);
    b.receive(0, '192.168.0.7:5000', { type: 'ping', seqNo: 2, node: '' });
    expect(ofType(b.sent(), 'ack')).toEqual([{ to: '192.168.0.7:5000', crc: false, msg: { type: 'ack', seqNo: 2, payload: Uint8Array.of(1, 2) } }]);
    b.receive(0, '192.168.0.7:5000', { type: 'ping', seqNo: 3, node: 'B', sourceAddr: ip(1), sourcePort: 8000, sourceNode: 'A' });
    expect(b.last.sends[0]?.to).toBe('10.0.0.1:8000');
  });

  it('piggybacks queued gossip on the ack, ack first', () => {
    const b = nodeWithPeers('B', 2, [['C', 3]]);
    b.receive(0, addr(1), { type: 'ping', seqNo: 5, node: 'B' });
    const [s] = b.sent();
    expect(s?.messages[0]).toEqual({ type: 'ack', seqNo: 5, payload: null });
    expect(s?.messages.slice(1).map((m) => m.type)).toEqual(['alive', 'alive']);
  });

  it('sets the CRC flag only where memberlist would: gossip and buddy pings to PMax ≥ 5, or names that are IPs', () => {
    const a = nodeWithPeers('A', 1, []);
    a.receive(0, addr(2), alive('B', 2, 1));
    a.receive(0, addr(3), alive('C', 3, 1, { vsn: Uint8Array.of(1, 4, 2, 0, 0, 0) }));
    const gossip = a.gossip(100);
    expect(gossip.map((g) => [g.to, g.crc]).sort()).toEqual([
      [addr(2), true],
      [addr(3), false],
    ]);
    a.receive(200, addr(2), { type: 'ping', seqNo: 1, node: 'A' });
    expect(a.last.sends[0]?.crc).toBe(false);
    a.receive(0, addr(4), alive('10.0.0.4', 4, 1));
    a.receive(300, addr(4), { type: 'ping', seqNo: 2, node: '' });
    expect(a.last.sends[0]?.crc).toBe(true);
  });
});

describe('probe: buddy system', () => {
  it('sends a suspect target a 2-part compound [ping, suspect] with CRC, and it refutes at once', () => {
    const a = probingCore();
    a.receive(500, addr(3), suspect('B', 1, 'C'));
    probeUntil(a, 'B');
    const [s] = a.sent();
    expect(s?.crc).toBe(true);
    expect(s?.messages.map((m) => m.type)).toEqual(['ping', 'suspect']);
    expect(s?.messages[1]).toEqual({ type: 'suspect', incarnation: 1, node: 'B', from: 'A' });
    const b = nodeWithPeers('B', 2, [['A', 1]]);
    b.receive(1001, addr(1), ...s!.messages);
    expect(b.core.incarnation).toBe(2);
    expect(b.eventsOf('self:refute')).toHaveLength(1);
  });
});

describe('probe: telling a member it was declared dead', () => {
  const pingFromB = (seqNo: number): PingMessage => ({ type: 'ping', seqNo, node: 'A', sourceAddr: ip(2), sourcePort: 7946, sourceNode: 'B' });

  it('adds dead{its incarnation, from: us} to the ack for a member we hold dead, and it refutes', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    a.receive(500, addr(3), dead('B', 1, 'C'));
    expect(a.core.member('B')?.state).toBe('dead');
    a.receive(600, addr(2), pingFromB(7));
    const [s] = a.sent();
    expect(s?.messages.slice(0, 2)).toEqual([
      { type: 'ack', seqNo: 7, payload: null },
      { type: 'dead', incarnation: 1, node: 'B', from: 'A' },
    ]);
    const b = nodeWithPeers('B', 2, [['A', 1], ['C', 3]]);
    b.receive(601, addr(1), ...s!.messages);
    expect(b.core.incarnation).toBe(2);
    expect(b.eventsOf('self:refute')).toHaveLength(1);
  });

  it('still tells it after the dead entry was reaped, from the failed-member memory', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    a.receive(500, addr(3), dead('B', 1, 'C'));
    // Past gossipToTheDeadMs (30 s): probe ticks reap B once the probe list wraps.
    for (let i = 0; i < 6 && a.core.member('B') !== undefined; i++) {
      a.fire('probe-tick', 40_000 + i * 1000);
      const ping = ofType(a.sent(), 'ping')[0];
      if (ping) a.receive(40_000 + i * 1000, addr(3), { type: 'ack', seqNo: ping.msg.seqNo, payload: null });
    }
    expect(a.core.member('B')).toBeUndefined();
    a.receive(50_000, addr(2), pingFromB(9));
    expect(a.sent()[0]?.messages.slice(0, 2)).toEqual([
      { type: 'ack', seqNo: 9, payload: null },
      { type: 'dead', incarnation: 1, node: 'B', from: 'A' },
    ]);
  });

  it('adds nothing for a member that is alive or that left', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    const deadNotes = (): PacketMessage[] => a.sent().flatMap((s) => s.messages.filter((m) => m.type === 'dead' && m.node === 'B' && m.from === 'A'));
    a.receive(600, addr(2), pingFromB(1));
    expect(a.sent()[0]?.messages[0]).toEqual({ type: 'ack', seqNo: 1, payload: null });
    expect(deadNotes()).toEqual([]);
    a.receive(700, addr(2), dead('B', 1, 'B'));
    expect(a.core.member('B')?.state).toBe('left');
    a.receive(800, addr(2), pingFromB(2));
    expect(deadNotes()).toEqual([]);
  });
});

describe('probe: indirect and TCP fallback', () => {
  it('succeeds through a relay: three cores, packets handed across', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    const b = nodeWithPeers('B', 2, [['A', 1], ['C', 3]]);
    const c = nodeWithPeers('C', 3, [['A', 1], ['B', 2]]);
    const ping = probeUntil(a, 'B');
    const target = b;
    const relay = c;
    // The direct ping is lost.
    a.fire('probe-timeout', 1500);
    const ind = ofType(a.sent(), 'indirect-ping');
    expect(ind).toHaveLength(1);
    expect(ind[0]!.to).toBe(relay.address);
    expect(ind[0]!.msg).toMatchObject({ seqNo: ping.seqNo, node: 'B', target: ip(2), port: 7946, nack: true, sourceNode: 'A' });
    expect(a.last.streams).toHaveLength(1);
    expect(a.last.streams[0]).toMatchObject({ to: addr(2), request: { type: 'ping', seqNo: ping.seqNo, node: 'B' }, timeoutMs: 500 });

    relay.receive(1501, addr(1), ind[0]!.msg);
    const relayed = ofType(relay.sent(), 'ping');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.to).toBe(addr(2));
    expect(relayed[0]!.msg).toMatchObject({ node: 'B', sourceNode: 'C' });

    target.receive(1502, addr(3), relayed[0]!.msg);
    const ack = ofType(target.sent(), 'ack')[0]!;
    expect(ack.to).toBe(addr(3));
    relay.receive(1503, addr(2), ack.msg);
    const forwarded = ofType(relay.sent(), 'ack');
    expect(forwarded).toEqual([{ to: addr(1), crc: false, msg: { type: 'ack', seqNo: ping.seqNo, payload: null } }]);
    relay.fire('relay-timeout');
    expect(relay.last.sends).toEqual([]); // answered: no nack

    a.step((core, fx) => core.noteStall(1503, 1000, fx)); // health 1, to see the −1
    a.receive(1504, addr(3), forwarded[0]!.msg);
    expect(a.core.healthScore).toBe(0);
    a.fire('probe-end');
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.last.metrics.filter((m) => m.name === 'hearsay_probe_failures_total')).toEqual([]);
  });

  it('has the relay nack after probeTimeout when asked, and stay silent when not', () => {
    const c = nodeWithPeers('C', 3, [['A', 1], ['B', 2]]);
    const req: IndirectPingMessage = { type: 'indirect-ping', seqNo: 77, target: ip(2), port: 7946, node: 'B', nack: true, sourceAddr: ip(1), sourcePort: 7946, sourceNode: 'A' };
    c.receive(0, '10.9.9.9:1', req);
    expect(c.take('relay-timeout', () => true).dueAt).toBe(500);
    c.timers.length = 0;
    c.receive(0, '10.9.9.9:1', { ...req, seqNo: 78 });
    c.fire('relay-timeout');
    expect(ofType(c.sent(), 'nack')).toEqual([{ to: addr(1), crc: false, msg: { type: 'nack', seqNo: 78 } }]);
    c.receive(0, '10.9.9.9:1', { ...req, seqNo: 79, nack: false, sourceAddr: undefined as never, sourcePort: undefined as never });
    c.fire('relay-timeout');
    expect(c.last.sends).toEqual([]);
  });

  it('bounds the pending relays', () => {
    const c = nodeWithPeers('C', 3, []);
    for (let i = 0; i < 1030; i++) c.receive(0, addr(1), { type: 'indirect-ping', seqNo: i, target: ip(2), port: 7946, node: 'B', nack: false });
    expect(c.drops()).toEqual(['relay-limit']);
  });

  it.each([
    // relays' PMax, nacks received, expected health delta
    [5, 0, 2],
    [5, 1, 1],
    [5, 2, 0],
    [3, 0, 1],
  ])('with relays of PMax %i and %i nacks, a failed probe raises health by %i and suspects the target', (pmax, nacks, delta) => {
    const vsn = Uint8Array.of(1, pmax, 2, 0, 0, 0);
    const a = nodeWithPeers('A', 1, [], { disableTcpPings: true });
    a.receive(0, addr(2), alive('B', 2, 1));
    a.receive(0, addr(3), alive('C', 3, 1, { vsn }));
    a.receive(0, addr(4), alive('D', 4, 1, { vsn }));
    const ping = probeUntil(a, 'B');
    a.fire('probe-timeout', 1500);
    const ind = ofType(a.sent(), 'indirect-ping');
    expect(ind.map((i) => i.msg.nack)).toEqual([pmax >= 4, pmax >= 4]);
    expect(a.last.streams).toEqual([]);
    for (let i = 0; i < nacks; i++) a.receive(1600, addr(3 + i), { type: 'nack', seqNo: ping.seqNo });
    a.events.length = 0;
    a.fire('probe-end');
    expect(a.core.member('B')?.state).toBe('suspect');
    expect(a.core.healthScore).toBe(delta);
    expect(a.events.map((e) => e.type)).toEqual(delta > 0 ? ['suspect', 'suspicion', 'self:health'] : ['suspect', 'suspicion']);
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ name: 'hearsay_probe_failures_total' }));
  });

  it('treats a TCP fallback ack as success at the end of the interval', () => {
    const a = probingCore();
    const ping = probeUntil(a, 'B');
    a.fire('probe-timeout', 1500);
    const [s] = a.last.streams;
    a.step((c, fx) => c.handleStreamResult(1600, s!.id, { type: 'ack', seqNo: ping.seqNo, payload: null } satisfies AckMessage, fx));
    expect(a.core.member('B')?.state).toBe('alive');
    a.fire('probe-end');
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.core.healthScore).toBe(0);
  });

  it('waits briefly for a TCP result still in flight at the end, then decides', () => {
    const a = probingCore();
    const ping = probeUntil(a, 'B');
    a.fire('probe-timeout', 1500);
    const [s] = a.last.streams;
    a.fire('probe-end', 2000);
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.take('probe-end').dueAt).toBe(2500);
    a.step((c, fx) => c.handleStreamResult(2100, s!.id, { type: 'ack', seqNo: ping.seqNo + 1, payload: null }, fx)); // wrong seq: failure
    expect(a.core.member('B')?.state).toBe('suspect');
    expect(a.core.healthScore).toBe(1);
  });

  it('gives the TCP fallback a whole-ms deadline even when now is fractional (real clocks)', () => {
    const a = probingCore();
    probeUntil(a, 'B', 1000.25);
    a.fire('probe-timeout', 1500.75);
    expect(a.last.streams[0]?.timeoutMs).toBe(500);
  });

  it('skips the TCP fallback for targets below protocol 3', () => {
    const a = nodeWithPeers('A', 1, []);
    a.receive(0, addr(2), alive('B', 2, 1, { vsn: Uint8Array.of(1, 2, 2, 0, 0, 0) }));
    probeUntil(a, 'B');
    a.fire('probe-timeout', 1500);
    expect(a.last.streams).toEqual([]);
  });
});

describe('probe cadence', () => {
  it('buffers a tick that arrives mid-probe and starts the next probe as soon as the probe ends', () => {
    const a = probingCore([['B', 2], ['C', 3]], { disableTcpPings: true });
    a.step((c, fx) => c.noteStall(0, 1000, fx)); // health 1: interval 2000
    const first = probeUntil(a, 'B');
    a.fire('probe-tick', 2000); // mid-probe: buffered
    expect(a.last.sends).toEqual([]);
    a.fire('probe-timeout', 1500);
    a.fire('probe-end', 3000);
    const next = ofType(a.sent(), 'ping');
    expect(next).toHaveLength(1);
    expect(next[0]!.msg.seqNo).toBe(first.seqNo + 1);
  });

  it('stops probing after leave, abandoning a probe in flight', () => {
    const a = probingCore([['B', 2]], { disableTcpPings: true });
    probeUntil(a, 'B', 0);
    a.step((c, fx) => c.leave(100, fx, 1));
    a.fire('probe-timeout');
    a.fire('probe-end');
    expect(a.core.member('B')?.state).toBe('alive');
    a.fire('probe-tick', 1000);
    expect(a.last.sends).toEqual([]);
    expect(a.has('probe-tick')).toBe(false);
  });
});

describe('event-loop stall rule', () => {
  it('defers a probe timeout due during a stall; a buffered ack read in the grace window makes the probe succeed', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    const ping = probeUntil(a, 'B', 0);
    // Stalled from ~100 ms to 3000 ms: the driver reports it before firing overdue timers.
    a.step((c, fx) => c.noteStall(3000, 2900, fx));
    expect(a.core.healthScore).toBe(2);
    a.fire('probe-timeout', 3000);
    expect(a.last.sends).toEqual([]); // no indirect pings yet
    const deferred = a.take('probe-timeout');
    expect(deferred.dueAt).toBe(3500);
    expect(a.take('probe-end').dueAt).toBe(4000); // indirect phase keeps its 500 ms
    a.fire('probe-end', 3000); // the original end: stale now
    expect(a.core.member('B')?.state).toBe('alive');
    // The ack that sat in the socket buffer is read right after the timers.
    a.receive(3001, addr(2), { type: 'ack', seqNo: ping.seqNo, payload: null });
    a.step((c, fx) => c.handleTimer(3500, deferred, fx));
    expect(a.last.sends).toEqual([]);
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.eventsOf('suspect')).toEqual([]);
    expect(a.core.healthScore).toBe(1);
  });

  it('still detects a dead target after the grace window', () => {
    const a = probingCore([['B', 2], ['C', 3]], { disableTcpPings: true });
    probeUntil(a, 'B', 0);
    a.step((c, fx) => c.noteStall(3000, 2900, fx));
    a.fire('probe-timeout', 3000);
    a.fire('probe-timeout'); // at 3500: goes indirect now
    expect(ofType(a.sent(), 'indirect-ping')).toHaveLength(1);
    a.fire('probe-end'); // 4000
    expect(a.core.member('B')?.state).toBe('suspect');
  });

  it('defers a suspicion timeout due during a stall so a buffered refutation wins', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    const t = a.take('suspicion-timeout');
    a.step((c, fx) => c.noteStall(10_000, 9000, fx));
    a.step((c, fx) => c.handleTimer(10_000, t, fx));
    expect(a.core.member('B')?.state).toBe('suspect');
    a.receive(10_001, addr(2), alive('B', 2, 2));
    a.fire('suspicion-timeout');
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.eventsOf('fail')).toEqual([]);
  });

  it('does not defer timers due after the stall, nor once the grace window has passed', () => {
    const a = probingCore([['B', 2], ['C', 3]]);
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    const t = a.take('suspicion-timeout');
    a.step((c, fx) => c.noteStall(1000, 900, fx));
    a.step((c, fx) => c.handleTimer(t.dueAt, t, fx)); // due 4000 > stall end 1000
    expect(a.core.member('B')?.state).toBe('dead');
  });

  it('counts one stall once even if reported again at the same instant', () => {
    const a = probingCore();
    a.step((c, fx) => c.noteStall(5000, 1500, fx));
    a.step((c, fx) => c.noteStall(5000, 1500, fx));
    expect(a.core.healthScore).toBe(1);
  });
});
