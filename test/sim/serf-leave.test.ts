/**
 * `delegateProtocol: 'serf'` on real nodes in the simulator: `leave()` gossips serf's leave intent
 * before memberlist's leave, stamped with a serf Lamport time above every one the node has seen.
 * (What a serf agent makes of it is test/interop/serf-leave.interop.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { readMemberClock } from '../../src/serf/messages.js';
import { Simulator, type SimLogEntry } from '../../src/testing/simulator.js';
import { allSee } from './helpers.js';

const SEEDS = [1, 2, 3, 4, 5];

/** The serf intents a node received, in order, without the duplicates gossip brings: sender, kind, LTime and when. */
function intentsAt(sim: Simulator, node: string): { from: string | undefined; kind: string; ltime: number; time: number }[] {
  const seen = new Set<string>();
  return sim.log.flatMap((e: SimLogEntry) => {
    if (e.node !== node || e.event.type !== 'message') return [];
    const r = readMemberClock(e.event.payload);
    const key = `${e.event.from}/${r?.kind}/${r?.ltime}`;
    if (!r || seen.has(key)) return [];
    seen.add(key);
    return [{ from: e.event.from, kind: r.kind, ltime: r.ltime, time: e.time }];
  });
}
function leaveTime(sim: Simulator, observer: string, member: string): number | undefined {
  return sim.log.find((e) => e.node === observer && e.event.type === 'leave' && e.event.member.name === member)?.time;
}

async function cluster(seed: number, delegate: 'serf' | undefined): Promise<Simulator> {
  const sim = new Simulator({ seed, node: delegate ? { delegateProtocol: delegate } : {} });
  for (const n of ['a', 'b', 'c']) await sim.addNode(n);
  sim.join('b', 'a');
  sim.join('c', 'a');
  if (!(await sim.runUntil(() => allSee(sim, 3), 30_000))) throw new Error(`seed ${seed}: no convergence`);
  return sim;
}

describe("delegateProtocol 'serf': leave() sends serf's leave intent first", () => {
  it.each(SEEDS)('seed %i: every peer gets the intent before the leave; a peer that leaves later stamps a later time', async (seed) => {
    const sim = await cluster(seed, 'serf');
    void sim.node('a').leave();
    expect(await sim.runUntil(() => leaveTime(sim, 'b', 'a') !== undefined && leaveTime(sim, 'c', 'a') !== undefined, 30_000), `seed ${seed}`).toBe(true);
    for (const peer of ['b', 'c']) {
      const [intent] = intentsAt(sim, peer);
      expect(intent, `seed ${seed}: ${peer} got a's intent`).toMatchObject({ kind: 'leave', ltime: 1 });
      expect(intent!.time, `seed ${seed}: ${peer} got the intent before the leave`).toBeLessThan(leaveTime(sim, peer, 'a')!);
    }
    // b witnessed a's time 1 (serf's Witness: one past it), so its own intent carries 2. (Gossip
    // may spend all of b's transmissions on one of the two others: either will do.)
    void sim.node('b').leave();
    const fromB = (): { kind: string; ltime: number }[] => ['a', 'c'].flatMap((n) => intentsAt(sim, n).filter((i) => i.from === 'b'));
    expect(await sim.runUntil(() => fromB().length > 0, 30_000), `seed ${seed}`).toBe(true);
    expect(fromB()[0]).toMatchObject({ kind: 'leave', ltime: 2 });
  });

  it("sends serf messages only with serf's delegate range", async () => {
    for (const delegate of ['serf', undefined] as const) {
      const sim = await cluster(1, delegate);
      void sim.node('a').leave();
      expect(await sim.runUntil(() => leaveTime(sim, 'b', 'a') !== undefined && leaveTime(sim, 'c', 'a') !== undefined, 30_000)).toBe(true);
      const messages = sim.log.filter((e) => e.event.type === 'message').length;
      if (delegate === 'serf') expect(messages, 'serf range').toBeGreaterThan(0);
      else expect(messages, 'memberlist range').toBe(0);
    }
  });

  it('join() after leave() sends a join intent above the leave intent, so serf agents take the node back', async () => {
    const sim = await cluster(2, 'serf');
    void sim.node('a').leave();
    expect(await sim.runUntil(() => leaveTime(sim, 'b', 'a') !== undefined, 30_000)).toBe(true);
    void sim.node('a').join([sim.node('b').localMember.address]);
    expect(await sim.runUntil(() => intentsAt(sim, 'b').some((i) => i.kind === 'join'), 30_000)).toBe(true);
    const [leave, join] = intentsAt(sim, 'b');
    expect(leave).toMatchObject({ kind: 'leave', ltime: 1 });
    expect(join).toMatchObject({ kind: 'join', ltime: 2 });
  });
});
