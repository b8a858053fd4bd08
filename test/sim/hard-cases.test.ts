import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/testing/simulator.js';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
import { convergedCluster, eventsAbout, falseFailures } from './helpers.js';

const SEEDS = testSeeds([21]);
const N = 100;

/** Address of a simulated node. */
function addressOf(sim: Simulator, name: string): string {
  return sim.nodeInfo().find((n) => n.name === name)!.address;
}

describe.each(SEEDS)("Rapid's hard cases at N = 100 (seed %i)", (seed) => {
  it('a member losing 80 % of its inbound packets: no other member is declared failed', () => {
    withSeed(seed, () => {
      const sim = convergedCluster(N, { seed });
      sim.network.setInboundLoss(addressOf(sim, 'n13'), 0.8);
      sim.runFor(10 * 60_000);
      const others = new Set(sim.runningNames().filter((n) => n !== 'n13'));
      expect(falseFailures(sim, others)).toBe(0);
      // Recorded, not asserted: TCP fallback pings (streams are not lossy here) keep it alive.
      console.info(`[seed ${seed}] 80% inbound loss at n13: ${eventsAbout(sim, 'suspect', 'n13').length} suspect, ${eventsAbout(sim, 'fail', 'n13').length} fail events about it in 10 min`);
    });
  }, 300_000);

  it('a flip-flopping member (inbound dropped 20 s, restored 20 s): no other member is declared failed', () => {
    withSeed(seed, () => {
      const sim = convergedCluster(N, { seed });
      const address = addressOf(sim, 'n17');
      for (let i = 0; i < 10; i++) {
        sim.at(sim.now + i * 40_000, () => sim.network.setInboundLoss(address, 1));
        sim.at(sim.now + i * 40_000 + 20_000, () => sim.network.setInboundLoss(address, 0));
      }
      sim.runFor(10 * 40_000 + 60_000);
      const others = new Set(sim.runningNames().filter((n) => n !== 'n17'));
      // The cluster's verdict: no member other than the flapping one declares a healthy member
      // failed. (The flapping member itself, deaf for 20 s at a time, does mark members dead in
      // its own view — its suspicions cannot hear the refutations — recorded below.)
      expect(falseFailures(sim, others, others)).toBe(0);
      const ownView = falseFailures(sim, others, new Set(['n17']));
      // After the last restore it must be back in everyone's view.
      expect(sim.runningNames().every((n) => sim.core(n).member('n17')?.state === 'alive')).toBe(true);
      console.info(`[seed ${seed}] flip-flop n17: ${eventsAbout(sim, 'fail', 'n17').length} fail and ${eventsAbout(sim, 'join', 'n17').length - (N - 1)} re-join events about it; ${ownView} members failed in its own view`);
    });
  }, 300_000);
});

describe('churn', () => {
  it('keeps the member table, broadcast queue and memory bounded through 100,000 join/leave events', () => {
    withSeed(31, (seed) => {
      // 20 stable members; churners join through n0, leave gracefully and exit, each under a new
      // name, so left entries pile up unless they are reaped (memberlist #253).
      const sim = convergedCluster(20, { seed, recordLog: false, protocol: { gossipToTheDeadMs: 30_000 } });
      let next = 0;
      const live: string[] = [];
      let events = 0;
      let maxTable = 0;
      const heapAt = (): number => process.memoryUsage().heapUsed;
      const heapStart = heapAt();
      let heapMid = 0;
      while (events < 100_000) {
        // Each simulated 100 ms: one join and one leave, so ~50 churners are alive at a time.
        const name = `c${next++}`;
        sim.addNode(name);
        sim.join(name, 'n0');
        live.push(name);
        events++;
        if (live.length > 50) {
          const leaver = live.shift()!;
          sim.leave(leaver);
          sim.at(sim.now + 2000, () => sim.remove(leaver));
          events++;
        }
        sim.runFor(100);
        if (events % 10_000 < 2) {
          maxTable = Math.max(maxTable, sim.core('n5').numMembers());
          if (events >= 50_000 && heapMid === 0) heapMid = heapAt();
        }
      }
      sim.runFor(120_000);
      // Bounded: entries for at most the live churners plus those left within ~gossipToTheDead + a probe cycle.
      expect(maxTable).toBeLessThan(20 + 50 + 1000);
      expect(sim.core('n5').numMembers()).toBeLessThan(20 + 50 + 1000);
      console.info(`churn: max table ${maxTable}, final ${sim.core('n5').numMembers()}, heap start ${(heapStart / 1e6).toFixed(0)} MB, mid ${(heapMid / 1e6).toFixed(0)} MB, end ${(heapAt() / 1e6).toFixed(0)} MB`);
    });
  }, 600_000);
});
