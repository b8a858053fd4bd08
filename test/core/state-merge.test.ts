import { describe, expect, it } from 'vitest';
import type { PacketMessage } from '../../src/wire/messages.js';
import { TestNode, addr, alive, dead, nodeWithPeers, suspect } from './helpers.js';

type Known = 'alive' | 'suspect' | 'dead' | 'left' | 'unknown';
type Kind = 'alive' | 'suspect' | 'dead' | 'left';

/** A (index 1) that knows B (index 2) in `state` at incarnation 5. */
function aWithB(state: Known): TestNode {
  const a = new TestNode('A', 1).start(0);
  if (state !== 'unknown') a.receive(0, addr(2), alive('B', 2, 5));
  if (state === 'suspect') a.receive(1, addr(3), suspect('B', 5, 'C'));
  if (state === 'dead') a.receive(1, addr(3), dead('B', 5, 'C'));
  if (state === 'left') a.receive(1, addr(2), dead('B', 5, 'B'));
  a.events.length = 0;
  return a;
}

function message(kind: Kind, inc: number): PacketMessage {
  switch (kind) {
    case 'alive':
      return alive('B', 2, inc);
    case 'suspect':
      return suspect('B', inc, 'D');
    case 'dead':
      return dead('B', inc, 'D');
    case 'left':
      return dead('B', inc, 'B');
  }
}

// [known state, message, incarnation (known is 5; unknown ignores it), expected state, expected inc, events]
const TABLE: [Known, Kind, number, Known, number, string[]][] = [
  ['alive', 'alive', 4, 'alive', 5, []],
  ['alive', 'alive', 5, 'alive', 5, []],
  ['alive', 'alive', 6, 'alive', 6, []],
  ['alive', 'suspect', 4, 'alive', 5, []],
  ['alive', 'suspect', 5, 'suspect', 5, ['suspect', 'suspicion']],
  ['alive', 'suspect', 6, 'suspect', 6, ['suspect', 'suspicion']],
  ['alive', 'dead', 4, 'alive', 5, []],
  ['alive', 'dead', 5, 'dead', 5, ['fail']],
  ['alive', 'dead', 6, 'dead', 6, ['fail']],
  ['alive', 'left', 4, 'alive', 5, []],
  ['alive', 'left', 5, 'left', 5, ['leave']],
  ['alive', 'left', 6, 'left', 6, ['leave']],

  ['suspect', 'alive', 4, 'suspect', 5, []],
  ['suspect', 'alive', 5, 'suspect', 5, []],
  ['suspect', 'alive', 6, 'alive', 6, ['alive']],
  ['suspect', 'suspect', 4, 'suspect', 5, []],
  ['suspect', 'suspect', 5, 'suspect', 5, []], // a confirmation, not a transition
  ['suspect', 'suspect', 6, 'suspect', 5, []], // Go confirms without taking the incarnation
  ['suspect', 'dead', 4, 'suspect', 5, []],
  ['suspect', 'dead', 5, 'dead', 5, ['fail']],
  ['suspect', 'dead', 6, 'dead', 6, ['fail']],
  ['suspect', 'left', 4, 'suspect', 5, []],
  ['suspect', 'left', 5, 'left', 5, ['leave']],
  ['suspect', 'left', 6, 'left', 6, ['leave']],

  ['dead', 'alive', 4, 'dead', 5, []],
  ['dead', 'alive', 5, 'dead', 5, []],
  ['dead', 'alive', 6, 'alive', 6, ['join']],
  ['dead', 'suspect', 4, 'dead', 5, []],
  ['dead', 'suspect', 5, 'dead', 5, []],
  ['dead', 'suspect', 6, 'dead', 5, []],
  ['dead', 'dead', 5, 'dead', 5, []],
  ['dead', 'dead', 6, 'dead', 5, []],
  ['dead', 'left', 6, 'dead', 5, []],

  ['left', 'alive', 4, 'left', 5, []],
  ['left', 'alive', 5, 'left', 5, []],
  ['left', 'alive', 6, 'alive', 6, ['join']],
  ['left', 'suspect', 6, 'left', 5, []],
  ['left', 'dead', 6, 'left', 5, []],
  ['left', 'left', 6, 'left', 5, []],

  ['unknown', 'alive', 1, 'alive', 1, ['join']],
  ['unknown', 'alive', 7, 'alive', 7, ['join']],
  ['unknown', 'suspect', 5, 'unknown', 0, []],
  ['unknown', 'dead', 5, 'unknown', 0, []],
  ['unknown', 'left', 5, 'unknown', 0, []],
];

describe('incarnation precedence (reference §5)', () => {
  it.each(TABLE)('a member known %s, given %s at incarnation %i, ends %s at %i emitting %j', (known, kind, inc, state, expInc, events) => {
    const a = aWithB(known);
    a.receive(10, addr(4), message(kind, inc));
    const b = a.core.member('B');
    if (state === 'unknown') expect(b).toBeUndefined();
    else {
      expect(b?.state).toBe(state);
      expect(b?.incarnation).toBe(expInc);
    }
    expect(a.events.map((e) => e.type).filter((t) => t !== 'broadcast-done')).toEqual(events);
    // Exactly once: the same message again changes nothing and emits nothing.
    a.events.length = 0;
    a.receive(11, addr(4), message(kind, inc));
    expect(a.events.filter((e) => e.type !== 'broadcast-done')).toEqual([]);
  });

  it('re-gossips what it accepts and not what it ignores', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]]);
    // Drain the initial alives from the queue.
    for (let t = 0; t < 20; t++) a.gossip(1000 + t);
    a.receive(2000, addr(3), suspect('B', 0, 'C')); // stale: ignored
    expect(a.gossip(2001)).toEqual([]);
    a.receive(2002, addr(3), suspect('B', 1, 'C'));
    const sent = a.gossip(2003).flatMap((s) => s.messages);
    expect(sent).toContainEqual(suspect('B', 1, 'C'));
  });

  it('counts an older incarnation as a stale drop', () => {
    const a = aWithB('alive');
    a.receive(10, addr(2), alive('B', 2, 3));
    expect(a.drops()).toEqual(['stale']);
  });
});

describe('alive handling', () => {
  it('emits update with the previous snapshot when metadata changes', () => {
    const a = aWithB('alive');
    a.receive(10, addr(2), alive('B', 2, 6, { meta: Uint8Array.of(0xff, 0x81, 0xa1, 0x6b, 0xa1, 0x76) }));
    const [u] = a.eventsOf('update');
    expect(u?.previous.metadata).toEqual(new Uint8Array(0));
    expect(u?.member.tags).toEqual({ k: 'v' });
    expect(u?.member.incarnation).toBe(6);
    expect(a.events.map((e) => e.type)).toEqual(['update']);
  });

  it('drops an alive with a different address for a live member as a conflict', () => {
    const a = aWithB('alive');
    a.receive(10, addr(9), alive('B', 9, 99));
    expect(a.drops()).toEqual(['conflict']);
    expect(a.core.member('B')?.address).toBe(addr(2));
    expect(a.core.member('B')?.incarnation).toBe(5);
  });

  it('drops a new address for a dead member unless deadNodeReclaimMs has passed', () => {
    const a = aWithB('dead');
    a.receive(10, addr(9), alive('B', 9, 1));
    expect(a.drops()).toEqual(['conflict']);

    const r = new TestNode('A', 1, { deadNodeReclaimMs: 1000 }).start(0);
    r.receive(0, addr(2), alive('B', 2, 5));
    r.receive(100, addr(3), dead('B', 5, 'C'));
    r.receive(1000, addr(9), alive('B', 9, 1));
    expect(r.drops()).toEqual(['conflict']); // dead only 900 ms
    r.receive(1101, addr(9), alive('B', 9, 1));
    expect(r.core.member('B')).toMatchObject({ state: 'alive', address: addr(9), incarnation: 1 });
    expect(r.eventsOf('join').at(-1)?.member.address).toBe(addr(9));
  });

  it('lets a left member come back at a new address, even with a lower incarnation', () => {
    const a = aWithB('left');
    a.receive(10, addr(9), alive('B', 9, 1));
    expect(a.core.member('B')).toMatchObject({ state: 'alive', address: addr(9), incarnation: 1 });
    expect(a.events.map((e) => e.type)).toEqual(['join']);
  });

  it.each([
    ['pmin 0', Uint8Array.of(0, 5, 2, 0, 0, 0)],
    ['pmax 0', Uint8Array.of(1, 0, 2, 0, 0, 0)],
    ['pmin > pmax', Uint8Array.of(4, 3, 3, 0, 0, 0)],
  ])('ignores an alive whose Vsn has %s', (_why, vsn) => {
    const a = new TestNode('A', 1).start(0);
    a.receive(0, addr(2), alive('B', 2, 1, { vsn }));
    expect(a.core.member('B')).toBeUndefined();
    expect(a.drops()).toEqual(['bad-vsn']);
  });

  it('accepts an alive without Vsn and records zero versions', () => {
    const a = new TestNode('A', 1).start(0);
    a.receive(0, addr(2), alive('B', 2, 1, { vsn: new Uint8Array(0) }));
    expect(a.core.member('B')?.versions.protocolMax).toBe(0);
  });

  it('keeps an alive at incarnation 0 for a new node as a never-alive entry, as Go does', () => {
    const a = new TestNode('A', 1).start(0);
    a.receive(0, addr(2), alive('B', 2, 0));
    expect(a.core.member('B')?.state).toBe('dead');
    expect(a.events.filter((e) => e.type === 'join')).toEqual([]);
    expect(a.core.numMembers()).toBe(2);
  });
});

describe('suspicion timers', () => {
  it('declares a suspect dead when its timer fires, and ignores the timer after a refutation', () => {
    const a = aWithB('alive');
    a.receive(10, addr(3), suspect('B', 5, 'C'));
    const t = a.take('suspicion-timeout');
    expect(t.dueAt).toBe(10 + 4000); // n = 2: k = 0, min 4 s
    a.step((c, fx) => c.handleTimer(t.dueAt, t, fx));
    expect(a.core.member('B')?.state).toBe('dead');
    expect(a.eventsOf('fail')).toHaveLength(1);

    const b = aWithB('alive');
    b.receive(10, addr(3), suspect('B', 5, 'C'));
    const stale = b.take('suspicion-timeout');
    b.receive(20, addr(2), alive('B', 2, 6));
    b.step((c, fx) => c.handleTimer(stale.dueAt, stale, fx));
    expect(b.core.member('B')?.state).toBe('alive');
    expect(b.eventsOf('fail')).toHaveLength(0);
  });

  it('shortens the timer on independent confirmations and re-gossips only those, up to k', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4], ['E', 5]]); // n = 5: k = 2, min 4 s, max 24 s
    for (let t = 0; t < 20; t++) a.gossip(1000 + t);
    a.receive(2000, addr(3), suspect('B', 1, 'C'));
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 24000);
    a.receive(3000, addr(3), suspect('B', 1, 'C')); // the accuser again: nothing
    expect(a.has('suspicion-timeout')).toBe(false);
    a.receive(3000, addr(4), suspect('B', 1, 'D'));
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 11381);
    a.receive(4000, addr(5), suspect('B', 1, 'E'));
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 4000);
    a.receive(4500, addr(1), suspect('B', 1, 'F')); // past k: ignored
    expect(a.has('suspicion-timeout')).toBe(false);
    const gossiped = [];
    for (let t = 0; t < 20; t++) gossiped.push(...a.gossip(5000 + t).flatMap((s) => s.messages));
    const froms = new Set(gossiped.filter((m) => m.type === 'suspect').map((m) => (m as { from: string }).from));
    // The queue holds one message per member: the latest confirmation replaced the earlier ones.
    expect([...froms]).toEqual(['E']);
    expect(a.core.member('B')?.state).toBe('suspect');
    expect(a.eventsOf('suspect')).toHaveLength(1);
  });

  it('fires at once when a confirmation arrives after the shortened timeout has already passed', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4], ['E', 5]]);
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    a.take('suspicion-timeout');
    a.receive(20_000, addr(4), suspect('B', 1, 'D')); // 11381 − 20000 < 0
    const t = a.take('suspicion-timeout');
    expect(a.last.schedules.at(-1)?.afterMs).toBe(0);
    a.step((c, fx) => c.handleTimer(20_000, t, fx));
    expect(a.core.member('B')?.state).toBe('dead');
  });
});

describe('refutation', () => {
  it('refutes a suspicion about us by bumping the incarnation above the accuser', () => {
    const a = new TestNode('A', 1).start(0);
    expect(a.core.incarnation).toBe(1);
    a.receive(10, addr(2), suspect('A', 1, 'B'));
    expect(a.core.incarnation).toBe(2);
    expect(a.core.healthScore).toBe(1);
    expect(a.eventsOf('self:refute')).toEqual([{ type: 'self:refute', incarnation: 2, accuser: 'B', accusation: 'suspect' }]);
    expect(a.core.localMember.state).toBe('alive');
    a.receive(20, addr(2), suspect('A', 10, 'B'));
    expect(a.core.incarnation).toBe(11);
    const sent = a.gossip(30);
    expect(sent).toEqual([]); // nobody to gossip to; check the queue through a ping reply instead
    a.receive(40, addr(2), { type: 'ping', seqNo: 9, node: 'A' });
    const msgs = a.sent().flatMap((s) => s.messages);
    expect(msgs).toContainEqual(expect.objectContaining({ type: 'alive', node: 'A', incarnation: 11 }));
  });

  it('refutes a dead message about us unless leaving', () => {
    const a = new TestNode('A', 1).start(0);
    a.receive(10, addr(2), dead('A', 1, 'B'));
    expect(a.core.incarnation).toBe(2);
    expect(a.core.localMember.state).toBe('alive');
    expect(a.eventsOf('self:refute')[0]?.accusation).toBe('dead');
  });

  it('refutes an alive about us with a newer incarnation, or the same one with other meta', () => {
    const a = new TestNode('A', 1).start(0);
    a.receive(10, addr(2), alive('A', 1, 1)); // identical: nothing
    expect(a.core.incarnation).toBe(1);
    a.receive(10, addr(2), alive('A', 1, 1, { meta: Uint8Array.of(1) }));
    expect(a.core.incarnation).toBe(2);
    a.receive(10, addr(2), alive('A', 1, 7)); // restart catch-up: others remember 7
    expect(a.core.incarnation).toBe(8);
    expect(a.eventsOf('self:refute').map((e) => e.accusation)).toEqual(['alive', 'alive']);
    expect(a.events.filter((e) => ['join', 'update', 'alive'].includes(e.type))).toEqual([]);
  });

  it('refuses to refute rather than wrap past 2^32 − 1', () => {
    const a = new TestNode('A', 1).start(0);
    a.receive(10, addr(2), suspect('A', 0xffffffff, 'B'));
    expect(a.core.incarnation).toBe(1);
    expect(a.drops()).toEqual(['incarnation-exhausted']);
    expect(a.eventsOf('self:refute')).toEqual([]);

    const b = new TestNode('B', 2).start(0);
    b.receive(10, addr(1), suspect('B', 0xfffffffe, 'A'));
    expect(b.core.incarnation).toBe(0xffffffff);
    b.receive(20, addr(1), suspect('B', 0xffffffff, 'A'));
    expect(b.core.incarnation).toBe(0xffffffff);
    expect(b.drops()).toEqual(['incarnation-exhausted']);
    expect(() => b.step((c, fx) => c.setMetadata(30, Uint8Array.of(1), fx, 1))).toThrow(RangeError);
  });
});
