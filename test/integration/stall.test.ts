import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { aliveNames, startNode, waitUntil, type TestNode } from './helpers.js';

interface ChildEvent {
  type: string;
  event?: string;
  name?: string;
  score?: number;
  address?: string;
}

const nodes: TestNode[] = [];
let child: ChildProcess | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await Promise.all(nodes.map((t) => t.node.shutdown()));
});

describe('an event-loop stall (Lifeguard, Node edition)', () => {
  it('never gets a healthy node declared failed, and the stalled node refutes after it resumes', async () => {
    // memberlist's LAN defaults: a 3 s stall is shorter than the suspicion timeout, so the cluster
    // must ride it out. Four nodes here, one in a child process whose loop we block.
    for (let i = 0; i < 4; i++) nodes.push(await startNode(`stall-${i}`, { preset: 'lan', probeIntervalMs: 1000, probeTimeoutMs: 500, gossipIntervalMs: 200, suspicionMult: 4, pushPullIntervalMs: 30_000, gossipToTheDeadMs: 30_000, tcpTimeoutMs: 10_000 }));
    const seed = nodes[0]!.node.localMember.address;
    for (const t of nodes.slice(1)) await t.node.join([seed]);

    const childEvents: ChildEvent[] = [];
    const script = fileURLToPath(new URL('./fixtures/stall-node.ts', import.meta.url));
    child = fork(script, ['stall-child', seed], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m: ChildEvent) => childEvents.push(m));
    await waitUntil(() => childEvents.some((e) => e.type === 'ready'), 20_000, 'the child node to start');

    const all = ['stall-0', 'stall-1', 'stall-2', 'stall-3', 'stall-child'];
    await waitUntil(() => nodes.every((t) => aliveNames(t).join() === all.join()), 20_000, 'convergence');
    await waitUntil(() => childEvents.filter((e) => e.event === 'join').length >= 4, 20_000, 'the child to see everyone');

    child.send({ cmd: 'block', ms: 3000 });
    await waitUntil(() => childEvents.some((e) => e.type === 'resumed'), 20_000, 'the child to resume');

    // After the stall: the child's own health score rose (it blamed itself) and comes back to 0
    // as its probes succeed again; every node sees all five alive.
    await waitUntil(() => childEvents.some((e) => e.event === 'self:health' && (e.score ?? 0) > 0), 20_000, 'the child to raise its own health score');
    const resumedAt = childEvents.findIndex((e) => e.type === 'resumed');
    await waitUntil(
      () => childEvents.slice(resumedAt).some((e) => e.event === 'self:health' && e.score === 0),
      60_000,
      'the child to recover full health',
    );
    await waitUntil(() => nodes.every((t) => aliveNames(t).join() === all.join()), 30_000, 'everyone alive again');

    // Whoever suspected the child saw it refute.
    for (const t of nodes) {
      const suspected = t.events.filter((e) => e.event === 'suspect' && e.name === 'stall-child').length;
      const recovered = t.events.filter((e) => e.event === 'alive' && e.name === 'stall-child').length;
      expect(recovered).toBe(suspected);
    }
    // Nobody, including the stalled node itself, declared anyone failed.
    const fails = [...nodes.flatMap((t) => t.events.filter((e) => e.event === 'fail')), ...childEvents.filter((e) => e.event === 'fail')];
    expect(fails).toEqual([]);
    const childSuspects = childEvents.filter((e) => e.event === 'suspect');
    expect(childSuspects).toEqual([]);
  }, 120_000);
});
