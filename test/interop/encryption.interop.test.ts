/**
 * Scenario 5: the mixed cluster (4 hearsay + 4 Go memberlist v0.2.2) with encryption and with
 * compression on / off / mixed. In every configuration join, update, leave and fail must still
 * hold. In the encrypted configurations the primary key is also rotated mid-run on every node
 * (add the new key everywhere, then use it everywhere, then remove the old one), and nodes with
 * a wrong key — a Go peer holding only the retired key, a hearsay node with a random key — must
 * stay out of everyone's member list while their packets are counted as rejected (Go: memberlist
 * "Decrypt packet failed" log lines; hearsay: `hearsay_packets_dropped_total{reason=decrypt-failed}`).
 *
 * One cluster per configuration; its `it`s run in order on it (4+4 so the later scenarios still
 * have two observers of each implementation).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MixedCluster,
  STEP_MS,
  checkFailBothWays,
  checkLeaveBothWays,
  checkMemberDetails,
  checkMetadataBothWays,
  cleanupAll,
  expectNeverSeen,
  randomKey,
  requireInterop,
  rotateKeys,
  runningGo,
  runningHearsay,
  startGoPeer,
  startHearsay,
  startMixedCluster,
  waitUntil,
} from './harness.js';

const ok = await requireInterop({ go: true });
const DROPPED = 'hearsay_packets_dropped_total';

interface Config {
  readonly id: string;
  readonly title: string;
  readonly encrypted: boolean;
  readonly hearsayCompression: boolean;
  readonly goCompression: boolean;
}

const CONFIGS: Config[] = [
  { id: 'e1', title: 'encrypted, compression on', encrypted: true, hearsayCompression: true, goCompression: true },
  { id: 'e0', title: 'encrypted, compression off', encrypted: true, hearsayCompression: false, goCompression: false },
  { id: 'em', title: 'encrypted, compression mixed (hearsay off, Go on)', encrypted: true, hearsayCompression: false, goCompression: true },
  { id: 'p0', title: 'plaintext, compression off', encrypted: false, hearsayCompression: false, goCompression: false },
];

for (const cfg of CONFIGS) {
  describe.skipIf(!ok)(`hearsay ↔ Go memberlist, 4 + 4 nodes: ${cfg.title}`, () => {
    const k1 = randomKey(32);
    const k2 = randomKey(16);
    let c: MixedCluster;

    beforeAll(async () => {
      c = await startMixedCluster({
        prefix: cfg.id,
        hearsayCount: 4,
        goCount: 4,
        ...(cfg.encrypted ? { keys: [k1] } : {}),
        hearsayCompression: cfg.hearsayCompression,
        goCompression: cfg.goCompression,
      });
    }, 60_000);
    afterAll(cleanupAll);

    it('join: all eight see eight alive, with exact addresses, metadata and versions', async () => {
      await checkMemberDetails(c);
    });

    it('update: metadata both ways', async () => {
      await checkMetadataBothWays(c, c.hearsay[0], c.go[0]);
    }, 60_000);

    if (cfg.encrypted) {
      it('primary key rotated on every node mid-run: no packet rejected, updates still flow', async () => {
        await rotateKeys(c, k1, k2);
        await checkMetadataBothWays(c, c.hearsay[1], c.go[1]);
        for (const g of c.go) expect((await g.stats()).decryptFailures, `${g.name}: decrypt failures during rotation\n${g.tail()}`).toBe(0);
        for (const h of c.hearsay) expect(h.metrics.counter(DROPPED, { reason: 'decrypt-failed' }), `${h.name}: ${h.metrics.dump(DROPPED)}`).toBe(0);
      }, 60_000);
    }

    it('leave: hearsay leave() → Go left (3); Go Leave() → hearsay `leave`', async () => {
      await checkLeaveBothWays(c, c.hearsay[3], c.go[3]);
    }, 60_000);

    it('fail: Go SIGKILL → hearsay `fail`; hearsay crash → Go dead (2)', async () => {
      await checkFailBothWays(c, c.go[2], c.hearsay[2]);
    }, 60_000);

    if (cfg.encrypted) {
      it('wrong key: the node stays out of every member list and its packets are counted as rejected', async () => {
        const hs = runningHearsay(c);
        const gs = runningGo(c);
        const targets = [...hs.map((h) => h.addr), ...gs.map((g) => g.addr)];

        // A Go peer that only has the retired primary key.
        const oldKeyGo = await startGoPeer({ name: `${cfg.id}-wrong-go`, keys: [k1], compression: cfg.goCompression });
        await expect(oldKeyGo.join(targets, STEP_MS), 'Go peer with the retired key joining').rejects.toThrow();
        // A hearsay node with a key nobody has.
        const wrongH = await startHearsay({ name: `${cfg.id}-wrong-h`, secretKeys: [randomKey(32)], compression: cfg.hearsayCompression });
        await expect(wrongH.node.join(targets), 'hearsay node with a random key joining').rejects.toThrow();

        // Packets, not just streams: one UDP user message from each outsider to every member.
        for (const t of targets) {
          await oldKeyGo.sendTo(t, Uint8Array.of(0xde, 0xad));
          await wrongH.node.send(t, Uint8Array.of(0xbe, 0xef));
        }
        for (const g of gs) {
          await waitUntil(
            async () => (await g.stats()).decryptFailures > 0,
            STEP_MS,
            () => `${g.name} counted no decrypt failures\n${g.tail()}`,
          );
        }
        for (const h of hs) {
          await waitUntil(
            () => h.metrics.counter(DROPPED, { reason: 'decrypt-failed' }) > 0,
            STEP_MS,
            () => `${h.name}: no ${DROPPED}{reason=decrypt-failed}; counters: ${h.metrics.dump(DROPPED) || 'none'}`,
          );
          expect(h.events.filter((e) => e.type === 'message'), `${h.name} delivered a message it could not have decrypted`).toEqual([]);
        }
        for (const g of gs) expect(g.events.filter((e) => e.event === 'message'), `${g.name} delivered an undecryptable message`).toEqual([]);

        // Give gossip and a push/pull round a chance to leak them in, then check nobody has them.
        await new Promise((r) => setTimeout(r, 3500));
        await expectNeverSeen(c, oldKeyGo.name);
        await expectNeverSeen(c, wrongH.name);
        expect((await oldKeyGo.members()).map((m) => m.name)).toEqual([oldKeyGo.name]);
        expect(wrongH.node.members().map((m) => m.name)).toEqual([wrongH.name]);
      }, 60_000);
    }
  });
}
