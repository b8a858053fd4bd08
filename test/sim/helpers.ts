import { Simulator, type SimulatorOptions } from '../../src/testing/simulator.js';

/** Builds a simulator with `n` nodes named n0…n{n-1}, all joined through n0, and runs until every view has n alive members. */
export async function convergedCluster(n: number, options: SimulatorOptions, maxMs = 120_000): Promise<Simulator> {
  const sim = new Simulator(options);
  for (let i = 0; i < n; i++) await sim.addNode(`n${i}`);
  // Stagger joins over a second, as real services start.
  for (let i = 1; i < n; i++) sim.at(sim.now + (i * 1000) / n, () => sim.join(`n${i}`, 'n0'));
  const ok = await sim.runUntil(() => sim.allSee(n) && allSee(sim, n), maxMs, 10);
  if (!ok) throw new Error(`cluster of ${n} did not converge within ${maxMs} ms (virtual)`);
  return sim;
}

/** Whether every running node sees exactly `n` alive members. */
export function allSee(sim: Simulator, n: number): boolean {
  return sim.runningNames().every((name) => sim.node(name).members().filter((m) => m.state === 'alive').length === n);
}

/** Events of a type about a member, across all nodes. */
export function eventsAbout(sim: Simulator, type: string, member: string): { time: number; node: string }[] {
  return sim.log.filter((e) => e.event.type === type && 'member' in e.event && e.event.member.name === member).map((e) => ({ time: e.time, node: e.node }));
}

/**
 * Count of `fail` events about any member in `healthy`, emitted by any node — or only by the
 * nodes in `observers` when given (e.g. to leave out a cut-off node's own local view).
 */
export function falseFailures(sim: Simulator, healthy: ReadonlySet<string>, observers?: ReadonlySet<string>): number {
  return sim.log.filter((e) => e.event.type === 'fail' && healthy.has(e.event.member.name) && (observers === undefined || observers.has(e.node))).length;
}

/**
 * Each seed twice: plain, and with encryption plus a label, so the simulated nodes seal every
 * packet and stream as real ones do (`node` goes to `SimulatorOptions.node`).
 */
export function sealedVariants(seeds: readonly number[]): { seed: number; variant: string; node: SimulatorOptions['node'] & object }[] {
  return seeds.flatMap((seed) => [
    { seed, variant: 'plain', node: {} },
    { seed, variant: 'encrypted, labelled', node: { secretKeys: [new Uint8Array(32).fill(7)], label: 'sim-cluster' } },
  ]);
}
