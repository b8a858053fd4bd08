import { DIGEST_FEATURE } from '../../src/wire/digest-stream.js';
import { STATE_FEATURE } from '../../src/state/codec.js';
import { describe, expect, it } from 'vitest';
import { ErrorCode, Hearsay, type StateEvent } from '../../src/index.js';
import { Simulator } from '../../src/testing/simulator.js';

async function pair(options: { a?: object; b?: object } = {}): Promise<Simulator> {
  const sim = new Simulator({ seed: 5 });
  await sim.addNode('a', { options: options.a ?? {} });
  await sim.addNode('b', { options: options.b ?? {} });
  sim.join('b', 'a');
  await sim.runUntil(() => sim.allSee(2), 10_000, 10);
  return sim;
}

describe('node.state API', () => {
  it('throws StateError before start', () => {
    const node = new Hearsay({ name: 'x' });
    expect(() => node.state.set('k', 'v')).toThrow(expect.objectContaining({ code: ErrorCode.state }));
    expect(() => node.state.get('k')).toThrow(expect.objectContaining({ code: ErrorCode.state }));
  });

  it('checks keys, values and the per-node budget with typed errors naming what to change', async () => {
    const sim = await pair({ a: { state: { maxNodeBytes: 4096 + 128 + 16 } } });
    const s = sim.node('a').state;
    expect(() => s.set('k'.repeat(129), 'v')).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge, message: expect.stringContaining('state.maxKeyBytes') }));
    expect(() => s.set('é'.repeat(65), 'v')).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge })); // 130 UTF-8 bytes
    expect(() => s.set('k', new Uint8Array(4097))).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge, message: expect.stringContaining('state.maxValueBytes') }));
    expect(() => s.set('', 'v')).toThrow(expect.objectContaining({ code: ErrorCode.invalidArgument }));
    expect(() => s.set('k', 42 as unknown as string)).toThrow(expect.objectContaining({ code: ErrorCode.invalidArgument }));
    expect(() => s.set('k', 'v', { ttlMs: -1 })).toThrow(expect.objectContaining({ code: ErrorCode.invalidArgument }));
    s.set('big', new Uint8Array(4096));
    expect(() => s.set('more', new Uint8Array(200))).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge, message: expect.stringContaining('state.maxNodeBytes') }));
    // Deleting frees the room (its tombstone is collected early when needed).
    s.delete('big');
    s.set('more', new Uint8Array(200));
    expect(s.get('big')).toBeUndefined();
  });

  it('reads back values as written, copied on write, and emits a state event per change', async () => {
    const sim = await pair();
    const events: StateEvent[] = [];
    sim.node('b').on('state', (e) => events.push(e));
    const bytes = Uint8Array.of(1, 2, 3);
    sim.node('a').state.set('bytes', bytes);
    sim.node('a').state.set('text', 'hello');
    bytes[0] = 99;
    expect(await sim.runUntil(() => sim.node('b').state.get('text', 'a') === 'hello', 10_000, 10)).toBe(true);
    expect(sim.node('b').state.get('bytes', 'a')).toEqual(Uint8Array.of(1, 2, 3));
    expect(sim.node('b').state.members('text')).toEqual(['a']);
    expect(sim.node('b').state.members({ prefix: 'by' })).toEqual(['a']);
    expect(events.map((e) => [e.member, e.key, e.version])).toEqual([
      ['a', 'bytes', 1],
      ['a', 'text', 2],
    ]);
  });

  it('watch(prefix) yields matching changes in order and ends with AbortError on abort', async () => {
    const sim = await pair();
    const ac = new AbortController();
    const keys: string[] = [];
    let ended: unknown;
    const reader = (async () => {
      for await (const e of sim.node('b').state.watch('flags/', { signal: ac.signal })) keys.push(e.key);
    })().catch((error: unknown) => (ended = error));
    sim.node('a').state.set('flags/x', '1');
    sim.node('a').state.set('other', '1');
    sim.node('a').state.set('flags/y', '2');
    await sim.runFor(2000);
    // The simulator drains one round of microtasks per input; the reader's loop needs a real turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(keys).toEqual(['flags/x', 'flags/y']);
    ac.abort();
    await reader;
    expect(ended).toMatchObject({ code: ErrorCode.abort });
  });

  it('state: false turns the layer off: no feature announced, set() throws', async () => {
    const sim = await pair({ b: { state: false } });
    // Bit 0 is the state layer; bit 1, digest push/pull, is on either way.
    expect(sim.core('a').memberFeatures('b')).toBe(DIGEST_FEATURE);
    expect(sim.core('b').memberFeatures('a')).toBe(STATE_FEATURE | DIGEST_FEATURE);
    expect(() => sim.node('b').state.set('k', 'v')).toThrow(expect.objectContaining({ code: ErrorCode.state }));
  });

  it('rejects bad state options by name', () => {
    expect(() => new Hearsay({ name: 'x', state: { maxKeyBytes: 0 } })).toThrow(expect.objectContaining({ field: 'state.maxKeyBytes' }));
    expect(() => new Hearsay({ name: 'x', state: { maxKeys: 1 } as object })).toThrow(expect.objectContaining({ field: 'state.maxKeys' }));
  });

  it('publish() checks name and payload with typed errors, and delivers to the publisher first', async () => {
    const sim = await pair();
    const seen: string[] = [];
    sim.node('a').on('event', (e) => seen.push(`${e.from}:${e.name}:${e.lamport}`));
    expect(() => sim.node('a').publish('', new Uint8Array(1))).toThrow(expect.objectContaining({ code: ErrorCode.invalidArgument }));
    expect(() => sim.node('a').publish('x', 'text' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: ErrorCode.invalidArgument }));
    expect(() => sim.node('a').publish('x', new Uint8Array(1400))).toThrow(expect.objectContaining({ code: ErrorCode.payloadTooLarge }));
    sim.node('a').publish('x', new Uint8Array(1200));
    expect(seen).toEqual(['a:x:1']);
    expect(() => sim.node('b').publish('x', new Uint8Array(1))).not.toThrow();
    const other = await pair({ b: { state: false } });
    expect(() => other.node('b').publish('x', new Uint8Array(1))).toThrow(expect.objectContaining({ code: ErrorCode.state }));
  });
});
