/**
 * Hostile UDP traffic against a live node, over real sockets on 127.0.0.1.
 *
 * A gossip node listens on a well-known UDP port that anything on the network can reach, usually
 * without encryption. So every byte a peer sends is untrusted input: a port scanner, a
 * misconfigured service, a fuzzer, or an attacker. The README promises that "anything a peer
 * sends is counted (`hearsay_packets_dropped_total{reason}`), logged at debug, and dropped". These
 * tests hold hearsay to that promise on a live 3-node cluster: node A is attacked, B and C are
 * healthy observers, and the cluster must carry on as if nothing happened.
 *
 * What "survives" means here, all observable from outside the protocol:
 * - A keeps running (`status`), keeps reading datagrams, and keeps gossiping both ways;
 * - nobody fails or leaves: no `fail`/`leave` events between A, B and C;
 * - every hostile input is counted as a drop with a reason, at least as many as the wire
 *   decoder itself reports for the exact bytes sent (so a drop that was silently skipped, e.g. a
 *   throw that the transport swallowed, shows up as a shortfall);
 * - nothing escapes: no transport handler throws (A runs on a thin wrapper around the real
 *   `UdpTransport` that records them, because the real one swallows them silently), no
 *   `logger.error` ("core step threw"), no `internal-error` drop, no unhandled rejection or
 *   uncaught exception in the process.
 *
 * The scenarios: a UDP flood (noise, corrupted real packets, bombs, nesting, lying compounds,
 * unknown types) and forged but well-formed protocol messages (a `dead` about a healthy member,
 * an `alive` for a phantom). The generators live in `test/hostile/` and are shared with the
 * fuzzer (`npm run fuzz`), which sends a million of them; stream abuse is in
 * `hostile-tcp.test.ts`.
 *
 * Randomised inputs come from a seeded PRNG; a failure prints the seed, and
 * `HEARSAY_SEED=<seed> npx vitest run test/integration/hostile-udp.test.ts` replays it.
 * @module
 */
import { describe, expect, it } from 'vitest';
import type { RefuteEvent } from '../../src/events.js';
import { encodeMessage } from '../../src/wire/index.js';
import { randInt, randomBytes, shuffle } from '../hostile/bytes.js';
import {
  cluster,
  expectConverged,
  expectNoFailures,
  expectNothingEscaped,
  paced,
  portOf,
  seeded as seededIn,
  silentUdpSocket,
  UdpAttacker,
  useHostileFixture,
} from '../hostile/fixture.js';
import { craftedDatagrams, harmless, mutate, pipeline, validDatagram, VSN } from '../hostile/generators.js';
import { count, waitUntil } from './helpers.js';

useHostileFixture();
const seeded = (body: Parameters<typeof seededIn>[1]): Promise<void> => seededIn('test/integration/hostile-udp.test.ts', body);

describe('a live node under hostile UDP traffic', () => {
  /**
   * UDP is connectionless and unauthenticated by default, so the packet pipeline sees whatever
   * anyone sends: noise, corrupted real packets, decompression bombs (a few KiB that would
   * inflate to gigabytes), nesting meant to blow the stack, compounds that lie about their size,
   * types that do not exist. Any of these crashing the process, wedging the socket or throwing
   * past the driver would take a healthy member out of the cluster, which its peers would then
   * (correctly) declare failed. This floods A with ~3,000 such datagrams and checks that each
   * was counted and dropped and that the cluster never noticed.
   */
  it('drops and counts a flood of garbage, mutated, bomb and malformed datagrams, and the cluster never notices', async () => {
    await seeded(async (rng) => {
      const h = await cluster('hx-udp');
      const real = new Set(h.names);
      const limits = h.a.node.options;

      // Build the flood, keeping only inputs that stay harmless if they happen to decode.
      const datagrams: Uint8Array[] = [];
      const expected = new Map<string, number>();
      const take = (bytes: Uint8Array): boolean => {
        const { drops, messages } = pipeline(bytes, limits);
        if (!harmless(messages, { real })) return false;
        for (const [reason, n] of drops) expected.set(reason, (expected.get(reason) ?? 0) + n);
        datagrams.push(bytes);
        return true;
      };
      for (const { label, bytes } of craftedDatagrams(rng)) {
        if (!take(bytes)) throw new Error(`crafted datagram "${label}" decodes to messages that are not harmless`);
      }
      for (let i = 0; i < 1500; i++) while (!take(randomBytes(rng, randInt(rng, 1501))));
      for (let i = 0; i < 1500; i++) while (!take(mutate(rng, validDatagram(rng))));
      // Interleave, so bombs and noise are not all in one place.
      shuffle(rng, datagrams);
      const expectedTotal = [...expected.values()].reduce((n, v) => n + v, 0);

      const attacker = new UdpAttacker();
      await attacker.open();
      const dropsBefore = new Map(h.metrics.drops);
      const heapBefore = process.memoryUsage().heapUsed;

      await paced(attacker, h, datagrams);

      // Every drop the decoder reports for these exact bytes was counted, under its reason.
      const delta = (reason: string): number => h.metrics.dropped(reason) - (dropsBefore.get(reason) ?? 0);
      for (const [reason, n] of expected) expect(delta(reason), `drops{reason=${reason}}`).toBeGreaterThanOrEqual(n);
      expect(expectedTotal, 'the flood should be mostly droppable').toBeGreaterThan(2000);
      for (const reason of ['too-large', 'nesting', 'truncated', 'unknown-type', 'crc-mismatch', 'label-mismatch', 'compression']) {
        expect(delta(reason), `drops{reason=${reason}}`).toBeGreaterThan(0);
      }
      expect(h.a.node.status).toBe('running');
      expectNothingEscaped(h);

      // Still a full member, both ways: A hears B's news, and B and C hear A's.
      await expectConverged(h.all, h.names, 'all three to see all three alive after the flood');
      await h.b.node.setMetadata({ after: 'flood' });
      await h.a.node.setMetadata({ after: 'flood' });
      const [an, bn] = [h.a.node.options.name, h.b.node.options.name];
      await waitUntil(() => count(h.a, 'update', bn) >= 1 && count(h.b, 'update', an) >= 1 && count(h.c, 'update', an) >= 1, 15_000, 'metadata updates to cross A both ways');
      expectNoFailures(h);
      expectNothingEscaped(h);

      // Lenient: the flood (including the bombs' transient buffers) must not leave A with a heap to match.
      const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
      expect(grownMiB, 'heap growth over the flood, MiB').toBeLessThan(200);
    });
  }, 60_000);

  /**
   * Well-formed lies are not a decoding problem: SWIM lets any member accuse any other, and
   * memberlist accepts a `dead` from anyone as long as its incarnation is current. The defence is
   * the protocol itself: the accused hears the accusation and refutes it with a higher
   * incarnation, which overrides the `dead` everywhere. This sends A a forged `dead` about B
   * (from a name nobody knows, at B's current incarnation) and checks that the cluster heals,
   * and that a forged `alive` for a phantom at an unanswering address is admitted (protocol) and
   * then failed by the normal failure detector, while forged alives with unusable addresses are
   * dropped and counted.
   */
  it('heals from a forged dead (the accused refutes) and fails a forged phantom', async () => {
    await seeded(async () => {
      const h = await cluster('hx-spoof');
      const port = portOf(h.transport.localAddress);
      const bName = h.b.node.options.name;
      // The forgery carries B's current incarnation, as A knows it (anything older would be ignored as stale).
      const incarnation = h.b.node.localMember.incarnation;
      await waitUntil(() => h.a.node.members().find((m) => m.name === bName)?.incarnation === incarnation, 15_000, 'A to know B\'s current incarnation');

      const attacker = new UdpAttacker();
      await attacker.open();
      await attacker.send(port, encodeMessage({ type: 'dead', incarnation, node: bName, from: 'mallory' }).slice());

      // A believes it (that is the protocol)…
      await waitUntil(() => count(h.a, 'fail', bName) >= 1, 15_000, 'A to accept the forged dead about B');
      // …B hears of it and refutes…
      const refutationOfDeath = (): RefuteEvent | undefined =>
        h.b.events.map((e) => (e.event === 'self:refute' ? (e.payload as RefuteEvent) : undefined)).find((r) => r?.accusation === 'dead');
      await waitUntil(() => refutationOfDeath() !== undefined, 15_000, 'B to refute its death', () => h.b.events.map((e) => e.event));
      const refutation = refutationOfDeath()!;
      // The forged message itself, or a member that believed it telling B so (its ack to a member it holds dead).
      expect(['mallory', h.a.node.options.name, h.c.node.options.name]).toContain(refutation.accuser);
      expect(refutation.incarnation).toBeGreaterThan(incarnation);
      // …and everyone ends up with B alive at the new incarnation.
      await expectConverged(h.all, h.names, 'B to be alive everywhere again');
      await waitUntil(
        () => h.all.every((t) => (t.node.members().find((m) => m.name === bName)?.incarnation ?? 0) > incarnation),
        15_000,
        'B\'s refuting incarnation to reach everyone',
      );
      expect(h.b.node.localMember.incarnation).toBeGreaterThan(incarnation);

      // A phantom at an address that never answers (our own silent UDP socket; nothing on its TCP port).
      const blackHole = await silentUdpSocket();
      const phantom = 'phantom';
      const alive = (addr: Uint8Array, node: string): Uint8Array =>
        encodeMessage({ type: 'alive', incarnation: 1, node, addr, port: blackHole.address().port, meta: null, vsn: VSN }).slice();
      const badAddrBefore = h.metrics.dropped('bad-addr');
      await attacker.send(port, alive(new Uint8Array(0), 'phantom-no-addr')); // decodes, but Addr is not an IP
      await attacker.send(port, alive(Uint8Array.of(127, 0, 0, 1), phantom));
      await waitUntil(() => count(h.a, 'join', phantom) === 1, 15_000, 'A to admit the phantom');
      await waitUntil(() => h.metrics.dropped('bad-addr') > badAddrBefore, 15_000, 'A to drop the alive without an address');
      await waitUntil(() => count(h.a, 'fail', phantom) === 1, 20_000, 'the phantom to be declared failed', () => h.a.node.members({ state: 'all' }).map((m) => `${m.name}:${m.state}`));
      expect(h.a.node.members({ state: 'all' }).some((m) => m.name === 'phantom-no-addr')).toBe(false);

      // The real members came through it all: only B's forged death, nothing else.
      await expectConverged(h.all, h.names, 'A, B and C to be alive everywhere at the end');
      for (const t of h.all) {
        for (const other of h.all) {
          if (other === t) continue;
          const n = other.node.options.name;
          expect(count(t, 'leave', n), `${t.node.options.name} saw ${n} leave`).toBe(0);
          if (n !== bName) expect(count(t, 'fail', n), `${t.node.options.name} saw ${n} fail`).toBe(0);
        }
      }
      expectNothingEscaped(h);
    });
  }, 60_000);
});
