import { afterEach, describe, expect, it } from 'vitest';
import { aliveNames, count, startNode, waitUntil, type TestNode } from './helpers.js';

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

async function cluster(n: number, prefix: string): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  for (let i = 0; i < n; i++) {
    const t = await startNode(`${prefix}-${i}`);
    started.push(t);
    nodes.push(t);
  }
  const seed = nodes[0]!.node.localMember.address;
  for (const t of nodes.slice(1)) await t.node.join([seed]);
  const names = nodes.map((t) => t.node.options.name).sort();
  await waitUntil(() => nodes.every((t) => aliveNames(t).join() === names.join()), 15_000, `${n} nodes to converge`);
  return nodes;
}

describe('a real-socket cluster on 127.0.0.1', () => {
  it('converges: five nodes each see five alive members and one join per peer', async () => {
    const nodes = await cluster(5, 'conv');
    for (const t of nodes) {
      for (const other of nodes) {
        if (other === t) continue;
        expect(count(t, 'join', other.node.options.name)).toBe(1);
      }
      expect(t.node.size).toBe(5);
    }
  });

  it('reports an abruptly stopped node as failed exactly once at every other node', async () => {
    const nodes = await cluster(5, 'crash');
    const victim = nodes[4]!;
    const victimName = victim.node.options.name;
    await victim.node.shutdown();
    const rest = nodes.slice(0, 4);
    await waitUntil(() => rest.every((t) => count(t, 'fail', victimName) >= 1), 20_000, 'every node to see the failure');
    // Let gossip about the death settle: every survivor must agree the victim is dead.
    await waitUntil(() => rest.every((t) => t.node.members({ state: 'all' }).find((m) => m.name === victimName)?.state === 'dead'), 5000, 'agreement on dead');
    for (const t of rest) {
      expect(count(t, 'fail', victimName)).toBe(1);
      expect(count(t, 'leave', victimName)).toBe(0);
    }
  });

  it('reports a graceful leave as leave, not fail', async () => {
    const nodes = await cluster(5, 'leave');
    const leaver = nodes[2]!;
    const name = leaver.node.options.name;
    await leaver.node.leave({ timeoutMs: 5000 });
    await leaver.node.shutdown();
    const rest = nodes.filter((t) => t !== leaver);
    await waitUntil(() => rest.every((t) => count(t, 'leave', name) === 1), 10_000, 'every node to see the leave', () =>
      rest.map((t) => ({ node: t.node.options.name, events: t.events.filter((e) => e.name === name).map((e) => e.event), state: t.node.members({ state: 'all' }).find((m) => m.name === name)?.state })),
    );
    for (const t of rest) {
      expect(count(t, 'fail', name)).toBe(0);
      expect(t.node.members({ state: 'all' }).find((m) => m.name === name)?.state).toBe('left');
      expect(t.node.members().map((m) => m.name)).not.toContain(name);
    }
  });

  it('spreads setMetadata as an update with the new tags', async () => {
    const nodes = await cluster(5, 'meta');
    const changer = nodes[1]!;
    const name = changer.node.options.name;
    await changer.node.setMetadata({ role: 'db', load: 'high' });
    const rest = nodes.filter((t) => t !== changer);
    await waitUntil(() => rest.every((t) => count(t, 'update', name) === 1), 10_000, 'every node to see the update');
    for (const t of rest) {
      const update = t.events.find((e) => e.event === 'update' && e.name === name)!.payload as { member: { tags: unknown; incarnation: number }; previous: { incarnation: number } };
      expect(update.member.tags).toEqual({ role: 'db', load: 'high' });
      expect(update.member.incarnation).toBeGreaterThan(update.previous.incarnation);
    }
  });

  it('brings a node restarted under the same name back alive with a higher incarnation', async () => {
    const nodes = await cluster(4, 'restart');
    const victim = nodes[3]!;
    const name = victim.node.options.name;
    const address = victim.node.localMember.address;
    const before = nodes[0]!.node.members().find((m) => m.name === name)!.incarnation;
    await victim.node.shutdown();
    const rest = nodes.slice(0, 3);
    await waitUntil(() => rest.every((t) => count(t, 'fail', name) === 1), 20_000, 'the failure');
    // Same name, same address, fresh process state (incarnation starts over).
    const reborn = await startNode(name, { bind: address });
    started.push(reborn);
    await reborn.node.join([nodes[0]!.node.localMember.address]);
    await waitUntil(() => rest.every((t) => t.node.members().find((m) => m.name === name)?.state === 'alive'), 15_000, 'the restarted node to be alive everywhere');
    for (const t of rest) {
      expect(t.node.members().find((m) => m.name === name)!.incarnation).toBeGreaterThan(before);
      expect(count(t, 'join', name)).toBe(2);
    }
  });
});
