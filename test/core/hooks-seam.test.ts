/**
 * The core's side of the host hooks (docs/architecture.md, "Host hooks"): user state leaves the
 * core empty and comes back out as a `merge-user-state` event; the ack payload comes in with the
 * step; a completed direct probe updates the member's smoothed RTT and, when asked, becomes a
 * `probe` event.
 */
import { describe, expect, it } from 'vitest';
import { RTT_ALPHA, smoothRtt } from '../../src/core/rtt.js';
import type { AckMessage, PacketMessage, PingMessage, PushNodeState, PushPullMessage } from '../../src/wire/messages.js';
import { TestNode, VSN, addr, ip, nodeWithPeers, type Sent } from './helpers.js';

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);

function state(name: string, i: number): PushNodeState {
  return { name, addr: ip(i), port: 7946, meta: null, incarnation: 1, state: 0, vsn: VSN };
}
function pushPull(join: boolean, userState: Uint8Array, ...nodes: PushNodeState[]): PushPullMessage {
  return { type: 'push-pull', join, nodes, userState };
}
const acksIn = (sent: Sent[]): AckMessage[] => sent.flatMap((s) => s.messages.filter((m): m is AckMessage => m.type === 'ack'));

/** Fires A's probe tick until it pings `target`; returns the ping (acks other targets at once). */
function probeUntil(a: TestNode, target: string, now: number): PingMessage {
  for (let i = 0; i < 10; i++) {
    a.fire('probe-tick', now);
    const ping = a.sent().flatMap((s) => s.messages).find((m): m is PingMessage => m.type === 'ping');
    if (ping?.node === target) return ping;
    if (ping) a.receive(now, addr(9), { type: 'ack', seqNo: ping.seqNo, payload: null });
  }
  throw new Error(`never probed ${target}`);
}

describe('user state in push/pull', () => {
  it('hands a peer’s non-empty user state out as merge-user-state with its join flag, after the node states', () => {
    const seed = nodeWithPeers('S', 1, []);
    const reply = seed.step((c, fx) => c.handleStream(0, '10.0.0.3:40000', pushPull(true, bytes(7, 8, 9), state('J', 3)), fx));
    // The core's reply carries no user state: the driver fills it in.
    expect((reply as PushPullMessage).userState).toEqual(new Uint8Array(0));
    expect(seed.last.events.map((e) => e.type)).toEqual(['join', 'merge-user-state']);
    expect(seed.eventsOf('merge-user-state')).toEqual([{ type: 'merge-user-state', state: bytes(7, 8, 9), join: true }]);

    seed.step((c, fx) => c.handleStream(1, '10.0.0.3:40001', pushPull(false, bytes(1)), fx));
    expect(seed.last.events).toEqual([{ type: 'merge-user-state', state: bytes(1), join: false }]);
  });

  it('does not call for a merge when the peer sent none (memberlist skips its delegate for UserStateLen 0)', () => {
    const a = nodeWithPeers('A', 1, []);
    a.step((c, fx) => c.handleStream(0, '10.0.0.3:40000', pushPull(true, new Uint8Array(0), state('J', 3)), fx));
    expect(a.eventsOf('merge-user-state')).toEqual([]);
  });

  it('merges no user state from an exchange the protocol-version check rejects', () => {
    const a = nodeWithPeers('A', 1, []);
    const bad: PushNodeState = { ...state('X', 9), vsn: Uint8Array.of(3, 5, 3, 0, 0, 0) };
    const err = a.step((c, fx) => c.mergeRemoteState(0, pushPull(true, bytes(1, 2), bad), fx, true));
    expect(err).toBeInstanceOf(Error);
    expect(a.eventsOf('merge-user-state')).toEqual([]);
  });

  it('uses our own join flag for replies to exchanges we started: true for a join, false for anti-entropy', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    // A join reply (whatever the peer echoed).
    a.step((c, fx) => c.mergeRemoteState(0, pushPull(false, bytes(5), state('B', 2)), fx, true));
    expect(a.last.events).toEqual([{ type: 'merge-user-state', state: bytes(5), join: true }]);
    // The periodic exchange's reply, even if a confused peer said join.
    a.fire('push-pull-tick', 40_000);
    const [exchange] = a.last.streams;
    expect(exchange?.request).toMatchObject({ type: 'push-pull', join: false, userState: new Uint8Array(0) });
    a.step((c, fx) => c.handleStreamResult(40_010, exchange!.id, pushPull(true, bytes(6), state('B', 2)), fx));
    expect(a.last.events).toEqual([{ type: 'merge-user-state', state: bytes(6), join: false }]);
  });
});

describe('ack payload', () => {
  const ping: PingMessage = { type: 'ping', seqNo: 4, node: 'B' };

  it('puts the payload the step brings in the ack; null is Go’s nil; none falls back to the configured default', () => {
    const b = new TestNode('B', 2, { ackPayload: bytes(0xee) }).start(0);
    b.step((c, fx) => c.handlePacket(0, addr(1), [ping], fx, bytes(1, 2, 3)));
    expect(acksIn(b.sent())).toEqual([{ type: 'ack', seqNo: 4, payload: bytes(1, 2, 3) }]);
    b.step((c, fx) => c.handlePacket(0, addr(1), [ping], fx, null));
    expect(acksIn(b.sent())).toEqual([{ type: 'ack', seqNo: 4, payload: null }]);
    b.step((c, fx) => c.handlePacket(0, addr(1), [ping], fx));
    expect(acksIn(b.sent())).toEqual([{ type: 'ack', seqNo: 4, payload: bytes(0xee) }]);
  });

  it('never puts it on the TCP fallback ack (memberlist answers those with a nil payload)', () => {
    const b = new TestNode('B', 2, { ackPayload: bytes(0xee) }).start(0);
    const reply = b.step((c, fx) => c.handleStream(0, addr(1), ping, fx));
    expect(reply).toEqual({ type: 'ack', seqNo: 4, payload: null });
  });
});

describe('probe round trips', () => {
  it('smooths samples as TCP’s SRTT: the first as is, then 1/8 of each difference', () => {
    expect(RTT_ALPHA).toBe(1 / 8);
    expect(smoothRtt(undefined, 40)).toBe(40);
    expect(smoothRtt(40, 80)).toBe(45);
    expect(smoothRtt(45, 5)).toBe(40);
  });

  it('records the smoothed RTT of direct probes on the member snapshot, without any hook', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    expect(a.core.member('B')?.rttMs).toBeUndefined();
    let ping = probeUntil(a, 'B', 1000);
    a.receive(1040, addr(2), { type: 'ack', seqNo: ping.seqNo, payload: null });
    expect(a.core.member('B')?.rttMs).toBe(40);
    ping = probeUntil(a, 'B', 2000);
    a.receive(2080, addr(2), { type: 'ack', seqNo: ping.seqNo, payload: null });
    expect(a.core.member('B')?.rttMs).toBe(45);
    expect(a.core.localMember.rttMs).toBeUndefined();
    // No host listens: no probe events.
    expect(a.eventsOf('probe')).toEqual([]);
  });

  it('forgets the smoothed RTT when the member comes back at another address', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    const ping = probeUntil(a, 'B', 1000);
    a.receive(1040, addr(2), { type: 'ack', seqNo: ping.seqNo, payload: null });
    expect(a.core.member('B')?.rttMs).toBe(40);
    a.receive(1100, addr(2), { type: 'dead', incarnation: 1, node: 'B', from: 'B' });
    a.receive(1200, addr(7), { type: 'alive', incarnation: 2, node: 'B', addr: ip(7), port: 7946, meta: null, vsn: VSN });
    expect(a.core.member('B')).toMatchObject({ state: 'alive', address: addr(7), rttMs: undefined });
  });

  it('reports each completed direct probe with its round trip and the ack payload when asked', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]], { reportProbes: true });
    const ping = probeUntil(a, 'B', 1000);
    a.receive(1030, addr(2), { type: 'ack', seqNo: ping.seqNo, payload: bytes(1, 2) });
    const [event] = a.eventsOf('probe');
    expect(event).toMatchObject({ rttMs: 30, payload: bytes(1, 2), member: { name: 'B', state: 'alive', rttMs: 30 } });
    const next = probeUntil(a, 'B', 2000);
    a.receive(2010, addr(2), { type: 'ack', seqNo: next.seqNo, payload: null });
    expect(a.eventsOf('probe')[1]).toMatchObject({ rttMs: 10, payload: new Uint8Array(0), member: { rttMs: 27.5 } });
  });

  it('neither reports nor records an ack that arrives after the indirect phase began (memberlist reports direct acks only)', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]], { reportProbes: true });
    const ping = probeUntil(a, 'B', 1000);
    a.fire('probe-timeout');
    const forwarded: PacketMessage = { type: 'ack', seqNo: ping.seqNo, payload: null };
    a.receive(1700, addr(3), forwarded);
    expect(a.core.member('B')).toMatchObject({ state: 'alive', rttMs: undefined });
    expect(a.eventsOf('probe')).toEqual([]);
  });
});
