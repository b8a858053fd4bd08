/**
 * In-band capability (issue 11, item 4): a node running the state layer announces feature bits in
 * its own alive and push/pull entry (`Hf`); a Go relay drops the key, so peers keep what they
 * learned and also learn it from the member's own copy at the same incarnation.
 */
import { describe, expect, it } from 'vitest';
import { encodeMessage } from '../../src/wire/codec.js';
import { alive, decode, nodeWithPeers, TestNode } from './helpers.js';

describe('hearsay feature bits in alive and push/pull', () => {
  it('a node with features announces them in its own alive and push/pull entry; without, it sends memberlist bytes', () => {
    const withState = nodeWithPeers('a', 1, [['b', 2]], { features: 1 });
    const aliveAboutA = withState.gossip(200).flatMap((s) => s.messages).find((m) => m.type === 'alive' && m.node === 'a');
    expect(aliveAboutA).toMatchObject({ type: 'alive', node: 'a', features: 1 });
    expect(withState.core.localState(false).nodes.find((e) => e.name === 'a')?.features).toBe(1);
    const plain = nodeWithPeers('c', 3, [['b', 2]]);
    const plainAlive = plain.gossip(200).flatMap((s) => s.messages).find((m) => m.type === 'alive' && m.node === 'c');
    expect(plainAlive).toBeDefined();
    expect('features' in plainAlive!).toBe(false);
    expect(plain.core.localState(false).nodes.find((e) => e.name === 'c')?.features).toBeUndefined();
  });

  it('peers learn the bits from an alive and keep them when a Go relay re-encodes it without the key', () => {
    const b = nodeWithPeers('b', 2, []);
    b.receive(0, '10.0.0.1:7946', alive('a', 1, 1, { features: 1 }));
    expect(b.core.memberFeatures('a')).toBe(1);
    b.receive(0, '10.0.0.3:7946', alive('a', 1, 2)); // relayed by Go: no Hf, newer incarnation
    expect(b.core.memberFeatures('a')).toBe(1);
    expect(b.core.localState(false).nodes.find((e) => e.name === 'a')?.features).toBe(1);
    expect(b.core.memberFeatures('nobody')).toBeUndefined();
    expect(b.core.memberFeatures('b')).toBe(0);
  });

  it('learns the bits from the member\'s own copy at an incarnation it already holds (first heard through Go)', () => {
    const b = nodeWithPeers('b', 2, []);
    b.receive(0, '10.0.0.3:7946', alive('a', 1, 3));
    expect(b.core.memberFeatures('a')).toBe(0);
    b.receive(0, '10.0.0.1:7946', alive('a', 1, 3, { features: 1 }));
    expect(b.core.memberFeatures('a')).toBe(1);
  });

  it('a push/pull entry carries the bits into the table', () => {
    const a = new TestNode('a', 1, { features: 1 }).start(0);
    const b = nodeWithPeers('b', 2, []);
    b.step((c, fx) => c.mergeRemoteState(0, a.core.localState(false), fx));
    expect(b.core.memberFeatures('a')).toBe(1);
  });

  it('the wire keeps Hf through encode and decode, and omits it when absent', () => {
    const base = alive('a', 1, 1);
    expect(decode(encodeMessage({ ...base, features: 5 }))[0]).toMatchObject({ features: 5 });
    const plain = decode(encodeMessage(base))[0]!;
    expect('features' in plain).toBe(false);
    expect(encodeMessage({ ...base, features: 1 }).length).toBe(encodeMessage(base).length + 4);
  });
});
