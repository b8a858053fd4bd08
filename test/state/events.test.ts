import { describe, expect, it } from 'vitest';
import { EventLog, type ClusterEvent } from '../../src/state/event-log.js';
import { STATE_DEFAULTS } from '../../src/state/limits.js';
import { Bench } from './harness.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('event log', () => {
  const from = (seq: number, floor = 1): ClusterEvent => ({ origin: 'a', generation: 1, seq, lamport: seq, name: 'e', payload: bytes(String(seq)), floor });

  it('delivers an origin\'s events once each, in order, holding early ones', () => {
    const log = new EventLog('b', 1, 30_000, 100);
    const order: number[] = [];
    for (const seq of [2, 1, 1, 3, 2, 5, 4, 5]) for (const e of log.receive(0, from(seq)).deliver) order.push(e.seq);
    expect(order).toEqual([1, 2, 3, 4, 5]);
    expect(log.lamport).toBe(5);
  });

  it('a receiver new to an origin starts at the origin\'s buffer floor, not at 1', () => {
    const log = new EventLog('b', 1, 30_000, 100);
    expect(log.receive(0, from(41, 40)).deliver).toEqual([]);
    expect(log.receive(0, from(40, 40)).deliver.map((e) => e.seq)).toEqual([40, 41]);
  });

  it('skips a gap nobody can fill once it is older than the window, then delivers what waited', () => {
    const log = new EventLog('b', 1, 30_000, 100);
    log.receive(0, from(1));
    expect(log.receive(1000, from(3)).deliver).toEqual([]);
    expect(log.expire(20_000, () => true)).toEqual([]);
    expect(log.expire(32_000, () => true).map((e) => e.seq)).toEqual([3]);
    expect(log.receive(33_000, from(2)).deliver).toEqual([]); // too late: already skipped
  });

  it('keeps the recent buffer within its count and age bounds', () => {
    const log = new EventLog('a', 1, 30_000, 50);
    for (let i = 0; i < 500; i++) log.publish(i, 'e', bytes('x'));
    expect(log.recentCount).toBe(50);
    log.expire(100_000, () => true);
    expect(log.recentCount).toBe(0);
  });
});

describe('events between engines', () => {
  it('every node delivers every event exactly once in per-origin order under 20 % loss', () => {
    const names = Array.from({ length: 30 }, (_, i) => `n${i}`);
    const b = new Bench(names, STATE_DEFAULTS, 9);
    for (let i = 0; i < 40; i++) {
      const origin = names[i % 5]!;
      b.engine(origin).events.publish(b.ctx(origin), 'deploy', bytes(`${origin}:${i}`));
      b.gossipRound(0.2);
    }
    for (let round = 0; round < 30; round++) {
      b.now += 200;
      b.gossipRound(0.2);
      if (round % 5 === 0) b.syncRound(0.2);
    }
    for (const n of names) {
      const got = b.delivered.get(n)!;
      expect(got.length).toBe(40);
      for (const origin of names.slice(0, 5)) {
        const seqs = got.filter((e) => e.origin === origin).map((e) => e.seq);
        expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      }
    }
  });

  it('anti-entropy alone brings a node that missed every relay up to date', () => {
    const b = new Bench(['a', 'b', 'c']);
    for (let i = 0; i < 5; i++) b.engine('a').events.publish(b.ctx('a'), 'x', bytes(String(i)));
    b.inflight = [];
    b.engine('b').events.handle(b.ctx('b'), { kind: 'events', from: 'a', events: [] });
    // No gossip at all: only digests.
    for (let i = 0; i < 6; i++) b.syncRound();
    expect(b.delivered.get('c')!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(b.delivered.get('b')!.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });
});
