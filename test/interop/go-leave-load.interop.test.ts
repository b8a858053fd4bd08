/**
 * A Go memberlist node's graceful `Leave()` must reach every hearsay node as `leave`, also on a
 * loaded machine and right after the Go node has seen other members depart.
 *
 * Once, in eight runs of the 4 + 4 mixed cluster on a loaded CI machine, a hearsay node did not
 * see a Go peer's `Leave()` within 15 s; that Go peer had just seen another Go peer crash and a
 * hearsay node leave. This file repeats exactly that sequence on a fresh 4 + 4 cluster
 * {@link RUNS} times, with two CPU hogs (child processes spinning) competing for the cores:
 *
 * 1. Go peer g3 is SIGKILLed; every hearsay node emits `fail` for it;
 * 2. hearsay node h4 calls `leave()`; every other hearsay node emits `leave` for it;
 * 3. Go peer g4 calls `Leave()`; every running hearsay node must emit `leave` (state `left`),
 *    not `fail`, within {@link STEP_MS}.
 *
 * The runs cycle through the wire configurations of `encryption.interop.test.ts` (where the
 * 4 + 4 cluster runs leave and fail back to back): encrypted with compression on, off and mixed,
 * and plaintext. The time each hearsay node took to see the leave is printed at the end, so a
 * creeping tail shows before it reaches the deadline.
 *
 * Why the sequence matters: memberlist spends a leave's few transmits (RetransmitMult ×
 * ⌈log10(n+1)⌉ = 2 with the local preset at n = 8) on gossip targets chosen among alive *and*
 * recently dead members, so with two departed members the leaver's `dead` often reaches only
 * one live node, or none, and the rest of the cluster must learn it from relays and push/pull.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { MemberSnapshot } from '../../src/index.js';
import {
  STEP_MS,
  checkFailBothWays,
  cleanupAll,
  describeEvent,
  firstDeparture,
  hearsayTail,
  randomKey,
  requireInterop,
  runningHearsay,
  startMixedCluster,
  type HearsayHandle,
  type MixedCluster,
} from './harness.js';

const ok = await requireInterop({ go: true });

/** Repetitions of the scenario (`HEARSAY_GO_LEAVE_RUNS` overrides, e.g. for a longer soak). */
const RUNS = Number(process.env.HEARSAY_GO_LEAVE_RUNS ?? 20);
/** CPU hogs beside the cluster: one per core of the 2-core CI machine (`HEARSAY_GO_LEAVE_HOGS` overrides). */
const HOGS = Number(process.env.HEARSAY_GO_LEAVE_HOGS ?? 2);

/** Child processes that spin forever until killed: load the machine the way CI's neighbours did. */
function startHogs(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => {
    const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    child.on('error', () => {});
    return child;
  });
}

async function stopHogs(hogs: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    hogs.map(
      (h) =>
        new Promise<void>((resolve) => {
          if (h.exitCode !== null || h.signalCode !== null) return resolve();
          h.once('exit', () => resolve());
          h.kill('SIGKILL');
        }),
    ),
  );
}

/** What every hearsay node recorded about `name`, for a failure message. */
function eventsAbout(c: MixedCluster, name: string): string {
  return c.hearsay
    .map((h) => `${h.name}: ${h.events.filter((e) => (e.payload as { member?: MemberSnapshot }).member?.name === name).map(describeEvent).join(' | ')}`)
    .join('\n  ');
}

/** The wire configurations of the encryption suite, one per run in turn. */
const CONFIGS = [
  { id: 'e1', encrypted: true, hearsayCompression: true, goCompression: true },
  { id: 'e0', encrypted: true, hearsayCompression: false, goCompression: false },
  { id: 'em', encrypted: true, hearsayCompression: false, goCompression: true },
  { id: 'p1', encrypted: false, hearsayCompression: true, goCompression: true },
] as const;

/** ms from `Leave()` returning to each hearsay node's `leave` event, over all runs. */
const latencies: number[] = [];

describe.skipIf(!ok)(`Go Leave() seen by hearsay under CPU load, ${RUNS} runs`, () => {
  let hogs: ChildProcess[] = [];
  beforeAll(() => {
    hogs = startHogs(HOGS);
  });
  afterEach(cleanupAll);
  afterAll(async () => {
    await stopHogs(hogs);
    await cleanupAll();
    if (latencies.length > 0) {
      const sorted = [...latencies].sort((a, b) => a - b);
      const q = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
      console.info(`Go Leave() → hearsay leave, ${sorted.length} observations: median ${q(0.5)} ms, p90 ${q(0.9)} ms, max ${sorted.at(-1)} ms`);
    }
  });

  for (let run = 1; run <= RUNS; run++) {
    const cfg = CONFIGS[(run - 1) % CONFIGS.length]!;
    it(`run ${run} (${cfg.id}): Go crash, hearsay leave, then Go Leave() → every hearsay node emits leave`, async () => {
      const c = await startMixedCluster({
        prefix: `gl${run}${cfg.id}`,
        hearsayCount: 4,
        goCount: 4,
        ...(cfg.encrypted ? { keys: [randomKey(32)] } : {}),
        hearsayCompression: cfg.hearsayCompression,
        goCompression: cfg.goCompression,
      });
      const [g3, g4] = [c.go[2]!, c.go[3]!];
      const h4 = c.hearsay[3]!;

      // 1. A Go peer crashes (every hearsay node fails it, every Go peer marks it dead).
      await checkFailBothWays(c, g3, undefined);

      // 2. A hearsay node leaves; the others (and g4) see it leave.
      const before2 = new Map(c.hearsay.map((h) => [h, h.events.length] as const));
      await h4.node.leave({ timeoutMs: 5000 });
      for (const h of runningHearsay(c, h4)) {
        const e = await firstDeparture(h, h4.name, before2.get(h)!);
        expect(e.type, `${h.name}: event for ${h4.name}'s leave()`).toBe('leave');
      }
      await g4.waitForNode('leave', h4.name, undefined, STEP_MS);
      await h4.node.shutdown();

      // 3. The Go peer that saw both departures leaves gracefully.
      const observers: HearsayHandle[] = runningHearsay(c);
      const before3 = new Map(observers.map((h) => [h, h.events.length] as const));
      const leftAt = Date.now();
      await g4.leave(5000);
      const results = await Promise.allSettled(observers.map((h) => firstDeparture(h, g4.name, before3.get(h)!)));
      const failures = results.flatMap((r, i) => (r.status === 'rejected' ? [`${observers[i]!.name}: ${String(r.reason)}`] : []));
      expect(failures, `hearsay nodes that saw no departure of ${g4.name} within ${STEP_MS} ms\n  ${eventsAbout(c, g4.name)}\n${g4.tail()}`).toEqual([]);
      for (const [i, r] of results.entries()) {
        if (r.status !== 'fulfilled') continue;
        const h = observers[i]!;
        expect(
          { type: r.value.type, state: (r.value.payload as { member: MemberSnapshot }).member.state },
          `${h.name}: first departure of ${g4.name} ${r.value.at - leftAt} ms after Leave() returned\n${hearsayTail(h)}`,
        ).toEqual({ type: 'leave', state: 'left' });
        latencies.push(r.value.at - leftAt);
      }
    }, 90_000);
  }
});
