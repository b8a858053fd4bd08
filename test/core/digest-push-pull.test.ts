/**
 * Digest push/pull (issue 12, build item 2): between two hearsay nodes that both announce the
 * digest feature, the periodic push/pull compares bucket hashes first and moves only the entries of
 * differing buckets; everything else stays memberlist's full push/pull. Every leg here goes
 * through the real stream codec (encoded, then decoded), so sizes are wire sizes.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { DIGEST_FEATURE } from '../../src/wire/digest-stream.js';
import { bucketIndex } from '../../src/wire/hash-tree.js';
import type { StreamMessage } from '../../src/wire/messages.js';
import { encodeStreamMessage, StreamDecoder } from '../../src/wire/stream.js';
import { STATE_FEATURE } from '../../src/state/codec.js';
import { addr, alive, dead, suspect, TestNode } from './helpers.js';

const BOTH = STATE_FEATURE | DIGEST_FEATURE;

/** Encodes `msg` as a stream frame and decodes it back (as the peer's stream service would). */
function wire(msg: StreamMessage, node?: TestNode): { bytes: number; message: StreamMessage } {
  const bytes = encodeStreamMessage(msg, { compress: false, labelPreamble: false });
  const known = node ? { knownNode: (n: string, b: Uint8Array, s: number, e: number) => node.core.knownPushNode(n, b, s, e) } : {};
  const d = new StreamDecoder({ expectLabelPreamble: false, limits: DEFAULT_WIRE_LIMITS, ...known });
  d.push(bytes);
  const step = d.next();
  if (step.kind !== 'message') throw new Error(`did not decode: ${JSON.stringify(step)}`);
  return { bytes: bytes.length, message: step.message };
}

/** A started node with `features` that knows `peers` (name, index, features) alive at incarnation 1. */
function node(name: string, index: number, peers: readonly [string, number, number?][], features: number | undefined = BOTH): TestNode {
  const n = new TestNode(name, index, features === undefined ? {} : { features }).start(0);
  for (const [p, i, f] of peers) n.receive(0, addr(i), alive(p, i, 1, f === undefined ? {} : { features: f }));
  n.events.length = 0;
  return n;
}

interface Leg {
  readonly type: string;
  readonly bytes: number;
  readonly entries: number;
}

/**
 * Fires `from`'s push/pull tick and runs whatever stream exchanges follow against `to`, all
 * through the codec: returns every leg (request, reply, entries) in order.
 */
function exchange(from: TestNode, to: TestNode, now = 100_000): Leg[] {
  const legs: Leg[] = [];
  // The tick picks a random alive peer: tick until it picks `to` (the other exchanges are left unanswered).
  let streams: (typeof from.last.streams)[number][] = [];
  for (let i = 0; i < 1000 && streams.length === 0; i++) {
    from.fire('push-pull-tick', now);
    streams = from.last.streams.filter((s) => s.to === to.address);
  }
  while (streams.length > 0) {
    const s = streams.shift()!;
    const req = wire(s.request, to);
    legs.push({ type: req.message.type, bytes: req.bytes, entries: entriesOf(req.message) });
    const reply = to.step((c, fx) => c.handleStream(now, from.address, req.message, fx));
    let result: StreamMessage | Error = new Error('no reply');
    if (reply !== undefined) {
      const rep = wire(reply, from);
      legs.push({ type: rep.message.type, bytes: rep.bytes, entries: entriesOf(rep.message) });
      result = rep.message;
    }
    from.step((c, fx) => c.handleStreamResult(now, s.id, result, fx));
    streams.push(...from.last.streams.filter((x) => x.to === to.address));
  }
  return legs;
}

function entriesOf(m: StreamMessage): number {
  return m.type === 'push-pull' || m.type === 'digest-reply' || m.type === 'digest-entries' ? m.nodes.length : 0;
}

/** `count` peer specs p1 … p<count> (indexes 10 …), with the digest bit. */
function others(count: number): [string, number, number][] {
  return Array.from({ length: count }, (_, i) => [`p${i + 1}`, 10 + i, BOTH] as [string, number, number]);
}

describe('digest push/pull between capable hearsay nodes', () => {
  it('with equal tables is one request and a 13-byte reply, and moves no entries', () => {
    const a = node('a', 1, [['b', 2, BOTH], ...others(60)]);
    const b = node('b', 2, [['a', 1, BOTH], ...others(60)]);
    const legs = exchange(a, b);
    expect(legs.map((l) => l.type)).toEqual(['digest-request', 'digest-reply']);
    expect(legs[1]).toEqual({ type: 'digest-reply', bytes: 13, entries: 0 });
    // The request is the bucket hashes only: far below the full table a push/pull would carry.
    const full = wire(a.core.localState(false)).bytes;
    expect(legs[0]!.bytes).toBe(5 + 4 + 4 * 16);
    expect(full).toBeGreaterThan(5 * legs[0]!.bytes);
  });

  it('repairs a missed suspect, dead, leave and metadata change, both ways, moving only the differing buckets', () => {
    const peers = others(200);
    const a = node('a', 1, [['b', 2, BOTH], ...peers]);
    const b = node('b', 2, [['a', 1, BOTH], ...peers]);
    // b hears what a missed.
    b.receive(5, addr(10), suspect('p1', 1, 'p9'));
    b.receive(5, addr(10), dead('p2', 1, 'p9'));
    b.receive(5, addr(12), dead('p3', 1, 'p3'));
    b.receive(5, addr(13), alive('p4', 13, 2, { meta: Uint8Array.of(7, 7), features: BOTH }));
    const legs = exchange(a, b, 200_000);
    expect(legs.map((l) => l.type)).toEqual(['digest-request', 'digest-reply', 'digest-entries']);
    expect(legs[1]!.entries).toBeGreaterThanOrEqual(4);
    expect(legs[1]!.entries).toBeLessThan(60); // of 202 entries
    expect(legs[2]!.entries).toBe(legs[1]!.entries);
    expect(a.core.member('p1')?.state).toBe('suspect');
    expect(a.core.member('p2')?.state).toBe('suspect'); // a remote death is a local suspicion, as in push/pull
    expect(a.core.member('p3')?.state).toBe('left');
    expect(a.core.member('p4')).toMatchObject({ incarnation: 2, state: 'alive' });
    expect([...a.core.member('p4')!.metadata]).toEqual([7, 7]);

    // The other way round: the responder is the one that missed them, and leg 3 repairs it.
    const c = node('c', 3, [['d', 4, BOTH], ...peers]);
    const d = node('d', 4, [['c', 3, BOTH], ...peers]);
    d.receive(5, addr(10), suspect('p1', 1, 'p9'));
    d.receive(5, addr(13), alive('p4', 13, 2, { meta: Uint8Array.of(7, 7), features: BOTH }));
    expect(exchange(d, c, 200_000).map((l) => l.type)).toEqual(['digest-request', 'digest-reply', 'digest-entries']);
    expect(c.core.member('p1')?.state).toBe('suspect');
    expect(c.core.member('p4')).toMatchObject({ incarnation: 2 });
  });

  it('makes us refute when the peer holds us suspect, whichever side starts', () => {
    const a = node('a', 1, [['b', 2, BOTH]]);
    const b = node('b', 2, [['a', 1, BOTH]]);
    b.receive(5, addr(3), suspect('a', 1, 'x'));
    expect(b.core.member('a')?.state).toBe('suspect');
    exchange(a, b); // a learns of the suspicion from the reply, refutes, and its entries leg carries the refutation
    expect(a.core.incarnation).toBe(2);
    expect(b.core.member('a')).toMatchObject({ state: 'alive', incarnation: 2 });

    const c = node('c', 3, [['d', 4, BOTH]]);
    const d = node('d', 4, [['c', 3, BOTH]]);
    d.receive(5, addr(5), dead('c', 1, 'x'));
    exchange(d, c); // c hears d's entry about it in leg 3
    expect(c.core.incarnation).toBe(2);
  });
});

describe('memberlist push/pull stays byte for byte where digest push/pull does not apply', () => {
  it('sends the full push/pull to a peer without the bit (Go, or hearsay with it off), and when we have it off', () => {
    const a = node('a', 1, [['go', 2]]);
    a.fire('push-pull-tick', 100_000);
    expect(a.last.streams.map((s) => s.request.type)).toEqual(['push-pull']);
    expect(encodeStreamMessage(a.last.streams[0]!.request, { compress: false, labelPreamble: false })).toEqual(encodeStreamMessage(a.core.localState(false), { compress: false, labelPreamble: false }));
    const stateOnly = node('s', 3, [['b', 2, BOTH]], STATE_FEATURE);
    stateOnly.fire('push-pull-tick', 100_000);
    expect(stateOnly.last.streams.map((s) => s.request.type)).toEqual(['push-pull']);
    const hearsayOff = node('h', 4, [['b', 2, STATE_FEATURE]]);
    hearsayOff.fire('push-pull-tick', 100_000);
    expect(hearsayOff.last.streams.map((s) => s.request.type)).toEqual(['push-pull']);
  });

  it('keeps reconnects to failed members and comeback exchanges full, even with capable peers', () => {
    const a = node('a', 1, [['b', 2, BOTH], ['c', 3, BOTH], ['d', 4, BOTH]]);
    a.receive(1, addr(2), dead('c', 1, 'b'), dead('d', 1, 'b'));
    a.fire('push-pull-tick', 100_000);
    const byTo = new Map(a.last.streams.map((s) => [s.to, s.request.type]));
    expect(byTo.get(addr(2))).toBe('digest-request'); // the periodic exchange with b
    const reconnect = [...byTo].filter(([to]) => to !== addr(2));
    expect(reconnect).toHaveLength(1);
    expect(reconnect[0]![1]).toBe('push-pull');
    // c comes back from dead: the comeback exchange is memberlist's push/pull.
    a.receive(2, addr(3), alive('c', 3, 2, { features: BOTH }));
    expect(a.last.streams.map((s) => [s.to, s.request.type])).toEqual([[addr(3), 'push-pull']]);
    // A join is always the full exchange (the driver sends `localState(true)`).
    expect(a.core.localState(true).type).toBe('push-pull');
  });
});

describe('hostile digest replies', () => {
  it('drops, and counts, a reply naming a bucket we did not send or carrying an entry outside its buckets', () => {
    const a = node('a', 1, [['b', 2, BOTH]]);
    a.fire('push-pull-tick', 100_000);
    const s = a.last.streams[0]!;
    expect(s.request.type).toBe('digest-request');
    a.step((c, fx) => c.handleStreamResult(100_001, s.id, { type: 'digest-reply', buckets: [16], nodes: [] }, fx));
    expect(a.drops()).toEqual(['bad-digest']);
    expect(a.last.streams).toEqual([]);

    a.fire('push-pull-tick');
    const s2 = a.last.streams[0]!;
    const stranger = { name: 'zz', addr: Uint8Array.of(10, 0, 0, 9), port: 7946, meta: null, incarnation: 5, state: 0 as const, vsn: Uint8Array.of(1, 5, 2, 0, 0, 0) };
    // Name a bucket that is not zz's.
    const n = (s2.request as Extract<StreamMessage, { type: 'digest-request' }>).buckets.length;
    const other = (bucketIndex('zz', n) + 1) % n;
    a.step((c, fx) => c.handleStreamResult(100_001, s2.id, { type: 'digest-reply', buckets: [other], nodes: [stranger] }, fx));
    expect(a.drops()).toEqual(['bad-digest']);
    expect(a.core.member('zz')).toBeUndefined();
    expect(a.last.streams).toEqual([]);
    // The same entry in its own bucket is merged: the check, not the entry, dropped it above.
    a.fire('push-pull-tick');
    const s3 = a.last.streams[0]!;
    a.step((c, fx) => c.handleStreamResult(100_001, s3.id, { type: 'digest-reply', buckets: [bucketIndex('zz', n)], nodes: [stranger] }, fx));
    expect(a.core.member('zz')?.state).toBe('alive');
  });
});
