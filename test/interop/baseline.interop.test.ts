/**
 * Go-only baseline: the same scenarios the hearsay interop tests assert, run among real memberlist
 * v0.2.2 peers (and serf agents) only. It checks the harness and the Go peer themselves, and shows
 * that every expectation the hearsay tests make is what memberlist really does — so a failure in
 * the mixed tests points at hearsay, not at the test.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  FAST,
  GoState,
  initialGoMeta,
  waitConverged,
  STEP_MS,
  checkFailBothWays,
  checkLeaveBothWays,
  checkMetadataBothWays,
  cleanupAll,
  expectNeverSeen,
  hex,
  randomKey,
  requireInterop,
  rotateKeys,
  startGoPeer,
  startMixedCluster,
  serfAvailable,
  waitUntil,
} from './harness.js';
import { serfLeave, startSerfAgent, waitSerfMember } from './serf.js';

const ok = await requireInterop({ go: true });
const serfOk = ok && (await requireInterop({ go: false, serf: true }));

describe.skipIf(!ok)('baseline: Go memberlist peers only', () => {
  afterAll(cleanupAll);

  it('join, metadata, leave = left (3), SIGKILL = dead (2)', async () => {
    const c = await startMixedCluster({ prefix: 'base', hearsayCount: 0, goCount: 4 });
    await checkMetadataBothWays(c, undefined, c.go[0]);
    await checkLeaveBothWays(c, undefined, c.go[1]);
    await checkFailBothWays(c, c.go[2], undefined);
  }, 60_000);

  it('encrypted, compression off: rotation works, a node with the old key stays out and is counted', async () => {
    const k1 = randomKey();
    const k2 = randomKey(16);
    const c = await startMixedCluster({ prefix: 'base-enc', hearsayCount: 0, goCount: 3, keys: [k1], goCompression: false });
    await rotateKeys(c, k1, k2);
    await checkMetadataBothWays(c, undefined, c.go[0]);
    for (const g of c.go) expect((await g.stats()).decryptFailures, `${g.name} decrypt failures during rotation`).toBe(0);

    const outsider = await startGoPeer({ name: 'base-enc-old', keys: [k1] });
    await expect(outsider.join([c.go[0]!.addr, c.go[1]!.addr], 10_000)).rejects.toThrow(/decrypt|EOF|remote/i);
    for (const g of c.go) await outsider.sendTo(g.addr, Uint8Array.of(1, 2, 3));
    for (const g of c.go) {
      await waitUntil(
        async () => (await g.stats()).decryptFailures > 0,
        STEP_MS,
        () => `${g.name} counted no decrypt failures\n${g.tail()}`,
      );
    }
    await expectNeverSeen(c, outsider.name);
    expect((await outsider.members()).map((m) => m.name)).toEqual([outsider.name]);
  }, 60_000);
});

describe.skipIf(!ok)('baseline: TCP fallback among Go peers', () => {
  afterAll(cleanupAll);

  it('a UDP-deaf Go peer stays alive through TCP fallback pings', async () => {
    const c = await startMixedCluster({ prefix: 'base-fb', hearsayCount: 0, goCount: 3 });
    const deaf = await startGoPeer({ name: 'base-fb-deaf', meta: initialGoMeta('base-fb-deaf'), udpFilter: true });
    expect(await deaf.join([c.go[0]!.addr])).toBe(1);
    c.go.push(deaf);
    c.names.push(deaf.name);
    await waitConverged(c, c.names, STEP_MS);
    const from = new Map(c.go.map((g) => [g, g.cursor]));
    await deaf.setUdpDeaf(true);
    await new Promise((r) => setTimeout(r, 20 * FAST.probeIntervalMs));
    expect((await deaf.stats()).udpDropped).toBeGreaterThan(0);
    for (const g of c.go) expect(g.events.slice(from.get(g)).filter((e) => e.event === 'leave'), `${g.name} departures`).toEqual([]);
    expect(c.go.flatMap((g) => g.logLines()).some((l) => /Was able to connect to base-fb-deaf/.test(l))).toBe(true);
  }, 60_000);
});

describe.skipIf(!serfOk)('baseline: Go memberlist peer in a serf cluster', () => {
  afterAll(cleanupAll);

  it('delegate 2,5,4 joins serf; tags shown; serf leave = left (3); a stopped Go node turns failed in serf', async () => {
    expect(serfAvailable()).toBe(true);
    const s1 = await startSerfAgent({ name: 'base-s1', tags: { role: 'serf-a' } });
    const s2 = await startSerfAgent({ name: 'base-s2', join: [s1.bind] });
    const tags = Uint8Array.of(0xff, 0x81, 0xa4, ...new TextEncoder().encode('role'), 0xa2, ...new TextEncoder().encode('go'));
    const g = await startGoPeer({ name: 'base-go', delegateVersions: [2, 5, 4], meta: tags });
    expect(await g.join([s1.bind])).toBe(1);
    const seen = await waitSerfMember(s2.rpc, 'base-go', (m) => m.status === 'alive', STEP_MS, 'alive');
    expect(seen.tags).toEqual({ role: 'go' });
    expect(seen.protocol).toEqual({ min: 2, max: 5, version: 4 });
    const s1InGo = await g.waitForNode('join', 'base-s1');
    expect(s1InGo.meta).toBe(hex(Uint8Array.of(0xff, 0x81, 0xa4, ...new TextEncoder().encode('role'), 0xa6, ...new TextEncoder().encode('serf-a'))));
    expect(s1InGo.vsn).toEqual([1, 5, 2, 2, 5, 5]);

    await serfLeave(s2.rpc);
    expect((await g.waitForNode('leave', 'base-s2')).state, 'serf leave → memberlist state').toBe(GoState.left);

    await g.stop();
    await waitSerfMember(s1.rpc, 'base-go', (m) => m.status === 'failed', 30_000, 'failed');
  }, 90_000);
});
