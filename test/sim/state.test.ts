/**
 * The cluster state on real nodes in the simulator: convergence, partitions, restarts and reaping
 * (issue 11, acceptance 3 and 4, at sizes that run in seconds).
 */
import { describe, expect, it } from 'vitest';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
import type { Simulator } from '../../src/testing/simulator.js';
import { convergedCluster } from './helpers.js';

const SEEDS = testSeeds([21, 22, 23]);

/** Whether every running node holds exactly what each owner holds. */
function sameState(sim: Simulator): boolean {
  const names = sim.runningNames();
  const truth = new Map(names.map((n) => [n, JSON.stringify(sim.node(n).state.entries().sort())]));
  return names.every((viewer) => names.every((owner) => JSON.stringify(sim.node(viewer).state.entries(owner).sort()) === truth.get(owner)));
}

describe.each(SEEDS)('cluster state in the simulator (seed %i)', (seed) => {
  it('a write reaches every node by gossip well within a second at N = 50', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(50, { seed });
      const t0 = sim.now;
      sim.node('n7').state.set('config', 'v1');
      const ok = await sim.runUntil(() => sim.runningNames().every((n) => sim.node(n).state.get('config', 'n7') === 'v1'), 5000, 10);
      expect(ok).toBe(true);
      expect(sim.now - t0).toBeLessThan(1500);
    });
  });

  it('a 50/50 partition with writes on both sides converges within 10 s of membership merging after the heal (N = 40)', async () => {
    await withSeed(seed, async () => {
      const n = 40;
      const sim = await convergedCluster(n, { seed });
      const names = sim.runningNames();
      for (const name of names) sim.node(name).state.set('boot', name);
      expect(await sim.runUntil(() => sameState(sim), 20_000, 100)).toBe(true);
      const address = new Map(sim.nodeInfo().map((x) => [x.name, x.address]));
      const half = names.slice(0, n / 2);
      const other = names.slice(n / 2);
      sim.network.partition([half.map((x) => address.get(x)!), other.map((x) => address.get(x)!)]);
      for (let i = 0; i < 60; i++) {
        sim.at(sim.now + i * 1000, () => {
          const writer = names[(i * 7) % n]!;
          if (i % 5 === 4) sim.node(writer).state.delete('boot');
          else sim.node(writer).state.set(`k${i % 4}`, `v${i}`);
        });
      }
      await sim.runFor(60_000);
      sim.network.heal();
      const healedAt = sim.now;
      // State travels between capable members, so it cannot cross before membership has merged the
      // halves again (push/pull and reconnects, the membership layer's own bound). From then on the
      // state must agree within 10 s.
      expect(await sim.runUntil(() => names.every((x) => sim.node(x).members().length === n), 90_000, 100)).toBe(true);
      const mergedAt = sim.now;
      const ok = await sim.runUntil(() => sameState(sim), 10_000, 100);
      expect(ok, `state not converged 10 s after membership merged (+${mergedAt - healedAt} ms after the heal)`).toBe(true);
    });
  }, 120_000);
});
