/**
 * Issue 9's hooks on real sockets (127.0.0.1, port 0): suspicion detail, conflicts, admission.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SuspectEvent, SuspicionEvent } from '../../src/index.js';
import { aliveNames, startNode, waitUntil, type TestNode } from './helpers.js';

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

async function node(name: string, extra: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const t = await startNode(name, extra);
  started.push(t);
  return t;
}

describe('suspicion detail on real sockets', () => {
  it('a crash is suspected with its accuser named and the timer it runs on reported', async () => {
    const nodes = [await node('sd-0'), await node('sd-1'), await node('sd-2')];
    for (const t of nodes.slice(1)) await t.node.join([nodes[0]!.node.localMember.address]);
    await waitUntil(() => nodes.every((t) => aliveNames(t).length === 3), 10_000, 'three nodes to converge');
    await nodes[2]!.node.shutdown();
    const rest = nodes.slice(0, 2);
    const names = new Set(nodes.map((t) => t.node.options.name));
    await waitUntil(() => rest.every((t) => t.events.some((e) => e.event === 'suspicion' && e.name === 'sd-2')), 10_000, 'a suspicion of sd-2 at both survivors');
    for (const t of rest) {
      const suspect = t.events.find((e) => e.event === 'suspect' && e.name === 'sd-2')!.payload as SuspectEvent;
      const view = t.events.find((e) => e.event === 'suspicion' && e.name === 'sd-2')!.payload as SuspicionEvent;
      expect(names.has(suspect.accuser)).toBe(true);
      expect(suspect.accuser).not.toBe('sd-2');
      // Three members, suspicionMult 3: one confirmation expected (the other survivor), and the
      // timeout starts at its maximum, 6 × 3 × 400 ms.
      expect(view).toMatchObject({ accuser: suspect.accuser, confirmedBy: undefined, confirmations: 0, expected: 1, timeoutMs: 7200 });
      expect(view.deadlineAt - view.startedAt).toBeCloseTo(7200, 6);
    }
    // The other survivor's own failed probe confirms it: the timeout drops to its minimum, 3 × 400 ms.
    const confirmed = await waitUntil(
      () => rest.flatMap((t) => t.events.filter((e) => e.event === 'suspicion' && e.name === 'sd-2').map((e) => e.payload as SuspicionEvent)).find((v) => v.confirmations === 1),
      10_000,
      'a confirmed suspicion of sd-2',
    );
    expect(confirmed).toMatchObject({ expected: 1, timeoutMs: 1200 });
    expect(['sd-0', 'sd-1']).toContain(confirmed.confirmedBy);
    expect(confirmed.confirmedBy).not.toBe(confirmed.accuser);
  });
});
