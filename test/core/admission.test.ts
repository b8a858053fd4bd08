/**
 * The admission hook in the core (issue 9; memberlist `AliveDelegate` / `MergeDelegate`): per
 * member on gossip and periodic push/pull, the whole exchange on a join, asked once per claim.
 */
import { describe, expect, it } from 'vitest';
import type { AdmitFn } from '../../src/core/admission.js';
import type { MemberSnapshot } from '../../src/events.js';
import type { AdmissionVia } from '../../src/hooks/admission.js';
import { NodeStateNumber, type PushNodeState, type PushPullMessage } from '../../src/wire/messages.js';
import { TestNode, VSN, addr, alive, dead, ip, nodeWithPeers } from './helpers.js';

function state(name: string, i: number, st: PushNodeState['state'], incarnation = 1, meta: Uint8Array | null = null): PushNodeState {
  return { name, addr: ip(i), port: 7946, meta, incarnation, state: st, vsn: VSN };
}
function pushPull(join: boolean, ...nodes: PushNodeState[]): PushPullMessage {
  return { type: 'push-pull', join, nodes, userState: new Uint8Array(0) };
}

/** A hook vetoing the names in `banned` (reason "banned"), recording every call. */
function hook(...banned: string[]): { admit: AdmitFn; calls: { name: string; via: AdmissionVia; member: MemberSnapshot }[] } {
  const calls: { name: string; via: AdmissionVia; member: MemberSnapshot }[] = [];
  return {
    calls,
    admit: (member, via) => {
      calls.push({ name: member.name, via, member });
      return banned.includes(member.name) ? 'banned' : undefined;
    },
  };
}

function vetoes(a: TestNode): (string | undefined)[] {
  return a.last.metrics.filter((m) => m.name === 'hearsay_admission_vetoes_total').map((m) => m.labels?.['via']);
}

const META = Uint8Array.of(0xff, 0x81, 0xa1, 0x6b, 0xa1, 0x76);

describe('admission on gossip: per member', () => {
  it('keeps a vetoed newcomer out, asks once per incarnation, and lets an admitted one in', () => {
    const h = hook('X');
    const a = nodeWithPeers('A', 1, [['B', 2]], { admit: h.admit });
    h.calls.length = 0;
    a.receive(10, addr(2), alive('X', 9, 1, { meta: META }));
    expect(a.core.member('X')).toBeUndefined();
    expect(a.events).toEqual([]);
    expect(vetoes(a)).toEqual(['gossip']);
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]).toMatchObject({ via: 'gossip', member: { name: 'X', address: addr(9), state: 'alive', incarnation: 1, tags: { k: 'v' } } });
    // Retransmits of the same alive: not asked again, dropped as vetoed.
    a.receive(20, addr(2), alive('X', 9, 1));
    expect(h.calls).toHaveLength(1);
    expect(a.drops()).toEqual(['vetoed']);
    // A higher incarnation is a new claim: asked again.
    a.receive(30, addr(2), alive('X', 9, 2));
    expect(h.calls).toHaveLength(2);
    // Someone the hook admits joins as usual.
    a.receive(40, addr(2), alive('Y', 8, 1));
    expect(a.eventsOf('join').map((e) => e.member.name)).toEqual(['Y']);
  });

  it('asks about changed metadata and comebacks, not about refreshes or ourselves', () => {
    const h = hook();
    const a = nodeWithPeers('A', 1, [['B', 2]], { admit: h.admit });
    expect(h.calls.map((c) => c.name)).toEqual(['B']); // B was new once
    h.calls.length = 0;
    a.receive(10, addr(2), alive('B', 2, 2)); // a refresh: same address and metadata
    a.receive(10, addr(2), alive('A', 1, 1)); // ourselves
    expect(h.calls).toEqual([]);
    a.receive(20, addr(2), alive('B', 2, 3, { meta: META }));
    expect(h.calls.map((c) => c.name)).toEqual(['B']);
    a.receive(30, addr(3), dead('B', 3, 'C'));
    a.receive(40, addr(2), alive('B', 2, 4, { meta: META }));
    expect(h.calls.map((c) => c.name)).toEqual(['B', 'B']);
  });

  it('keeps the old metadata when a change is vetoed', () => {
    let veto = false;
    const a = nodeWithPeers('A', 1, [['B', 2]], { admit: () => (veto ? 'no new tags' : undefined) });
    veto = true;
    a.receive(10, addr(2), alive('B', 2, 2, { meta: META }));
    expect(a.core.member('B')).toMatchObject({ incarnation: 1, tags: undefined });
    expect(a.events).toEqual([]);
  });
});

describe('admission on push/pull', () => {
  it('filters a periodic exchange member by member', () => {
    const h = hook('X');
    const a = nodeWithPeers('A', 1, [['B', 2]], { admit: h.admit });
    a.step((c, fx) => c.mergeRemoteState(10, pushPull(false, state('B', 2, NodeStateNumber.alive), state('X', 9, NodeStateNumber.alive), state('Y', 8, NodeStateNumber.alive)), fx));
    expect(a.core.members().map((m) => m.name).sort()).toEqual(['A', 'B', 'Y']);
    expect(vetoes(a)).toEqual(['push-pull']);
    expect(h.calls.filter((c) => c.via === 'push-pull').map((c) => c.name)).toEqual(['X', 'Y']);
  });

  it('as a seed, refuses a whole join with an error reply naming the member and the reason, merging nothing', () => {
    const h = hook('J');
    const seed = nodeWithPeers('S', 2, [['B', 3]], { admit: h.admit });
    const reply = seed.step((c, fx) => c.handleStream(0, '10.0.0.9:40000', pushPull(true, state('J', 9, NodeStateNumber.alive), state('K', 8, NodeStateNumber.alive)), fx));
    expect(reply).toEqual({ type: 'error', error: `join refused by admission: member "J" (${addr(9)}): banned` });
    expect(seed.core.members().map((m) => m.name).sort()).toEqual(['B', 'S']);
    expect(vetoes(seed)).toEqual(['join']);
    expect(seed.last.metrics.filter((m) => m.name === 'hearsay_push_pulls_total').map((m) => m.labels?.['outcome'])).toEqual(['rejected']);
  });

  it('as a seed, merges an admitted join asking once per member', () => {
    const h = hook();
    const seed = nodeWithPeers('S', 2, [['B', 3]], { admit: h.admit });
    h.calls.length = 0;
    const reply = seed.step((c, fx) => c.handleStream(0, '10.0.0.9:40000', pushPull(true, state('J', 9, NodeStateNumber.alive), state('K', 8, NodeStateNumber.alive)), fx));
    expect(reply?.type).toBe('push-pull');
    expect(seed.core.members().map((m) => m.name).sort()).toEqual(['B', 'J', 'K', 'S']);
    expect(h.calls.map((c) => `${c.name}/${c.via}`)).toEqual(['J/join', 'K/join']);
  });

  it('as a joiner, refuses a whole seed reply holding a member it vetoes', () => {
    const h = hook('X');
    const a = new TestNode('A', 1, { admit: h.admit }).start(0);
    a.events.length = 0;
    const out = a.step((c, fx) => c.mergeJoinReply(10, pushPull(true, state('S', 2, NodeStateNumber.alive), state('X', 9, NodeStateNumber.alive)), fx));
    expect(out).toEqual({ kind: 'refused', member: 'X', address: addr(9), reason: 'banned' });
    expect(a.core.members().map((m) => m.name)).toEqual(['A']);
    expect(a.events).toEqual([]);
    expect(vetoes(a)).toEqual(['join']);
  });
});
