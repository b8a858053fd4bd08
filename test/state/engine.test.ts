import { describe, expect, it } from 'vitest';
import { STATE_DEFAULTS } from '../../src/state/limits.js';
import { Bench } from './harness.js';

describe('state engine: anti-entropy', () => {
  it('equal roots end the exchange in one small datagram', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'k', 'v');
    for (let i = 0; i < 3; i++) b.syncRound();
    expect(b.converged()).toBe(true);
    b.sentBytes = 0;
    b.sentCount = 0;
    b.engine('a').sync(b.ctx('a'));
    b.deliverAll();
    expect(b.sentCount).toBe(1);
    expect(b.sentBytes).toBeLessThan(16);
  });

  it('brings a peer with nothing up to date through digest, buckets, summaries and deltas', () => {
    const b = new Bench(['a', 'b']);
    for (let i = 0; i < 100; i++) b.set('a', `key-${i}`, `value-${i}`.repeat(5));
    b.engine('b').sync(b.ctx('b')); // b's digest differs from a's: a answers, b pulls
    b.deliverAll();
    expect(b.view('b', 'a')).toEqual(b.view('a', 'a'));
    // Several datagrams: 100 keys do not fit one.
    expect(b.sentCount).toBeGreaterThan(4);
  });

  it('a joiner holding nothing has every key after its first sync exchange (100 members, one with 40 KB)', () => {
    const names = Array.from({ length: 100 }, (_, i) => `node-${i}`);
    const b = new Bench(names, STATE_DEFAULTS, 5);
    for (const n of names) for (let k = 0; k < 3; k++) b.set(n, `k${k}`, `${n}-${k}`);
    for (let k = 0; k < 40; k++) b.set('node-7', `big${k}`, 'x'.repeat(1000));
    b.deliverAll();
    const whole = (viewer: string): boolean => names.every((n) => JSON.stringify(b.view(viewer, n)) === JSON.stringify(b.view(n, n)));
    for (let i = 0; i < 30 && !whole('node-3'); i++) b.syncRound();
    expect(whole('node-3')).toBe(true);
    b.add('joiner');
    b.sentCount = 0;
    // One exchange: node-3's digest to the joiner, and whatever it causes.
    b.engine('node-3').sync({ ...b.ctx('node-3'), capablePeers: () => ['joiner'] });
    b.deliverAll();
    for (const n of names) expect(b.view('joiner', n), n).toEqual(b.view(n, n));
  });

  it('converges three writers under 30 % loss', () => {
    const b = new Bench(['a', 'b', 'c'], STATE_DEFAULTS, 7);
    for (let i = 0; i < 30; i++) b.set(['a', 'b', 'c'][i % 3]!, `k${i % 7}`, `v${i}`);
    b.set('b', 'k1', undefined);
    let rounds = 0;
    while (!b.converged() && rounds < 50) {
      b.syncRound(0.3);
      rounds++;
    }
    expect(b.converged()).toBe(true);
  });

  it('applies an owner\'s changes in version order, each observed change once', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'x', '1');
    b.set('a', 'y', '1');
    b.syncRound();
    b.set('a', 'x', '2');
    b.set('a', 'y', undefined);
    b.set('a', 'z', '1');
    b.syncRound();
    b.syncRound();
    const seen = b.events.get('b')!.filter((c) => c.member === 'a');
    expect(seen.map((c) => [c.key, c.value, c.previous, c.version])).toEqual([
      ['x', '1', undefined, 1],
      ['y', '1', undefined, 2],
      ['x', '2', '1', 3],
      ['y', undefined, '1', 4],
      ['z', '1', undefined, 5],
    ]);
  });
});

describe('state engine: gossip', () => {
  it('pushes a fresh write to peers, who relay it, without any anti-entropy', () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const b = new Bench(names, STATE_DEFAULTS, 3);
    b.set('n0', 'flag', 'on');
    for (let i = 0; i < 10; i++) b.gossipRound();
    expect(names.filter((n) => b.view(n, 'n0')['flag'] === 'on').length).toBe(20);
  });

  it('relays a change that is new to it at once, before any gossip tick', () => {
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const b = new Bench(names, STATE_DEFAULTS, 3);
    b.set('n0', 'flag', 'on');
    b.deliverAll(); // no gossip tick: only sends on write and on receipt
    const have = names.filter((n) => b.view(n, 'n0')['flag'] === 'on').length;
    expect(have).toBeGreaterThanOrEqual(15);
    // Each node sends it at once only when it first hears it: one datagram per peer picked, no more.
    expect(b.sentCount).toBeLessThanOrEqual(have * STATE_DEFAULTS.gossipNodes);
  });

  it('a burst of writes is sent at once only for the first; the rest go with the next tick', () => {
    const b = new Bench(['a', 'b', 'c', 'd', 'e']);
    for (let i = 0; i < 10; i++) b.set('a', `k${i}`, `${i}`);
    expect(b.sentCount).toBe(STATE_DEFAULTS.gossipNodes);
  });

  it('a gossiped delta that does not start where the receiver is leaves it unchanged (gap)', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'one', '1');
    while (b.engine('a').hasHot || b.engine('b').hasHot) b.gossipRound();
    const c = b.add('c');
    b.inflight = [];
    b.set('a', 'two', '2'); // hot from version 1: c, at nothing, cannot take it
    b.engine('a').gossip(b.ctx('a'));
    b.deliverAll();
    expect(b.view('b', 'a')).toEqual({ one: '1', two: '2' });
    expect(c.store.replica('a')).toBeUndefined();
  });
});

describe('state engine: values over one datagram', () => {
  it('sends a 4 KiB value in fragments that each fit the budget, and the receivers reassemble it', () => {
    const b = new Bench(['a', 'b', 'c', 'd']);
    const big = 'v'.repeat(STATE_DEFAULTS.maxValueBytes);
    b.set('a', 'big', big);
    b.set('a', 'small', 's');
    // Gossip carries the first delta from where the change started (the big value alone); the
    // small one after it comes by anti-entropy.
    for (let i = 0; i < 20 && !b.converged(); i++) {
      b.gossipRound();
      b.syncRound();
    }
    expect(b.view('b', 'a')).toEqual({ big, small: 's' });
    expect(b.converged()).toBe(true);
    expect(b.maxDatagram).toBeLessThanOrEqual(b.budget);
    // By anti-entropy too: a joiner gets it from one exchange.
    b.add('e');
    b.engine('b').sync({ ...b.ctx('b'), capablePeers: () => ['e'] });
    b.deliverAll();
    expect(b.view('e', 'a')).toEqual({ big, small: 's' });
    expect(b.maxDatagram).toBeLessThanOrEqual(b.budget);
  });

  it('a message missing a fragment is not applied, and later copies complete it', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'big', 'x'.repeat(3000));
    expect(b.inflight.length).toBeGreaterThan(1);
    b.inflight.splice(1, 1); // lose one fragment of the immediate send
    b.deliverAll();
    expect(b.view('b', 'a')).toEqual({});
    b.gossipRound();
    expect(b.view('b', 'a')).toEqual({ big: 'x'.repeat(3000) });
  });
});

describe('state engine: generations, tombstones and reaping', () => {
  it('a restart under the same name replaces the old generation everywhere', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'old', '1');
    b.syncRound();
    b.syncRound();
    expect(b.view('b', 'a')).toEqual({ old: '1' });
    b.now = 10_000;
    b.engines.delete('a');
    b.add('a', 10_001);
    b.set('a', 'new', '2');
    for (let i = 0; i < 3; i++) b.syncRound();
    expect(b.view('b', 'a')).toEqual({ new: '2' });
    const ev = b.events.get('b')!.filter((c) => c.member === 'a').map((c) => [c.key, c.value]);
    expect(ev).toEqual([['old', '1'], ['old', undefined], ['new', '2']]);
  });

  it('ignores a stale generation from a peer that has not caught up', () => {
    const b = new Bench(['a', 'b', 'c']);
    b.set('a', 'old', '1');
    for (let i = 0; i < 3; i++) b.syncRound();
    // c falls silent holding a's old generation.
    const c = b.engines.get('c')!;
    b.engines.delete('c');
    b.now = 10_000;
    b.engines.delete('a');
    b.add('a', 10_001);
    b.set('a', 'new', '2');
    for (let i = 0; i < 3; i++) b.syncRound();
    b.engines.set('c', c);
    for (let i = 0; i < 5; i++) b.syncRound();
    expect(b.view('b', 'a')).toEqual({ new: '2' });
    expect(b.view('c', 'a')).toEqual({ new: '2' });
  });

  it('drops a reaped member\'s state and never takes it back from a peer that still has it', () => {
    const b = new Bench(['a', 'b', 'c']);
    b.set('a', 'k', 'v');
    for (let i = 0; i < 3; i++) b.syncRound();
    b.engines.delete('a');
    b.members.delete('a'); // reaped at b and c (their member tables)
    b.engine('b').sync(b.ctx('b'));
    expect(b.view('b', 'a')).toEqual({});
    expect(b.events.get('b')!.at(-1)).toMatchObject({ member: 'a', key: 'k', value: undefined, previous: 'v' });
    for (let i = 0; i < 5; i++) b.syncRound();
    expect(b.view('b', 'a')).toEqual({});
    expect(b.view('c', 'a')).toEqual({});
    expect(b.engine('b').store.peerCount).toBe(0); // c never wrote; a is gone
  });

  it('collects tombstones after the grace period and resets a peer that fell behind them', () => {
    const opts = { ...STATE_DEFAULTS, tombstoneGraceMs: 1000 };
    const b = new Bench(['a', 'b', 'c'], opts);
    b.set('a', 'gone', 'x');
    b.set('a', 'stays', 'y');
    for (let i = 0; i < 3; i++) b.syncRound();
    const c = b.engines.get('c')!;
    b.engines.delete('c'); // c is away
    b.set('a', 'gone', undefined);
    for (let i = 0; i < 3; i++) b.syncRound();
    b.now = 5000;
    b.syncRound(); // collects the tombstone at a and b
    expect(b.engine('a').store.own.record('gone')).toBeUndefined();
    expect(b.engine('a').store.own.gcFloor).toBeGreaterThan(0);
    b.engines.set('c', c); // c comes back at version 2, behind the floor
    for (let i = 0; i < 6; i++) b.syncRound();
    expect(b.view('c', 'a')).toEqual({ stays: 'y' });
    const last = b.events.get('c')!.filter((e) => e.member === 'a').at(-1);
    expect(last).toMatchObject({ key: 'gone', value: undefined, previous: 'x' });
  });

  it('expires a key written with a TTL at the owner, and the delete spreads', () => {
    const b = new Bench(['a', 'b']);
    b.set('a', 'lease', 'me', 1500);
    b.syncRound();
    b.syncRound();
    expect(b.view('b', 'a')).toEqual({ lease: 'me' });
    b.now = 2000;
    for (let i = 0; i < 3; i++) b.syncRound();
    expect(b.view('a', 'a')).toEqual({});
    expect(b.view('b', 'a')).toEqual({});
  });
});

describe('state engine: untrusted input', () => {
  it('drops a delta over the limits and keeps nothing of it', () => {
    const small = { ...STATE_DEFAULTS, maxValueBytes: 8, maxKeyBytes: 8, maxNodeBytes: 64 };
    const b = new Bench(['a', 'b']);
    b.engines.set('b', new (b.engine('b').constructor as typeof import('../../src/state/engine.js').StateEngine)('b', 1, small, 1400));
    b.set('a', 'k', 'a long value, over eight bytes');
    b.syncRound();
    b.syncRound();
    expect(b.view('b', 'a')).toEqual({});
    expect(b.drops.some((d) => d === 'b:over-limit')).toBe(true);
  });
});

describe('state engine: a member our table lacks', () => {
  it('state about it from a peer is dropped and reported as evidence that our membership lags', () => {
    const b = new Bench(['a', 'b', 'c']);
    b.set('c', 'k', 'v');
    for (let i = 0; i < 3; i++) b.syncRound();
    expect(b.converged()).toBe(true);
    // b reaped c (missed its comeback); a still holds it.
    const ctx = b.ctx.bind(b);
    b.ctx = (n) => (n === 'b' ? { ...ctx(n), isMember: (m: string) => m !== 'c' } : ctx(n));
    b.engine('b').sync(b.ctx('b'));
    b.deliverAll();
    expect(b.view('b', 'c')).toEqual({});
    for (let i = 0; i < 5 && b.unknown.length === 0; i++) {
      b.engine('b').sync(b.ctx('b'));
      b.deliverAll();
    }
    expect(b.unknown).toContain('b:c');
    expect(b.drops).toContain('b:not-member');
    expect(b.unknown.every((u) => u === 'b:c')).toBe(true);
  });
});

describe('state engine: a restart that writes nothing', () => {
  it('peers still drop the previous run\'s keys (an empty delta at the new generation)', () => {
    const b = new Bench(['a', 'b', 'c']);
    b.set('a', 'k', 'v');
    for (let i = 0; i < 3; i++) b.syncRound();
    expect(b.view('b', 'a')).toEqual({ k: 'v' });
    b.now += 1000;
    b.add('a', b.now + 1); // restarted under its name, nothing written yet
    for (let i = 0; i < 5; i++) b.syncRound();
    expect(b.view('b', 'a')).toEqual({});
    expect(b.view('c', 'a')).toEqual({});
    expect(b.events.get('b')!.filter((e) => e.member === 'a').map((e) => [e.key, e.value])).toEqual([['k', 'v'], ['k', undefined]]);
  });
});
