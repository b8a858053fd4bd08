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

  it('under 10 % loss, each write reaches all N = 50 nodes within 3 gossip ticks (600 ms, virtual), relayed on receipt', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(50, { seed, network: { loss: 0.1 } });
      const took: number[] = [];
      for (let i = 0; i < 5; i++) {
        const writer = `n${(i * 11) % 50}`;
        const t0 = sim.now;
        sim.node(writer).state.set('w', `v${i}`);
        const ok = await sim.runUntil(() => sim.runningNames().every((n) => sim.node(n).state.get('w', writer) === `v${i}`), 5000, 5);
        expect(ok).toBe(true);
        took.push(sim.now - t0);
        await sim.runFor(3000);
      }
      expect(Math.max(...took)).toBeLessThanOrEqual(600);
    });
  }, 60_000);

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

  it('a restart under the same name: the old generation\'s keys vanish everywhere, the new ones appear', async () => {
    await withSeed(seed, async () => {
      const sim = await convergedCluster(12, { seed });
      sim.node('n4').state.set('old', 'gen1');
      sim.node('n4').state.set('both', 'gen1');
      expect(await sim.runUntil(() => sameState(sim) && sim.node('n0').state.get('old', 'n4') === 'gen1', 10_000, 50)).toBe(true);
      sim.restart('n4', 'n0');
      expect(await sim.runUntil(() => sim.node('n4').status === 'running' && sim.node('n4').members().length === 12, 30_000, 50)).toBe(true);
      sim.node('n4').state.set('both', 'gen2');
      sim.node('n4').state.set('new', 'gen2');
      const ok = await sim.runUntil(() => sim.runningNames().every((n) => JSON.stringify(sim.node(n).state.entries('n4').sort()) === JSON.stringify([['both', 'gen2'], ['new', 'gen2']])), 20_000, 50);
      expect(ok).toBe(true);
    });
  }, 60_000);

  it('a crashed member\'s state is dropped when it is reaped and never comes back, while a flip-flopping peer still holds it', async () => {
    await withSeed(seed, async () => {
      const n = 12;
      const sim = await convergedCluster(n, { seed });
      for (const name of sim.runningNames()) sim.node(name).state.set('id', name);
      expect(await sim.runUntil(() => sameState(sim), 20_000, 50)).toBe(true);
      // After a node has seen n3's state dropped, it must never see any n3 key set again.
      const dropped = new Set<string>();
      const resurrected: string[] = [];
      for (const name of sim.runningNames()) {
        sim.node(name).on('state', (e) => {
          if (e.member !== 'n3') return;
          if (e.value === undefined) dropped.add(name);
          else if (dropped.has(name)) resurrected.push(`${name} at ${sim.now}`);
        });
      }
      const flipper = sim.nodeInfo().find((x) => x.name === 'n5')!.address;
      sim.crash('n3');
      // n5 goes deaf for 20 s out of every 40: its view of n3 (and its reaping) lags the others'.
      for (let i = 0; i < 4; i++) {
        sim.at(sim.now + 5_000 + i * 40_000, () => sim.network.setInboundLoss(flipper, 1));
        sim.at(sim.now + 25_000 + i * 40_000, () => sim.network.setInboundLoss(flipper, 0));
      }
      const survivors = sim.runningNames();
      const gone = (): boolean => survivors.every((x) => sim.node(x).members({ state: 'all' }).every((m) => m.name !== 'n3') && sim.node(x).state.entries('n3').length === 0);
      expect(await sim.runUntil(gone, 180_000, 100)).toBe(true);
      await sim.runFor(60_000);
      expect(gone()).toBe(true);
      expect(resurrected).toEqual([]);
      expect(dropped.size).toBe(n - 1);
    });
  }, 120_000);

  it('events: 50 from 10 origins reach every node exactly once, in per-origin order, under 10 % loss (N = 100)', async () => {
    await withSeed(seed, async () => {
      const n = 100;
      const sim = await convergedCluster(n, { seed, network: { loss: 0.1 } });
      const names = sim.runningNames();
      const got = new Map<string, string[]>(names.map((x) => [x, []]));
      for (const name of names) sim.node(name).on('event', (e) => got.get(name)!.push(`${e.from}:${new TextDecoder().decode(e.payload)}`));
      const origins = names.slice(0, 10);
      for (let i = 0; i < 50; i++) sim.at(sim.now + i * 100, () => sim.node(origins[i % 10]!).publish('deploy', new TextEncoder().encode(String(i))));
      const all = (): boolean => names.every((x) => got.get(x)!.length >= 50);
      expect(await sim.runUntil(all, 60_000, 100)).toBe(true);
      await sim.runFor(10_000); // nothing more may arrive
      for (const name of names) {
        const seen = got.get(name)!;
        expect(seen.length, name).toBe(50);
        for (const o of origins) {
          const mine = seen.filter((x) => x.startsWith(`${o}:`)).map((x) => Number(x.split(':')[1]));
          expect(mine).toEqual([...mine].sort((a, b) => a - b));
          expect(mine.length).toBe(5);
        }
      }
    });
  }, 120_000);
});
