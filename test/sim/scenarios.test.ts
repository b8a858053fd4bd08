import { describe, expect, it } from 'vitest';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
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
