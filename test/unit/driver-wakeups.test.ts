/**
 * How often the driver wakes the process, counted on a virtual clock: an idle node should wake
 * about once per probe interval, not for idle gossip ticks, acked probes' timeouts, or host
 * timers that fire a fraction of a millisecond early.
 */
import { describe, expect, it } from 'vitest';
import { Core } from '../../src/core/core.js';
import { seededRandom } from '../../src/core/random.js';
import { noopLogger, noopMetrics } from '../../src/observability.js';
import { resolveOptions } from '../../src/options.js';
import type { Clock } from '../../src/runtime/clock.js';
import { Driver } from '../../src/runtime/driver.js';
import type { Transport } from '../../src/transport/transport.js';
import { addr, config } from '../core/helpers.js';

/** One virtual timeline shared by every node's clock and the network. */
class Scheduler {
  now = 0;
  private seq = 0;
  private readonly pending = new Map<number, { due: number; fn: () => void }>();

  at(delayMs: number, fn: () => void): number {
    const id = ++this.seq;
    this.pending.set(id, { due: this.now + Math.max(0, delayMs), fn });
    return id;
  }
  cancel(id: number): void {
    this.pending.delete(id);
  }
  /** Runs every callback due until `until`, in time order. */
  runUntil(until: number): void {
    for (;;) {
      let next: [number, { due: number; fn: () => void }] | undefined;
      for (const e of this.pending) if (next === undefined || e[1].due < next[1].due) next = e;
      if (next === undefined || next[1].due > until) break;
      this.pending.delete(next[0]);
      this.now = Math.max(this.now, next[1].due);
      next[1].fn();
    }
    this.now = until;
  }
}

/**
 * A node's clock. Like Node's `setTimeout`, a delay under 1 ms becomes 1 ms, and the callback
 * may run up to `earlyMs` before the requested time as measured by `now()` (libuv counts whole
 * ms on a cached loop time).
 */
function nodeClock(s: Scheduler, earlyMs: number, onWake: () => void): Clock {
  return {
    now: () => s.now,
    setTimer: (fn, delayMs) =>
      s.at(Math.max(1, delayMs) - earlyMs, () => {
        onWake();
        fn();
      }),
    clearTimer: (handle) => s.cancel(handle as number),
  };
}

/** Starts `names.length` drivers wired by a 1 ms network; returns their wake-up counters. */
function cluster(s: Scheduler, names: readonly string[], earlyMs: number): { wakes: number[]; drivers: Driver[] } {
  const wakes = names.map(() => 0);
  const drivers: Driver[] = [];
  names.forEach((name, i) => {
    const options = resolveOptions({ name, pushPullIntervalMs: 0, compression: false });
    const transport: Transport = {
      localAddress: addr(i + 1),
      mtu: 1400,
      start: async () => {},
      send: async (to, bytes) => {
        const peer = drivers[Number(to.split(':')[0]!.split('.')[3]) - 1];
        s.at(1, () => peer?.handleDatagram(addr(i + 1), bytes));
      },
      dial: () => Promise.reject(new Error('no streams in this test')),
      close: async () => {},
    };
    const core = new Core(config(name, i + 1, { pushPullIntervalMs: 0 }), seededRandom(i + 1));
    drivers.push(
      new Driver(core, {
        options,
        transport,
        clock: nodeClock(s, earlyMs, () => wakes[i]!++),
        logger: noopLogger,
        metrics: noopMetrics,
        onEvent: () => {},
        onFatal: (error) => {
          throw error;
        },
      }),
    );
  });
  for (const d of drivers) d.begin();
  // Everyone learns everyone (what a join's push/pull would do), through the core.
  for (const d of drivers) {
    const state = d.core.localState(true);
    for (const other of drivers) if (other !== d) other.step((now, fx) => other.core.mergeRemoteState(now, state, fx));
  }
  return { wakes, drivers };
}

describe('driver wake-ups on an idle cluster', () => {
  it.each([0, 0.6])('wake about once per probe interval (host timers fire up to %s ms early)', (earlyMs) => {
    const s = new Scheduler();
    const { wakes, drivers } = cluster(s, ['a', 'b', 'c'], earlyMs);
    s.runUntil(10_000); // settle: the join's alive messages are gossiped out, then the ticker parks
    const before = [...wakes];
    s.runUntil(70_000);
    const perNode = wakes.map((w, i) => w - before[i]!);
    // 60 probe intervals of 1 s: one probe tick each, nothing else (acks arrive in 2 ms). An
    // always-on gossip ticker alone would add 300 wake-ups per node.
    for (const w of perNode) expect(w).toBeLessThanOrEqual(66);
    for (const w of perNode) expect(w).toBeGreaterThanOrEqual(55);
    for (const d of drivers) {
      expect(d.core.members().every((m) => m.state === 'alive')).toBe(true);
      d.stop();
    }
  });
});
