/**
 * The converged start's fast path (`Core.adoptConverged`) against the merge it stands for
 * (`mergeRemoteState` + `settleGossip`): the same tables, and the same run afterwards.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Core } from '../../src/core/core.js';
import { nodeInternals } from '../../src/runtime/node-runtime.js';
import { convergeNodes } from '../../src/testing/sim-bootstrap.js';
import { Simulator } from '../../src/testing/simulator.js';

const N = 40;

async function cluster(viaMerge: boolean): Promise<Simulator> {
  const sim = new Simulator({ seed: 9, network: { loss: 0.02 } });
  for (let i = 0; i < N; i++) await sim.addNode(`n${i}`, { metadata: { role: i % 3 === 0 ? 'a' : 'b' } });
  convergeNodes(sim.runningNames().map((name) => ({ name, ...nodeInternals.get(sim.node(name))! })), viaMerge);
  return sim;
}

/** Every node's table: order, state, incarnation, address, metadata, state-change time. */
function tables(sim: Simulator): string[] {
  return sim.runningNames().map((name) => {
    const entries = sim.core(name).members();
    return `${name}: ${entries.map((m) => `${m.name}@${m.address}/${m.state}/${m.incarnation}/${Buffer.from(m.metadata).toString('hex')}`).join(' ')}`;
  });
}

afterEach(() => vi.restoreAllMocks());

describe('converged start', () => {
  it('takes the fast path on every node', async () => {
    const adopt = vi.spyOn(Core.prototype, 'adoptConverged');
    const sim = await cluster(false);
    expect(adopt).toHaveBeenCalledTimes(N);
    expect(adopt.mock.results.every((r) => r.value === true)).toBe(true);
    expect(sim.allSee(N)).toBe(true);
  });

  it('gives the tables the merge gives, in the same probe order, and the same run after them', async () => {
    const fast = await cluster(false);
    const merged = await cluster(true);
    expect(tables(fast)).toEqual(tables(merged));
    // The merge's `join` events (the simulator mutes them in `bootstrapConverged`) are not part of the run.
    const start = new Map([fast, merged].map((sim) => [sim, sim.log.length]));
    for (const sim of [fast, merged]) {
      sim.at(2_000, () => sim.setMetadata('n3', { role: 'c' }));
      sim.at(5_000, () => sim.crash('n7'));
      await sim.runFor(40_000);
    }
    const log = (sim: Simulator): string[] => sim.log.slice(start.get(sim)).map((e) => `${e.time} ${e.node} ${e.event.type} ${'member' in e.event ? e.event.member.name : ''}`);
    expect(log(fast).length).toBeGreaterThan(N); // the update and the crash reached everyone
    expect(log(fast)).toEqual(log(merged));
    expect(tables(fast)).toEqual(tables(merged));
  });

  it('leaves a core that knows others to the merge', async () => {
    const sim = await cluster(false);
    const { core, driver } = nodeInternals.get(sim.node('n1'))!;
    const taken = driver.step((now, fx) => core.adoptConverged(now, core.localState(false).nodes, fx));
    expect(taken).toBe(false);
  });
});
