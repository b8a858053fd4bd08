/**
 * Issue 9's hooks on real sockets (127.0.0.1, port 0): suspicion detail, conflicts, admission.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { JoinError, JoinRefusedError, NameConflictError, type AdmissionHook, type ConflictEvent, type Logger, type Metrics, type SuspectEvent, type SuspicionEvent } from '../../src/index.js';
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
    // No TCP fallback: a refused one would end the suspicion within a probe interval (issue 10),
    // and this test reads Lifeguard's own timer.
    const nodes = [await node('sd-0', { disableTcpPings: true }), await node('sd-1', { disableTcpPings: true }), await node('sd-2', { disableTcpPings: true })];
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

/** A logger that keeps the warn messages. */
function warnings(): { logger: Logger; warns: string[] } {
  const warns: string[] = [];
  const none = (): void => {};
  return { warns, logger: { debug: none, info: none, error: none, warn: (_fields, msg) => warns.push(msg) } };
}

describe('name conflicts on real sockets', () => {
  it('a second process under a live name has join() rejected naming the holder; the seed emits conflict and warns', async () => {
    const { logger, warns } = warnings();
    const seed = await node('nc-seed', { logger });
    const seedAddress = seed.node.localMember.address;
    const holder = await node('nc-dup');
    await holder.node.join([seedAddress]);
    await waitUntil(() => aliveNames(seed).includes('nc-dup'), 10_000, 'the holder to join');
    const claimant = await node('nc-dup');
    const error: unknown = await claimant.node.join([seedAddress]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JoinError);
    const join = error as JoinError;
    expect(join.code).toBe('HEARSAY_JOIN');
    expect(join.cause).toBeInstanceOf(NameConflictError);
    const cause = join.cause as NameConflictError;
    expect(cause.code).toBe('HEARSAY_NAME_CONFLICT');
    expect(cause.holder).toBe(holder.node.localMember.address);
    expect(join.message).toContain(holder.node.localMember.address);
    // Nothing from the seed was merged: the claimant is on its own.
    expect(claimant.node.members().map((m) => m.name)).toEqual(['nc-dup']);

    const seen = await waitUntil(() => seed.events.find((e) => e.event === 'conflict')?.payload as ConflictEvent | undefined, 5000, 'a conflict event at the seed');
    expect(seen.existing).toMatchObject({ name: 'nc-dup', address: holder.node.localMember.address, state: 'alive' });
    expect(seen.claimant).toMatchObject({ name: 'nc-dup', address: claimant.node.localMember.address });
    expect(warns.filter((m) => m.includes('claim one member name'))).toHaveLength(1);
    expect(seed.node.members().find((m) => m.name === 'nc-dup')?.address).toBe(holder.node.localMember.address);
  });
});

/** A metrics sink that sums counters by name and `via` label. */
function counters(): { metrics: Metrics; count: (name: string, via?: string) => number } {
  const sums = new Map<string, number>();
  const none = (): void => {};
  return {
    metrics: { increment: (name, by = 1, labels) => sums.set(`${name}/${labels?.['via'] ?? ''}`, (sums.get(`${name}/${labels?.['via'] ?? ''}`) ?? 0) + by), gauge: none, observe: none },
    count: (name, via = '') => sums.get(`${name}/${via}`) ?? 0,
  };
}

describe('a restart at a new address before the cluster noticed the old one fail', () => {
  it('is no conflict for the joiner: the old address does not answer to the name, so join() merges and the node becomes visible', async () => {
    const seed = await node('rs-seed');
    const seedAddress = seed.node.localMember.address;
    const before = await node('rs-p');
    await before.node.join([seedAddress]);
    await waitUntil(() => aliveNames(seed).includes('rs-p'), 10_000, 'the first run to join');
    const oldAddress = before.node.localMember.address;
    await before.node.shutdown(); // a crash: no leave
    const after = await node('rs-p');
    expect(after.node.localMember.address).not.toBe(oldAddress);
    await expect(after.node.join([seedAddress])).resolves.toMatchObject({ contacted: 1 });
    expect(aliveNames(after)).toEqual(['rs-p', 'rs-seed']);
    // Visible once the seed has declared the old run dead and reaped it (FAST: ~10 s).
    await waitUntil(() => seed.node.members().find((m) => m.name === 'rs-p')?.address === after.node.localMember.address, 30_000, 'the seed to see the new run');
  });
});

describe('admission on real sockets', () => {
  it('a seed refuses a joiner its hook vetoes: join() rejects with a JoinRefusedError cause and the seed merges nothing', async () => {
    const seen = counters();
    const admission: AdmissionHook = { admit: (m) => m.tags?.['env'] === 'prod' || `env ${m.tags?.['env'] ?? 'none'} is not prod` };
    const seed = await node('ad-seed', { admission, metrics: seen.metrics, metadata: { env: 'prod' } });
    const seedAddress = seed.node.localMember.address;
    const bad = await node('ad-dev', { metadata: { env: 'dev' } });
    const error: unknown = await bad.node.join([seedAddress]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JoinError);
    const cause = (error as JoinError).cause as JoinRefusedError;
    expect(cause).toBeInstanceOf(JoinRefusedError);
    expect(cause.code).toBe('HEARSAY_JOIN_REFUSED');
    expect(cause.by).toBe('seed');
    expect(cause.reason).toBe(`member "ad-dev" (${bad.node.localMember.address}): env dev is not prod`);
    expect(seed.node.members().map((m) => m.name)).toEqual(['ad-seed']);
    expect(bad.node.members().map((m) => m.name)).toEqual(['ad-dev']);
    expect(seen.count('hearsay_admission_vetoes_total', 'join')).toBe(1);

    const good = await node('ad-prod', { metadata: { env: 'prod' } });
    await expect(good.node.join([seedAddress])).resolves.toMatchObject({ contacted: 1 });
    await waitUntil(() => aliveNames(seed).includes('ad-prod'), 5000, 'the admitted joiner at the seed');
  });

  it('a member whose hook vetoes a newcomer keeps it out, member by member, while the others admit it; a throwing hook vetoes too', async () => {
    const b = counters();
    const c = counters();
    const errors: string[] = [];
    const none = (): void => {};
    const seed = await node('gb-a');
    const seedAddress = seed.node.localMember.address;
    const vetoing = await node('gb-b', { admission: { admit: (m) => m.name !== 'gb-x' || 'not x' }, metrics: b.metrics });
    const throwing = await node('gb-c', {
      admission: {
        admit: (m) => {
          if (m.name === 'gb-x') throw new Error('policy lookup failed');
          return true;
        },
      },
      metrics: c.metrics,
      logger: { debug: none, info: none, warn: none, error: (_f, msg) => errors.push(msg) },
    });
    await vetoing.node.join([seedAddress]);
    await throwing.node.join([seedAddress]);
    await waitUntil(() => [seed, vetoing, throwing].every((t) => aliveNames(t).length === 3), 10_000, 'three nodes to converge');
    const x = await node('gb-x');
    await x.node.join([seedAddress]);
    await waitUntil(() => aliveNames(seed).includes('gb-x') && aliveNames(x).length === 4, 10_000, 'gb-x to be admitted by the seed');
    await waitUntil(
      () => b.count('hearsay_admission_vetoes_total', 'gossip') + b.count('hearsay_admission_vetoes_total', 'push-pull') > 0 && c.count('hearsay_admission_hook_errors_total') > 0,
      10_000,
      'both hooks to have been asked about gb-x',
    );
    expect(aliveNames(vetoing)).toEqual(['gb-a', 'gb-b', 'gb-c']);
    expect(aliveNames(throwing)).toEqual(['gb-a', 'gb-b', 'gb-c']);
    expect(vetoing.events.filter((e) => e.name === 'gb-x')).toEqual([]);
    expect(errors.some((m) => m.includes('admission hook threw'))).toBe(true);
  });
});
