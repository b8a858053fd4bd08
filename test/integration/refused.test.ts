/**
 * Real sockets: a node whose sockets are gone (its port refuses connections, as after `kill -9`)
 * is declared dead by every other node long before Lifeguard's suspicion could end, because its
 * host refused the prober's TCP fallback (docs/architecture.md, "A refused fallback shortens the
 * suspicion"). The suspicion is made so long here (suspicionMult 60: 24 s at 400 ms probes) that
 * the wait's deadline can only be met through the refusal; a node that is alive but stalled keeps
 * its kernel's accept, so it is never taken for a crash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { METRIC, type Metrics } from '../../src/observability.js';
import { aliveNames, count, startNode, waitUntil, type TestNode } from './helpers.js';

/** Lifeguard's minimum suspicion at n = 5 with these options: 60 × 1 × 400 ms (k = 0 at n = 5). */
const LIFEGUARD_MS = 60 * 400;

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

/** Counts `hearsay_refused_suspicions_total` across the nodes it is given to. */
function refusalCounter(): { metrics: Metrics; readonly count: number } {
  let n = 0;
  return {
    metrics: {
      increment: (name, by = 1) => {
        if (name === METRIC.refusedSuspicions) n += by;
      },
      gauge: () => {},
      observe: () => {},
    },
    get count() {
      return n;
    },
  };
}

async function cluster(n: number, prefix: string, metrics: Metrics): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) {
    const t = await startNode(`${prefix}-${i}`, { suspicionMult: 60, metrics });
    started.push(t);
    nodes.push(t);
  }
  const seed = nodes[0]!.node.localMember.address;
  for (const t of nodes.slice(1)) await t.node.join([seed]);
  const names = nodes.map((t) => t.node.options.name).sort();
  await waitUntil(() => nodes.every((t) => aliveNames(t).join() === names.join()), 15_000, `${n} nodes to converge`);
  return nodes;
}

describe('a refused TCP fallback on real sockets', () => {
  it('has every other node declare a node whose sockets closed dead within a fraction of the suspicion timeout', async () => {
    const refusals = refusalCounter();
    const nodes = await cluster(5, 'refused', refusals.metrics);
    const victim = nodes[4]!;
    const victimName = victim.node.options.name;
    // Its UDP socket and TCP listener close without a word (no leave): connects to its port are refused.
    await victim.node.shutdown();
    const rest = nodes.slice(0, 4);
    await waitUntil(() => rest.every((t) => count(t, 'fail', victimName) >= 1), LIFEGUARD_MS / 3, 'every node to declare the victim dead');
    expect(refusals.count).toBeGreaterThanOrEqual(1);
    for (const t of rest) {
      expect(count(t, 'fail', victimName)).toBe(1);
      expect(count(t, 'leave', victimName)).toBe(0);
    }
  });
});
