/**
 * Digest push/pull in the simulator (issue 12, item 2): real `Hearsay` nodes, streams encoded and
 * decoded as on a socket. Gossip is lost on purpose (every datagram into three nodes dropped for
 * 4 s while one node changes its metadata and another leaves), so only anti-entropy can repair
 * those three nodes' views; the cluster must converge, with digest push/pull doing the exchanges
 * between capable nodes and memberlist's push/pull only where a node has the option off.
 */
import { describe, expect, it } from 'vitest';
import type { Simulator } from '../../src/testing/simulator.js';
import { convergedCluster } from './helpers.js';

const N = 12;
const LOSSY = ['n3', 'n4', 'n5'];

/** Drops every datagram into the lossy nodes for `ms` (streams still pass), while n1 updates its metadata and n2 leaves. */
async function loseGossip(sim: Simulator, ms: number): Promise<void> {
  const address = new Map(sim.nodeInfo().map((n) => [n.name, n.address]));
  const set = (rate: number): void => {
    for (const to of LOSSY) for (const from of address.values()) sim.network.setLinkLoss(from, address.get(to)!, rate);
  };
  set(1);
  sim.setMetadata('n1', { v: '2' });
  sim.leave('n2');
  await sim.runFor(ms);
  set(0);
}

/** Whether every running node but n2 holds n1's new metadata and n2 as left. */
function repaired(sim: Simulator): boolean {
  const meta = sim.node('n1').localMember.metadata;
  return sim.runningNames().filter((n) => n !== 'n2').every((name) => {
    const view = sim.node(name).members({ state: 'all' });
    const n1 = view.find((m) => m.name === 'n1');
    return n1 !== undefined && Buffer.from(n1.metadata).equals(Buffer.from(meta)) && view.find((m) => m.name === 'n2')?.state === 'left';
  });
}

function streamBytes(sim: Simulator, kind: string): number {
  return sim.network.sent.byType.get(`stream:${kind}`)?.bytes ?? 0;
}

describe('digest push/pull repairs lost gossip', () => {
  for (const seed of [1, 2, 3]) {
    it(`an all-hearsay cluster converges after lost gossip through digest exchanges alone (seed ${seed})`, async () => {
      const sim = await convergedCluster(N, { seed, protocol: { pushPullIntervalMs: 3_000 } });
      const fullBefore = streamBytes(sim, 'push-pull');
      await loseGossip(sim, 4_000);
      // The lost gossip is spent by now: without anti-entropy the lossy nodes would never learn it (next test).
      expect(await sim.runUntil(() => repaired(sim), 30_000, 100), `seed ${seed}`).toBe(true);
      expect(streamBytes(sim, 'digest-push-pull')).toBeGreaterThan(0);
      // No exchange after the join was memberlist's push/pull: every node announced the digest bit.
      expect(streamBytes(sim, 'push-pull') - fullBefore).toBe(0);
    });
  }

  it('needs the anti-entropy: with push/pull off the same loss leaves the lossy nodes stale', async () => {
    const off = await convergedCluster(N, { seed: 1, protocol: { pushPullIntervalMs: 0 } });
    await loseGossip(off, 4_000);
    expect(await off.runUntil(() => repaired(off), 30_000, 100)).toBe(false);
  });

  it('a mixed cluster (a quarter with the option off) converges too; only exchanges with those nodes are full', async () => {
    const { Simulator: Sim } = await import('../../src/testing/simulator.js');
    const sim = new Sim({ seed: 4, protocol: { pushPullIntervalMs: 3_000 } });
    const offNodes = new Set(['n9', 'n10', 'n11']);
    for (let i = 0; i < N; i++) await sim.addNode(`n${i}`, { options: { digestPushPull: !offNodes.has(`n${i}`) } });
    for (let i = 1; i < N; i++) sim.at(sim.now + (i * 1000) / N, () => sim.join(`n${i}`, 'n0'));
    expect(await sim.runUntil(() => sim.allSee(N), 60_000, 10)).toBe(true);
    const offAddresses = new Set(sim.nodeInfo().filter((n) => offNodes.has(n.name)).map((n) => n.address));
    const fullBefore = streamBytes(sim, 'push-pull');
    await loseGossip(sim, 4_000);
    expect(await sim.runUntil(() => repaired(sim), 30_000, 100)).toBe(true);
    expect(streamBytes(sim, 'digest-push-pull')).toBeGreaterThan(0);
    expect(streamBytes(sim, 'push-pull') - fullBefore).toBeGreaterThan(0); // periodic exchanges with the off nodes
    // Capable nodes know the off nodes lack the bit, and the off nodes announce none.
    for (const name of ['n0', 'n3']) {
      for (const m of sim.node(name).members()) {
        if (m.name === name) continue;
        expect(((sim.core(name).memberFeatures(m.name) ?? 0) & 2) !== 0, `${name} about ${m.name}`).toBe(!offAddresses.has(m.address));
      }
    }
  });
});
