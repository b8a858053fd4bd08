/**
 * Partitions heal without collateral deaths (docs/architecture.md): silent probes, isolation
 * episodes, held verdicts, telling suspects, and whose accusations count.
 */
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../src/observability.js';
import { FailedMembers } from '../../src/core/reconnect.js';
import type { MemberFields } from '../../src/core/member-record.js';
import { MemberTable, memberEntry } from '../../src/core/members.js';
import { seededRandom } from '../../src/core/random.js';
import { AccuserTrust } from '../../src/core/trust.js';
import { NodeStateNumber, type PacketMessage, type PingMessage, type PushPullMessage } from '../../src/wire/messages.js';
import { addr, alive, config, dead, nodeWithPeers, suspect, type Sent, type TestNode } from './helpers.js';

const PEERS: [string, number][] = [
  ['B', 2],
  ['C', 3],
  ['D', 4],
  ['E', 5],
  ['F', 6],
  ['G', 7],
];

/** A with B…G (n = 7: k = 2, suspicion min 4 s, max 24 s), no TCP fallback. */
function cluster(): TestNode {
  return nodeWithPeers('A', 1, PEERS, { disableTcpPings: true });
}

function messages(sent: Sent[]): { to: string; msg: PacketMessage }[] {
  return sent.flatMap((s) => s.messages.map((msg) => ({ to: s.to, msg })));
}

/** Fires A's probe tick at `now` and returns the ping it sent. */
function tick(a: TestNode, now: number): PingMessage {
  a.fire('probe-tick', now);
  const ping = messages(a.sent()).find((m) => m.msg.type === 'ping')?.msg as PingMessage | undefined;
  if (ping === undefined) throw new Error('no probe started');
  return ping;
}

/** Probes from `now` until a probe of `target` starts (other targets answer). */
function probeOf(a: TestNode, target: string, now: number): PingMessage {
  for (let i = 0; i < 10; i++) {
    const ping = tick(a, now);
    if (ping.node === target) return ping;
    a.receive(now, addr(9), { type: 'ack', seqNo: ping.seqNo, payload: null });
  }
  throw new Error(`never probed ${target}`);
}

/** Lets the probe in flight fail: relays asked, `nacks` of them answer, the interval ends. */
function failProbe(a: TestNode, ping: PingMessage, nacks: number): void {
  a.fire('probe-timeout');
  const end = a.timers.filter((t) => t.timer.type === 'probe-end').at(-1)!.timer.dueAt;
  for (let i = 0; i < nacks; i++) a.receive(end - 1, addr(3), { type: 'nack', seqNo: ping.seqNo });
  a.fire('probe-end');
}

describe('a probe nobody answers, relays included', () => {
  it('raises an unverified suspicion: its timeout holds it, our next probe goes to it, and its ack withdraws it', () => {
    const a = cluster();
    const ping = probeOf(a, 'B', 1000);
    failProbe(a, ping, 0);
    expect(a.core.member('B')?.state).toBe('suspect');
    a.events.length = 0;
    a.fire('suspicion-timeout');
    // memberlist would declare B dead here, at B's current incarnation.
    expect(a.core.member('B')?.state).toBe('suspect');
    expect(a.eventsOf('fail')).toEqual([]);
    const verify = tick(a, 30_000);
    expect(verify.node).toBe('B');
    a.receive(30_010, addr(2), { type: 'ack', seqNo: verify.seqNo, payload: null });
    expect(a.core.member('B')?.state).toBe('alive');
    expect(a.core.member('B')?.incarnation).toBe(1);
    expect(a.events.map((e) => e.type)).toContain('alive');
    expect(a.eventsOf('fail')).toEqual([]);
  });

  it('is declared dead at once when the verifying probe fails with the relays answering (a real crash)', () => {
    const a = cluster();
    failProbe(a, probeOf(a, 'B', 1000), 0);
    a.fire('suspicion-timeout');
    const verify = tick(a, 30_000);
    expect(verify.node).toBe('B');
    failProbe(a, verify, 1);
    expect(a.core.member('B')?.state).toBe('dead');
    expect(a.eventsOf('fail').map((e) => e.member.name)).toEqual(['B']);
  });

  it('counts a nack that lands just after the probe ended (the health-0 race): the suspicion is verified after all', () => {
    const a = cluster();
    const ping = probeOf(a, 'B', 1000);
    failProbe(a, ping, 0);
    a.receive(2003, addr(3), { type: 'nack', seqNo: ping.seqNo });
    a.fire('suspicion-timeout');
    expect(a.core.member('B')?.state).toBe('dead');
  });

  it('leaves a probe the relays answered as it was: its suspicion expires into dead', () => {
    const a = cluster();
    failProbe(a, probeOf(a, 'B', 1000), 1);
    a.fire('suspicion-timeout');
    expect(a.core.member('B')?.state).toBe('dead');
  });
});

describe('isolation', () => {
  it('starts at the second silent probe in a row, ends at the first answer, and is reported once with its start, end and duration', () => {
    const a = cluster();
    const first = probeOf(a, 'B', 1000);
    failProbe(a, first, 0);
    const second = tick(a, 5000);
    failProbe(a, second, 0);
    expect(a.eventsOf('self:isolated')).toEqual([]);
    a.receive(9000, addr(3), { type: 'ack', seqNo: 12345, payload: null }); // any answer at all
    expect(a.eventsOf('self:isolated')).toEqual([{ type: 'self:isolated', startedAt: 1000, endedAt: 9000, durationMs: 8000 }]);
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ kind: 'increment', name: METRIC.isolations, value: 1 }));
    // Our suspect gossip went nowhere: each suspect is told directly, so a live one refutes now.
    const told = messages(a.sent()).filter((m) => m.msg.type === 'suspect');
    const suspects = [first.node, second.node];
    expect(told.map((m) => (m.msg as { node: string }).node).sort()).toEqual([...new Set(suspects)].sort());
    for (const m of told) expect(m.to).toBe(addr(PEERS.find(([n]) => n === (m.msg as { node: string }).node)![1]));
    a.receive(9100, addr(4), { type: 'ack', seqNo: 12346, payload: null });
    expect(a.eventsOf('self:isolated')).toHaveLength(1);
  });

  it('ends when a peer reaches us over a stream, too', () => {
    const a = cluster();
    failProbe(a, probeOf(a, 'B', 1000), 0);
    failProbe(a, tick(a, 5000), 0);
    a.step((c, fx) => c.handleStream(9000, addr(3), { type: 'push-pull', join: false, nodes: [], userState: new Uint8Array(0) }, fx));
    expect(a.eventsOf('self:isolated')).toHaveLength(1);
  });

  it('is not one silent probe alone', () => {
    const a = cluster();
    failProbe(a, probeOf(a, 'B', 1000), 0);
    a.receive(3000, addr(3), { type: 'ack', seqNo: 1, payload: null });
    expect(a.eventsOf('self:isolated')).toEqual([]);
  });

  it('is not silent probes with a member reaching us in between (a 50/50 split: targets and relays all across it)', () => {
    const a = cluster();
    failProbe(a, probeOf(a, 'B', 1000), 0);
    // A member on our side of the split probes us (or gossips): we are not cut off, whoever we picked.
    a.receive(3000, addr(7), { type: 'ping', seqNo: 77, node: 'A' });
    failProbe(a, tick(a, 5000), 0);
    expect(a.eventsOf('self:isolated')).toEqual([]);
    a.receive(9000, addr(3), { type: 'ack', seqNo: 12345, payload: null });
    expect(a.eventsOf('self:isolated')).toEqual([]);
  });

  it('asks the peer that last reached us as one relay of the probe after a silent one', () => {
    // 20 peers (P2…P21): 3 random relays of 18 would miss P21 most of the time.
    const a = nodeWithPeers('A', 1, Array.from({ length: 20 }, (_, i): [string, number] => [`P${i + 2}`, i + 2]), { disableTcpPings: true });
    const first = tick(a, 1000);
    a.receive(1100, addr(21), alive('P21', 21, 1)); // P21 gossips to us (our own side of a split)
    failProbe(a, first, 0);
    expect(tick(a, 5000).node).not.toBe('P21');
    a.fire('probe-timeout');
    const relays = messages(a.sent()).filter((m) => m.msg.type === 'indirect-ping').map((m) => m.to);
    expect(relays).toHaveLength(3);
    expect(relays).toContain(addr(21));
  });

  it('holds a suspicion heard before it began: the gossip may have been refuted where we could not hear', () => {
    const a = cluster();
    a.receive(500, addr(3), suspect('D', 1, 'C'));
    const d = a.take('suspicion-timeout', (t) => t.type === 'suspicion-timeout' && t.node === 'D');
    // Two silent probes, of anyone but D.
    for (const now of [1000, 5000]) {
      let ping = tick(a, now);
      while (ping.node === 'D') {
        a.receive(now, addr(4), { type: 'ack', seqNo: ping.seqNo, payload: null });
        ping = tick(a, now);
      }
      failProbe(a, ping, 0);
    }
    a.step((c, fx) => c.handleTimer(d.dueAt, d, fx));
    expect(a.core.member('D')?.state).toBe('suspect');
    expect(a.eventsOf('fail').map((e) => e.member.name)).not.toContain('D');
  });
});

describe('whose accusations count', () => {
  it('takes a dead from an accuser we hold dead as a suspicion at most, which its timeout does not turn into a death', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('B', 1, 'C'));
    expect(a.core.member('B')?.state).toBe('dead');
    a.events.length = 0;
    a.receive(200, addr(2), dead('D', 1, 'B'));
    expect(a.core.member('D')?.state).toBe('suspect');
    expect(a.eventsOf('fail')).toEqual([]);
    a.fire('suspicion-timeout');
    expect(a.core.member('D')?.state).toBe('suspect');
  });

  it('distrusts an accuser that came back for one maximum suspicion timeout, then trusts it again', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('B', 1, 'C'));
    a.receive(1000, addr(2), alive('B', 2, 2)); // B refutes: back
    a.receive(2000, addr(2), dead('D', 1, 'B'));
    expect(a.core.member('D')?.state).toBe('suspect');
    a.receive(1000 + 24_000, addr(2), dead('C', 1, 'B')); // n = 7: max 24 s
    expect(a.core.member('C')?.state).toBe('dead');
  });

  it('does not count a suspect from a distrusted accuser as a confirmation', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('B', 1, 'C'));
    a.receive(200, addr(3), suspect('D', 1, 'C'));
    a.take('suspicion-timeout');
    a.receive(300, addr(2), suspect('D', 1, 'B'));
    expect(a.last.schedules).toEqual([]);
  });

  it('applies a dead from a trusted accuser at once, as memberlist', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('D', 1, 'C'));
    expect(a.core.member('D')?.state).toBe('dead');
    expect(a.eventsOf('fail')).toHaveLength(1);
  });

  it('distrusts a member remembered as failed that rejoins as a new entry', () => {
    const cfg = config('A', 1);
    const members = new MemberTable();
    const failed = new FailedMembers();
    const trust = new AccuserTrust({ config: cfg, members, failed });
    const fields: MemberFields = { name: 'B', addr: Uint8Array.of(10, 0, 0, 2), port: 7946, address: addr(2), meta: new Uint8Array(0), vsn: new Uint8Array(6), incarnation: 1, state: 'dead', features: undefined };
    failed.remember(memberEntry(fields, 0), 100);
    members.add(memberEntry({ ...fields, state: 'alive' }, 0), seededRandom(1));
    trust.noteUp('B', 1000, true);
    expect(trust.distrusts('B', 1000)).toBe(true);
    trust.noteUp('E', 1000, true); // never failed: a plain join
    members.add(memberEntry({ ...fields, name: 'E', state: 'alive' }, 0), seededRandom(1));
    expect(trust.distrusts('E', 1000)).toBe(false);
    expect(trust.distrusts('A', 1000)).toBe(false);
  });
});

describe('accused ourselves', () => {
  it('tells each member we suspect, once: those who could not reach us were likely out of our reach too', () => {
    const a = cluster();
    a.receive(100, addr(3), suspect('B', 1, 'C'));
    a.receive(200, addr(3), suspect('A', 1, 'C'));
    expect(a.eventsOf('self:refute')).toHaveLength(1);
    expect(messages(a.sent()).filter((m) => m.msg.type === 'suspect')).toEqual([{ to: addr(2), msg: suspect('B', 1, 'C') }]);
    a.receive(300, addr(3), suspect('A', 2, 'C'));
    expect(messages(a.sent()).filter((m) => m.msg.type === 'suspect')).toEqual([]);
  });
});

describe('a member back from dead', () => {
  /** A's table as B, back from a cut, would send it: B alive at 2, and what B still accuses. */
  function staleState(a: TestNode, accusations: Record<string, 'suspect' | 'dead'>): PushPullMessage {
    const state = a.core.localState(false);
    const number = { suspect: NodeStateNumber.suspect, dead: NodeStateNumber.dead };
    return {
      ...state,
      nodes: state.nodes.map((n) => {
        if (n.name === 'B') return { ...n, state: NodeStateNumber.alive, incarnation: 2 };
        const accused = accusations[n.name];
        return accused === undefined ? { ...n, state: NodeStateNumber.alive } : { ...n, state: number[accused] };
      }),
    };
  }

  it('is asked what it still suspects: we refute what is about us and tell each other accused, suspecting nobody ourselves', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('B', 1, 'C'));
    a.receive(25_000, addr(2), alive('B', 2, 2)); // B refutes its death: it was cut off
    const ask = a.last.streams.find((s) => s.request.type === 'push-pull');
    expect(ask, 'a push/pull with B as it comes back').toMatchObject({ to: addr(2), request: { type: 'push-pull', join: false } });
    a.events.length = 0;
    a.step((c, fx) => c.handleStreamResult(25_050, ask!.id, staleState(a, { A: 'suspect', D: 'suspect', E: 'dead' }), fx));
    expect(a.eventsOf('self:refute')).toHaveLength(1);
    // D and E are told directly (a suspect about themselves, from B) so they refute before B's
    // timeouts run out; we do not suspect them on B's word.
    const told = messages(a.sent())
      .filter((m) => m.msg.type === 'suspect')
      .sort((x, y) => x.to.localeCompare(y.to));
    expect(told).toEqual([
      { to: addr(4), msg: suspect('D', 1, 'B') },
      { to: addr(5), msg: suspect('E', 1, 'B') },
    ]);
    expect(a.eventsOf('suspect')).toEqual([]);
    expect(['D', 'E'].map((n) => a.core.member(n)?.state)).toEqual(['alive', 'alive']);
  });

  it('asks one comeback per push/pull interval, and never a member that merely joined', () => {
    const a = cluster();
    a.receive(100, addr(3), dead('B', 1, 'C'));
    a.receive(200, addr(3), dead('D', 1, 'C'));
    a.receive(1000, addr(2), alive('B', 2, 2));
    expect(a.last.streams).toHaveLength(1);
    a.receive(2000, addr(4), alive('D', 4, 2));
    expect(a.last.streams).toEqual([]);
    a.receive(3000, addr(9), alive('N', 9, 1)); // a new member: nothing to ask
    expect(a.last.streams).toEqual([]);
    a.receive(200, addr(3), dead('D', 2, 'C'));
    a.receive(1000 + 30_000, addr(4), alive('D', 4, 3)); // next interval (n = 8: 30 s)
    expect(a.last.streams).toHaveLength(1);
  });
});
