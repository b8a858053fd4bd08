import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Awareness } from '../../src/core/awareness.js';
import { TransmitLimitedQueue, retransmitLimit } from '../../src/core/broadcasts.js';
import { MemberTable, memberEntry, type MemberEntry } from '../../src/core/members.js';
import { pushPullScale } from '../../src/core/push-pull.js';
import { seededRandom } from '../../src/core/random.js';
import { Suspicion, remainingSuspicionMs, suspicionTimeouts } from '../../src/core/suspicion.js';
import { decodeTags } from '../../src/core/snapshot.js';
import { lan, local, wan } from '../../src/options.js';

describe('suspicionTimeouts (reference §5, values checked against Go)', () => {
  it.each([
    // n, preset, min, max, k
    [1, lan(), 4000, 24000, 0],
    [3, lan(), 4000, 24000, 0],
    [4, lan(), 4000, 24000, 2],
    [10, lan(), 4000, 24000, 2],
    [100, lan(), 8000, 48000, 2],
    [200, lan(), 9204, 55224, 2],
    [1000, lan(), 12000, 72000, 2],
    [5000, lan(), 14792, 88752, 2],
    [100, wan(), 60000, 360000, 4],
    [200, wan(), 69030, 414180, 4],
    [200, local(), 6903, 41418, 1],
  ] as const)('n = %i gives min/max/k from Go', (n, opts, minMs, maxMs, k) => {
    expect(suspicionTimeouts(n, opts)).toEqual({ minMs, maxMs, k });
  });

  it('uses a fixed 4 s with k = 0 on a LAN of three or fewer', () => {
    for (const n of [1, 2, 3]) {
      const t = suspicionTimeouts(n, lan());
      expect(t.k).toBe(0);
      expect(new Suspicion('a', t.k, t.minMs, t.maxMs, 0, 1).initialTimeoutMs).toBe(4000);
    }
  });

  it('expects no confirmations when fewer members can confirm than k, whatever n counts', () => {
    // n = 10 with 8 of them dead or left: memberlist's n − 2 = 8 would give k = 2.
    expect(suspicionTimeouts(10, lan(), 1)).toEqual({ minMs: 4000, maxMs: 24000, k: 0 });
    expect(suspicionTimeouts(10, lan(), 2)).toEqual({ minMs: 4000, maxMs: 24000, k: 2 });
    expect(suspicionTimeouts(3, local(), 0).k).toBe(0);
    expect(suspicionTimeouts(3, local()).k).toBe(1);
  });
});

describe('remainingSuspicionMs (Lifeguard decay, values from Go)', () => {
  it('decays from max towards min with each confirmation', () => {
    expect(remainingSuspicionMs(0, 2, 0, 8000, 48000)).toBe(48000);
    expect(remainingSuspicionMs(1, 2, 0, 8000, 48000)).toBe(22762);
    expect(remainingSuspicionMs(2, 2, 0, 8000, 48000)).toBe(8000);
    expect(remainingSuspicionMs(1, 2, 5000, 8000, 48000)).toBe(17762);
    expect(remainingSuspicionMs(1, 4, 0, 9204, 55224)).toBe(35404);
    expect(remainingSuspicionMs(3, 4, 0, 9204, 55224)).toBe(15584);
    expect(remainingSuspicionMs(1, 2, 0, 4000, 24000)).toBe(11381);
  });

  it('never goes below min, and may go negative once elapsed passes it', () => {
    expect(remainingSuspicionMs(5, 2, 0, 8000, 48000)).toBe(8000);
    expect(remainingSuspicionMs(2, 2, 9000, 8000, 48000)).toBe(-1000);
  });

  it('is monotone in confirmations (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 10 }), (k, min, mult) => {
        let prev = Infinity;
        for (let c = 0; c <= k; c++) {
          const r = remainingSuspicionMs(c, k, 0, min, min * mult);
          expect(r).toBeLessThanOrEqual(prev);
          expect(r).toBeGreaterThanOrEqual(min);
          prev = r;
        }
      }),
    );
  });
});

describe('Suspicion confirmations', () => {
  it('ignores the accuser and repeats, and caps at k', () => {
    const s = new Suspicion('accuser', 2, 8000, 48000, 1000, 1);
    expect(s.initialTimeoutMs).toBe(48000);
    expect(s.confirm('accuser', 1000)).toBeUndefined();
    expect(s.confirm('b', 1000)).toBe(22762);
    expect(s.confirm('b', 1000)).toBeUndefined();
    expect(s.confirm('c', 3000)).toBe(8000 - 2000);
    expect(s.confirm('d', 3000)).toBeUndefined();
    expect(s.confirmations).toBe(2);
  });

  it('accepts no confirmations when k = 0', () => {
    const s = new Suspicion('a', 0, 4000, 24000, 0, 1);
    expect(s.initialTimeoutMs).toBe(4000);
    expect(s.confirm('b', 0)).toBeUndefined();
  });
});

describe('retransmitLimit', () => {
  it.each([
    [1, 4],
    [9, 4],
    [10, 8],
    [99, 8],
    [100, 12],
  ])('LAN with n = %i sends each message %i times', (n, limit) => {
    expect(retransmitLimit(4, n)).toBe(limit);
  });
});

describe('Awareness', () => {
  it('clamps to [0, max − 1] and scales by score + 1', () => {
    const a = new Awareness(8);
    expect(a.applyDelta(-1)).toBeUndefined();
    expect(a.applyDelta(3)).toBe(0);
    expect(a.scale(1000)).toBe(4000);
    expect(a.applyDelta(100)).toBe(3);
    expect(a.score).toBe(7);
    expect(a.applyDelta(1)).toBeUndefined();
    expect(a.applyDelta(-10)).toBe(7);
    expect(a.score).toBe(0);
  });
});

describe('pushPullScale', () => {
  it.each([
    [32, 1],
    [33, 2],
    [64, 2],
    [65, 3],
    [100, 3],
    [1000, 6],
    [1025, 7],
  ])('n = %i multiplies the interval by %i (values from Go)', (n, mult) => {
    expect(pushPullScale(30_000, n)).toBe(30_000 * mult);
  });
});

const msg = (len: number, fill = len): Uint8Array => new Uint8Array(len).fill(fill);

describe('TransmitLimitedQueue', () => {
  it('takes the fewest-sent tier first, largest that fits first, newest first on ties', () => {
    const q = new TransmitLimitedQueue(1);
    q.queue(msg(10, 1), 'a');
    q.queue(msg(30, 2), 'b');
    q.queue(msg(10, 3), 'c');
    const out: Uint8Array[] = [];
    // limit 46, overhead 2: b (30+2) then 10+2 → one of a/c (newest: c), then nothing fits.
    const used = q.take(2, 46, 1000, out);
    expect(out.map((m) => m[0])).toEqual([2, 3]);
    expect(used).toBe(44);
  });

  it('moves on to the next tier once nothing in the lower tier fits', () => {
    const q = new TransmitLimitedQueue(4);
    q.queue(msg(20, 1), 'old');
    const out: Uint8Array[] = [];
    q.take(2, 100, 1, out); // old → 1 transmit
    q.queue(msg(50, 2), 'new');
    out.length = 0;
    q.take(2, 60, 1, out); // tier 0 has "new" (52): fits; then tier 1 "old" (22) does not fit in 8
    expect(out.map((m) => m[0])).toEqual([2]);
    out.length = 0;
    q.take(2, 100, 1, out); // both in tier 1 now; larger first
    expect(out.map((m) => m[0])).toEqual([2, 1]);
  });

  it('sends each message exactly retransmitLimit times, then reports completion', () => {
    const q = new TransmitLimitedQueue(4);
    q.queue(msg(5), 'x', 42);
    let sends = 0;
    for (let i = 0; i < 10; i++) {
      const out: Uint8Array[] = [];
      q.take(2, 100, 9, out);
      sends += out.length;
    }
    expect(sends).toBe(4);
    expect(q.finished).toEqual([{ id: 42, transmits: 4 }]);
    expect(q.size).toBe(0);
  });

  it('replaces a queued message about the same name whatever its type, finishing the old one', () => {
    const q = new TransmitLimitedQueue(4);
    q.queue(msg(5, 1), 'x', 7);
    q.queue(msg(8, 2), 'x');
    expect(q.size).toBe(1);
    expect(q.finished).toEqual([{ id: 7, transmits: 0 }]);
    const out: Uint8Array[] = [];
    q.take(2, 100, 1, out);
    expect(out.map((m) => m[0])).toEqual([2]);
  });

  it('replaces a message that already moved to a higher tier', () => {
    const q = new TransmitLimitedQueue(4);
    q.queue(msg(5, 1), 'x');
    q.take(2, 100, 1, []);
    q.queue(msg(5, 2), 'x');
    const out: Uint8Array[] = [];
    q.take(2, 100, 1, out);
    expect(out.map((m) => m[0])).toEqual([2]);
    expect(q.size).toBe(1);
  });

  it('keeps at most maxUnnamed unnamed messages, dropping the oldest', () => {
    const q = new TransmitLimitedQueue(4, 2);
    q.queue(msg(1, 1), undefined);
    q.queue(msg(1, 2), undefined);
    q.queue(msg(1, 3), undefined);
    const out: Uint8Array[] = [];
    q.take(2, 100, 1, out);
    expect(out.map((m) => m[0]).sort()).toEqual([2, 3]);
  });

  it('uses the retransmit limit of the current n', () => {
    const q = new TransmitLimitedQueue(4);
    q.queue(msg(5), 'x', 1);
    for (let i = 0; i < 5; i++) q.take(2, 100, 99, []); // limit 8: 5 sends so far
    q.take(2, 100, 1, []); // n shrank: limit 4 → finished after this send
    expect(q.finished).toEqual([{ id: 1, transmits: 6 }]);
  });
});

function entry(name: string, state: MemberEntry['state'] = 'alive', stateChangeAt = 0): MemberEntry {
  return memberEntry({ name, addr: Uint8Array.of(10, 0, 0, 1), port: 1, address: '10.0.0.1:1', meta: new Uint8Array(0), vsn: new Uint8Array(6), incarnation: 1, state, features: undefined }, stateChangeAt);
}

describe('MemberTable', () => {
  it('probes round-robin, skipping self, dead and left, and probes suspects', () => {
    const t = new MemberTable();
    const r = seededRandom(1);
    for (const [n, s] of [['self', 'alive'], ['a', 'alive'], ['b', 'suspect'], ['c', 'dead'], ['d', 'left']] as const) t.add(entry(n, s, 0), r);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(t.nextProbeTarget(10, 'self', 1_000_000, r)!.name);
    expect([...seen].sort()).toEqual(['a', 'b']);
  });

  it('reaps dead and left members older than gossipToTheDead on wrap, and counts them in n until then', () => {
    const t = new MemberTable();
    const r = seededRandom(2);
    t.add(entry('self'), r);
    t.add(entry('a'), r);
    t.add(entry('dead-old', 'dead', 0), r);
    t.add(entry('left-old', 'left', 0), r);
    t.add(entry('dead-new', 'dead', 25_000), r);
    expect(t.size).toBe(5);
    const reaped: string[] = [];
    for (let i = 0; i < 6; i++) t.nextProbeTarget(30_001, 'self', 30_000, r, (e) => reaped.push(e.name));
    expect(reaped.sort()).toEqual(['dead-old', 'left-old']);
    expect(t.size).toBe(3);
    expect(t.get('dead-old')).toBeUndefined();
    expect(t.count('dead')).toBe(1);
  });

  it('returns nothing to probe when only self is alive', () => {
    const t = new MemberTable();
    const r = seededRandom(3);
    t.add(entry('self'), r);
    t.add(entry('x', 'dead', 100), r);
    expect(t.nextProbeTarget(0, 'self', 1e9, r)).toBeUndefined();
  });

  it('kRandom returns distinct members passing the filter, exhaustively for small tables', () => {
    const t = new MemberTable();
    const r = seededRandom(4);
    for (let i = 0; i < 6; i++) t.add(entry(`n${i}`), r);
    for (let round = 0; round < 50; round++) {
      const picks = t.kRandom(3, r, (e) => e.name === 'n0' || e.name === 'n1');
      expect(picks).toHaveLength(3);
      expect(new Set(picks).size).toBe(3);
      expect(picks.every((p) => p.name !== 'n0' && p.name !== 'n1')).toBe(true);
    }
    expect(t.kRandom(10, r, () => false)).toHaveLength(6);
  });

  it('kRandom samples large tables without repeats', () => {
    const t = new MemberTable();
    const r = seededRandom(5);
    for (let i = 0; i < 1000; i++) t.add(entry(`n${i}`, i % 2 ? 'alive' : 'dead'), r);
    const picks = t.kRandom(5, r, (e) => e.state !== 'alive');
    expect(picks).toHaveLength(5);
    expect(new Set(picks).size).toBe(5);
  });
});

describe('seededRandom', () => {
  it('is deterministic and in range', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 100; i++) {
      const x = a.next();
      expect(x).toBe(b.next());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      const k = a.int(5);
      expect(k).toBe(b.int(5));
      expect(k >= 0 && k < 5).toBe(true);
    }
    expect(seededRandom(1).next()).not.toBe(seededRandom(2).next());
  });
});

describe('decodeTags', () => {
  it('decodes serf tags and rejects anything else', () => {
    expect(decodeTags(Uint8Array.of(0xff, 0x81, 0xa4, ...new TextEncoder().encode('role'), 0xa3, ...new TextEncoder().encode('web')))).toEqual({ role: 'web' });
    expect(decodeTags(Uint8Array.of(0xff, 0x80))).toEqual({});
    expect(decodeTags(Uint8Array.of(0xff))).toBeUndefined();
    expect(decodeTags(Uint8Array.of(1, 2, 3))).toBeUndefined();
    expect(decodeTags(Uint8Array.of(0xff, 0x81, 0xa1, 0x61, 0x01))).toBeUndefined();
    expect(decodeTags(Uint8Array.of(0xff, 0xc1))).toBeUndefined();
  });
});
