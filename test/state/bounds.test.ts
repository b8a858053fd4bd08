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

describe('state sizes through churn (counted: StateEngine.sizes)', () => {
  it('100,000 writes, deletes, TTLs, large values and events with crashes, joins and restarts: every structure plateaus', () => {
    const opts = { ...STATE_DEFAULTS, tombstoneGraceMs: 20_000 };
    const b = new Bench(['a', 'b', 'c', 'd', 'e'], opts, 5);
    const big = 'x'.repeat(3000); // over the 1,400-byte budget: sent in fragments
    const enc = new TextEncoder();
    let fresh = 0;
    const totals: { records: number; tombstones: number; eventsRecent: number }[] = [];
    for (let i = 0; i < 100_000; i++) {
      const live = [...b.engines.keys()];
      const writer = live[i % live.length]!;
      const epoch = Math.floor(i / 10_000);
      const key = `k${i % 300}-${epoch}`;
      const value = i % 50 === 0 ? big : `v${i}`;
      if (i % 10_000 === 0) {
        // The hosts delete their keys of two epochs ago (as services retire old keys): deletes pile up as tombstones until collected.
        for (const [name, e] of b.engines) for (const [k] of [...e.store.own.live()]) if (Number(k.split('-')[1]) < epoch - 1) b.set(name, k, undefined);
      }
      const fits = b.engine(writer).store.own.liveCostWith(key, value) <= opts.maxNodeBytes;
      if (i % 7 === 3 || !fits) b.set(writer, key, undefined);
      else b.set(writer, key, value, i % 10 === 1 ? 3_000 : undefined);
      if (i % 100 === 0) b.engine(writer).events.publish(b.ctx(writer), 'churn', enc.encode(String(i)));
      if (i % 100 === 99) {
        b.now += 1000;
        b.gossipRound(0.05);
        b.syncRound(0.05);
      }
      if (i % 5_000 === 4_999) {
        const victim = live[1 + (i % (live.length - 1))]!;
        if (i % 10_000 === 9_999) {
          b.add(victim, b.now + 1); // restart under the same name: a new generation
        } else {
          b.engines.delete(victim); // gone for good, reaped everywhere
          b.members.delete(victim);
          b.add(`f${++fresh}`);
        }
      }
      if (i % 20_000 === 19_999) {
        let records = 0;
        let tombstones = 0;
        let eventsRecent = 0;
        for (const e of b.engines.values()) {
          const z = e.sizes();
          expect(z.replicas).toBeLessThanOrEqual(b.members.size);
          expect(z.bytes).toBeLessThanOrEqual(b.members.size * opts.maxNodeBytes);
          expect(z.filling).toBeLessThanOrEqual(b.members.size);
          expect(z.hot).toBeLessThanOrEqual(b.members.size);
          expect(z.expiries).toBeLessThanOrEqual(e.store.own.size);
          expect(z.fragments).toBeLessThanOrEqual(32);
          expect(z.fragmentSenders).toBeLessThanOrEqual(z.fragments);
          expect(z.eventOrigins).toBeLessThanOrEqual(b.members.size);
          expect(z.eventsRecent).toBeLessThanOrEqual(4096);
          expect(z.eventsHeld).toBeLessThanOrEqual(1024 * b.members.size);
          records += z.records;
          tombstones += z.tombstones;
          eventsRecent += z.eventsRecent;
        }
        totals.push({ records, tombstones, eventsRecent });
      }
    }
    // A plateau, not a climb: the last checkpoints hold no more than the first one plus half.
    const first = totals[0]!;
    const shown = JSON.stringify(totals);
    for (const t of totals.slice(1)) {
      expect(t.records, shown).toBeLessThanOrEqual(first.records * 1.5);
      expect(t.tombstones, shown).toBeLessThanOrEqual(first.tombstones * 1.5 + 50);
      expect(t.eventsRecent).toBeLessThanOrEqual(first.eventsRecent * 1.5 + 50);
    }
    // Fragments were exercised and every message completed or was dropped.
    for (let r = 0; r < 20; r++) {
      b.now += 1000;
      b.syncRound();
    }
    const diff: string[] = [];
    for (const o of b.engines.keys()) for (const v of b.engines.keys()) if (JSON.stringify(b.view(v, o)) !== JSON.stringify(b.view(o, o))) diff.push(`${v}->${o} ${b.engine(v).store.position(o)?.version}/${b.engine(o).store.own.version} gen ${b.engine(v).store.position(o)?.generation}/${b.engine(o).generation}`);
    expect(diff).toEqual([]);
  }, 240_000);
});
