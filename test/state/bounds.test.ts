/**
 * Issue 11, acceptance 5 (state size): 100,000 writes and deletes with member churn leave every
 * node's state bounded — per node by `maxNodeBytes` (tombstones included), and only members in
 * the table are held. Counted, not timed.
 */
import { describe, expect, it } from 'vitest';
import { STATE_DEFAULTS } from '../../src/state/limits.js';
import { Bench } from './harness.js';

describe('state bounds', () => {
  it('stays within the per-node budget and the member set through 100,000 writes and deletes with churn', () => {
    const opts = { ...STATE_DEFAULTS, maxNodeBytes: 8192, tombstoneGraceMs: 5_000 };
    const b = new Bench(['a', 'b', 'c', 'd'], opts, 11);
    let peak = 0;
    let peakRecords = 0;
    let generation = 0;
    for (let i = 0; i < 100_000; i++) {
      const live = [...b.engines.keys()];
      const writer = live[i % live.length]!;
      const key = `key-${i % 997}-${Math.floor(i / 5000)}`; // distinct keys over time: tombstones pile up unless collected
      const value = `value-${i}`;
      // What node.state.set() allows (it throws PayloadTooLargeError otherwise): the host then deletes instead.
      const fits = b.engine(writer).store.own.liveCostWith(key, value) <= opts.maxNodeBytes;
      if (i % 3 === 2 || !fits) b.set(writer, key, undefined);
      else b.set(writer, key, value);
      if (i % 50 === 0) {
        b.now += 100;
        b.gossipRound(0.1);
      }
      if (i % 500 === 0) b.syncRound(0.1);
      if (i % 10_000 === 9_999) {
        // Churn: one member leaves for good (reaped everywhere), a new one joins.
        const gone = live[0]!;
        b.engines.delete(gone);
        b.members.delete(gone);
        b.add(`m${++generation}`);
      }
      if (i % 1000 === 0) {
        for (const e of b.engines.values()) {
          let bytes = 0;
          let records = 0;
          for (const [, r] of e.store.members()) {
            bytes += r.bytes;
            records += r.size;
          }
          peak = Math.max(peak, bytes);
          peakRecords = Math.max(peakRecords, records);
          expect(e.store.own.bytes).toBeLessThanOrEqual(opts.maxNodeBytes);
          expect(e.store.peerCount).toBeLessThanOrEqual(4); // only members in the table (after the sync that drops the reaped)
        }
      }
    }
    // Every node holds at most the budget for each of the ≤ 5 members it knows.
    expect(peak).toBeLessThanOrEqual(5 * opts.maxNodeBytes);
    expect(peakRecords).toBeLessThan(5 * (opts.maxNodeBytes / 16));
    for (let i = 0; i < 10; i++) b.syncRound();
    expect(b.converged()).toBe(true);
  }, 120_000);
});
