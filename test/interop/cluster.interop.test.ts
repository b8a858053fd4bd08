/**
 * hearsay ↔ Go memberlist v0.2.2 on loopback, plaintext, compression on (both defaults):
 * 3 hearsay nodes + 3 real Go peers per test, each test on a fresh cluster.
 *
 * 1. Go joins through a hearsay seed and hearsay through a Go seed; all six see six alive.
 * 2. Go SIGKILL → every hearsay node emits `fail`; hearsay shutdown() without leave → every Go
 *    peer reports it dead (NotifyLeave, state 2).
 * 3. hearsay leave() → Go sees it left (state 3); Go Leave() → hearsay emits `leave`.
 * 4. hearsay setMetadata → Go NotifyUpdate with the same bytes; Go UpdateNode → hearsay `update`.
 * 5. (extra) user messages both ways: hearsay broadcast() / send() / sendReliable() reach Go's
 *    NotifyMsg; Go delegate broadcasts (GetBroadcasts) and SendTo reach hearsay's `message`.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  checkFailBothWays,
  checkLeaveBothWays,
  checkMemberDetails,
  checkMetadataBothWays,
  cleanupAll,
  describeEvent,
  hex,
  requireInterop,
  startMixedCluster,
  waitConverged,
  waitForEvent,
  STEP_MS,
} from './harness.js';

const ok = await requireInterop({ go: true });

describe.skipIf(!ok)('hearsay ↔ Go memberlist: 3 + 3 nodes, plaintext, compression on', () => {
  afterEach(cleanupAll);
  afterAll(cleanupAll);

  it('1. Go joins via a hearsay seed, hearsay via a Go seed; all six see six alive', async () => {
    const c = await startMixedCluster({ prefix: 'c1' });
    expect(c.names).toHaveLength(6);
    await checkMemberDetails(c);
    // Stability: still six after a push/pull round (pushPullIntervalMs 3000) and ~10 probe
    // cycles, and nobody was ever declared failed or left (a suspicion that was refuted is
    // tolerated: it is timing, not protocol).
    await new Promise((r) => setTimeout(r, 4000));
    await waitConverged(c, c.names, STEP_MS);
    for (const h of c.hearsay) {
      expect(h.events.filter((e) => e.type === 'fail' || e.type === 'leave').map(describeEvent), `${h.name}: departures in a healthy cluster`).toEqual([]);
    }
    for (const g of c.go) {
      expect(g.events.filter((e) => e.event === 'leave'), `${g.name}: departures in a healthy cluster`).toEqual([]);
    }
  }, 60_000);

  it('2. Go SIGKILL → hearsay `fail`; hearsay crash → Go NotifyLeave state 2 (dead)', async () => {
    const c = await startMixedCluster({ prefix: 'c2' });
    await checkFailBothWays(c, c.go[2], c.hearsay[2]);
  }, 60_000);

  it('3. hearsay leave() → Go state 3 (left); Go Leave() → hearsay `leave`', async () => {
    const c = await startMixedCluster({ prefix: 'c3' });
    await checkLeaveBothWays(c, c.hearsay[2], c.go[2]);
  }, 60_000);

  it('4. hearsay setMetadata → Go NotifyUpdate, same bytes; Go UpdateNode → hearsay `update`', async () => {
    const c = await startMixedCluster({ prefix: 'c4' });
    await checkMetadataBothWays(c, c.hearsay[0], c.go[0]);
  }, 60_000);

  it('5. user messages both ways: gossip, UDP and TCP', async () => {
    // One node of each: memberlist sends a user broadcast only RetransmitMult × ⌈log10(n+1)⌉
    // times to random gossip targets and receivers do not relay it (only a delegate like serf
    // would), so "everyone receives it" is not a memberlist property. With two nodes, each
    // side's only target is the other, which makes delivery deterministic.
    const c = await startMixedCluster({ prefix: 'c5', hearsayCount: 1, goCount: 1 });
    const h = c.hearsay[0]!;
    const g = c.go[0]!;
    const bytes = (s: string): Uint8Array => Uint8Array.from([0x00, 0xff, 0xc4, ...new TextEncoder().encode(s)]);

    // hearsay → Go: piggybacked gossip, one datagram, one TCP stream.
    const gossip = bytes('gossip from hearsay');
    h.node.broadcast(gossip);
    await g.waitFor((e) => e.event === 'message' && e.data === hex(gossip), STEP_MS, 'gossip message from hearsay');
    const datagram = bytes('datagram from hearsay');
    await h.node.send(g.name, datagram);
    await g.waitFor((e) => e.event === 'message' && e.data === hex(datagram), STEP_MS, 'datagram from hearsay');
    const reliable = bytes('stream from hearsay');
    await h.node.sendReliable(g.name, reliable);
    await g.waitFor((e) => e.event === 'message' && e.data === hex(reliable), STEP_MS, 'reliable message from hearsay');

    // Go → hearsay: delegate broadcast (GetBroadcasts) and SendTo (one datagram).
    const goGossip = bytes('gossip from go');
    await g.request(`user ${hex(goGossip)}`, 'user-queued');
    await waitForEvent(h, 'message', (m) => hex(m.payload) === hex(goGossip), STEP_MS);
    const goDatagram = bytes('datagram from go');
    await g.sendTo(h.addr, goDatagram);
    await waitForEvent(h, 'message', (m) => hex(m.payload) === hex(goDatagram), STEP_MS);

    // A gossiped user message is retransmitted RetransmitMult × ⌈log10(n+1)⌉ = 2 × 1 times (local
    // preset, n = 2) and, as in memberlist, receivers do not deduplicate: it may arrive once or
    // twice. Direct messages arrive exactly once. Nothing else arrives, and no copy is mangled.
    const limit = 2;
    const atGo = g.events.flatMap((e) => (e.event === 'message' ? [e.data as string] : []));
    const atHearsay = h.events.flatMap((e) => (e.type === 'message' ? [hex((e.payload as { payload: Uint8Array }).payload)] : []));
    expectDeliveries(atGo, { gossip: hex(gossip), direct: [hex(datagram), hex(reliable)], limit });
    expectDeliveries(atHearsay, { gossip: hex(goGossip), direct: [hex(goDatagram)], limit });
  }, 60_000);
});

/** Asserts a receiver's messages: the gossiped one 1…limit times, each direct one exactly once, nothing else. */
function expectDeliveries(got: readonly string[], want: { gossip: string; direct: readonly string[]; limit: number }): void {
  const copies = got.filter((m) => m === want.gossip).length;
  expect(copies, 'copies of the gossiped message').toBeGreaterThanOrEqual(1);
  expect(copies, 'copies of the gossiped message').toBeLessThanOrEqual(want.limit);
  expect(got.filter((m) => m !== want.gossip)).toEqual(want.direct);
}
