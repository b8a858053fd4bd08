import { describe, expect, it } from 'vitest';
import { local } from '../../src/options.js';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
import { Simulator } from '../../src/testing/simulator.js';
import { allSee, convergedCluster, eventsAbout, sealedVariants } from './helpers.js';

const SEEDS = testSeeds([1, 2]);
const N = 100;
const VARIANTS = sealedVariants(SEEDS);

describe.each(VARIANTS)('N = 100 on virtual time (seed $seed, $variant)', ({ seed, node }) => {
  it('converges after staggered joins', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(N, { seed, node });
      expect(allSee(sim, N)).toBe(true);
      // Each node saw one join per peer, no more.
      expect(sim.log.filter((e) => e.event.type === 'join')).toHaveLength(N * (N - 1));
    });
  });

  it('detects a crash at every node within the suspicion bound, exactly once each', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(N, { seed, node });
      const crashedAt = sim.now;
      sim.crash('n42');
      // Bound: Lifeguard's max suspicion timeout at n = 100 (6 × 8 s = 48 s), plus a few probe
      // rounds for the first prober to reach it, plus gossip spread.
      const bound = 48_000 + 10_000;
      const done = await sim.runUntil(() => eventsAbout(sim, 'fail', 'n42').length === N - 1, bound);
      expect(done).toBe(true);
      const fails = eventsAbout(sim, 'fail', 'n42');
      expect(new Set(fails.map((f) => f.node)).size).toBe(N - 1);
      expect(Math.max(...fails.map((f) => f.time)) - crashedAt).toBeLessThanOrEqual(bound);
      await sim.runFor(10_000);
      expect(eventsAbout(sim, 'fail', 'n42')).toHaveLength(N - 1);
    });
  });

  it('sees a leave as a leave at every node, never a fail', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(N, { seed, node });
      sim.leave('n7');
      const done = await sim.runUntil(() => eventsAbout(sim, 'leave', 'n7').length === N - 1, 30_000);
      expect(done).toBe(true);
      sim.crash('n7'); // the process exits after leaving
      await sim.runFor(60_000);
      expect(eventsAbout(sim, 'fail', 'n7')).toHaveLength(0);
      expect(eventsAbout(sim, 'leave', 'n7')).toHaveLength(N - 1);
    });
  });

  it('spreads a metadata change to every node as one update', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(N, { seed, node });
      sim.setMetadata('n3', { role: 'db' });
      const done = await sim.runUntil(() => eventsAbout(sim, 'update', 'n3').length === N - 1, 30_000);
      expect(done).toBe(true);
      for (const name of sim.runningNames()) {
        if (name !== 'n3') expect(sim.node(name).members().find((m) => m.name === 'n3')?.tags).toEqual({ role: 'db' });
      }
    });
  });
});

describe.each(SEEDS)('small clusters on virtual time (seed %i)', (seed) => {
  it('declares a crash at the minimum suspicion timeout once the only other peer has left', async () => {
    await withSeed(seed, async () => {
      // memberlist's DefaultLocalConfig: suspicionMult 3 → k = 1; min = 3 s at n = 3, max = 18 s.
      const sim = await convergedCluster(3, { seed, protocol: local() });
      sim.leave('n2');
      expect(await sim.runUntil(() => eventsAbout(sim, 'leave', 'n2').length === 2, 10_000)).toBe(true);
      sim.crash('n2');
      const crashedAt = sim.now;
      sim.crash('n1');
      // n0 probes its one peer every second (stretched by its local health while probes fail):
      // suspicion within a few seconds, then the 3 s minimum. Counting the left n2 as a possible
      // confirmer (memberlist) starts the suspicion at its 18 s maximum instead.
      expect(await sim.runUntil(() => eventsAbout(sim, 'fail', 'n1').length === 1, 30_000)).toBe(true);
      expect(eventsAbout(sim, 'fail', 'n1')[0]!.time - crashedAt).toBeLessThanOrEqual(8000);
    });
  });

  it('logs one failed probe at info, and warns only when health reaches its ceiling', async () => {
    await withSeed(seed, async () => {
      const logs: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
      const at = (level: string) => (fields: Record<string, unknown>, msg: string): void => void logs.push({ level, msg, fields });
      const logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
      const sim = new Simulator({ seed, protocol: { awarenessMaxMultiplier: 4 } });
      await sim.addNode('n0', { options: { logger } });
      await sim.addNode('n1');
      sim.join('n1', 'n0');
      expect(await sim.runUntil(() => allSee(sim, 2), 10_000)).toBe(true);
      // A missed probe or two: n1's event loop stalls past at least one whole probe round of n0's.
      sim.pause('n1', 2500);
      await sim.runFor(5000);
      expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
      expect(logs).toContainEqual(expect.objectContaining({ level: 'info', msg: 'local health degraded', fields: { score: 1, ceiling: 3 } }));
      // n1's host stops answering (cut off: a crashed process on a live host would refuse n0's TCP
      // fallback and be declared within one probe interval, before health could climb): n0's
      // probes fail until the suspicion times out, and its health reaches the ceiling.
      const n1 = sim.nodeInfo().find((x) => x.name === 'n1')!.address;
      sim.network.partition([[n1]]);
      expect(await sim.runUntil(() => sim.node('n0').healthScore === 3, 30_000)).toBe(true);
      expect(logs.filter((l) => l.level === 'warn')).toEqual([expect.objectContaining({ msg: expect.stringContaining('ceiling'), fields: { score: 3, ceiling: 3 } })]);
    });
  });
});
