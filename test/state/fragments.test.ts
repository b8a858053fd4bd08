import { describe, expect, it } from 'vitest';
import { decodeStateMessage, encodeStateMessage, MAX_FRAGMENTS } from '../../src/state/codec.js';
import { Reassembly, split } from '../../src/state/fragments.js';

function fragmentOf(bytes: Uint8Array): { id: number; index: number; count: number; bytes: Uint8Array; generation: number } {
  const m = decodeStateMessage(bytes);
  if (!m.ok || m.message.kind !== 'fragment') throw new Error('not a fragment');
  return m.message;
}

describe('state fragments', () => {
  it('a message that fits is sent whole; a larger one splits into fragments that fit and reassemble in any order', () => {
    const small = encodeStateMessage({ kind: 'digest', from: 'a', root: 1, eventsRoot: 2 });
    expect(split('a', 5, 1, small, 1400)).toEqual([small]);
    const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const parts = split('a', 5, 7, big, 1400);
    expect(parts.length).toBe(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1400);
    const r = new Reassembly(10_000);
    const order = [2, 0, 3, 1];
    let out: Uint8Array | 'bad' | undefined;
    for (const i of order) {
      const f = fragmentOf(parts[i]!);
      expect(f.generation).toBe(5);
      out = r.add('a', f.generation, f.id, f.index, f.count, f.bytes);
      if (i !== 1) expect(out).toBeUndefined();
    }
    expect(out).toEqual(big);
    expect(r.size).toBe(0);
  });

  it('bounds what it holds: partial messages, message size, inconsistent counts, and the decoder checks index and count', () => {
    const r = new Reassembly(3000);
    for (let id = 0; id < 100; id++) r.add('p', 1, id, 0, 2, new Uint8Array(1000));
    expect(r.size).toBeLessThanOrEqual(32);
    expect(r.add('q', 1, 1, 0, 4, new Uint8Array(2000))).toBeUndefined();
    expect(r.add('q', 1, 1, 1, 4, new Uint8Array(2000))).toBe('bad'); // over 3000 bytes
    expect(r.add('q', 1, 2, 0, 3, new Uint8Array(10))).toBeUndefined();
    expect(r.add('q', 1, 2, 1, 5, new Uint8Array(10))).toBe('bad'); // count changed
    for (const [index, count] of [[2, 2], [0, 1], [0, MAX_FRAGMENTS + 1]] as const) {
      const bytes = encodeStateMessage({ kind: 'fragment', from: 'a', id: 1, index, count, bytes: new Uint8Array(4), generation: 1 });
      expect(decodeStateMessage(bytes).ok).toBe(false);
    }
  });

  it('keeps a restarted sender\'s fragments apart from its previous run\'s, and drops that run\'s partial messages', () => {
    const r = new Reassembly(10_000);
    const big = Uint8Array.from({ length: 3000 }, (_, i) => i & 0xff);
    const old = split('a', 100, 1, big, 1400).map(fragmentOf);
    const fresh = split('a', 200, 1, big.map((x) => x ^ 0xff), 1400).map(fragmentOf);
    expect(old[0]!.id).toBe(fresh[0]!.id); // ids restart with each run
    // The previous run got one fragment of message 1 out before it died.
    expect(r.add('a', 100, old[0]!.id, old[0]!.index, old[0]!.count, old[0]!.bytes)).toBeUndefined();
    expect(r.size).toBe(1);
    let out: Uint8Array | 'bad' | undefined;
    for (const f of fresh.slice(1)) out = r.add('a', f.generation, f.id, f.index, f.count, f.bytes);
    expect(out).toBeUndefined();
    expect(r.size).toBe(1); // the previous run's partial is gone
    out = r.add('a', fresh[0]!.generation, fresh[0]!.id, fresh[0]!.index, fresh[0]!.count, fresh[0]!.bytes);
    expect(out).toEqual(big.map((x) => x ^ 0xff)); // not a mix of both runs' bytes
    expect(r.add('a', 100, old[1]!.id, old[1]!.index, old[1]!.count, old[1]!.bytes)).toBeUndefined(); // a late one starts nothing that lasts
    expect(r.size).toBeLessThanOrEqual(1);
    expect(r.senders).toBeLessThanOrEqual(1);
  });

  it('decodes a fragment without the trailing generation (an older sender) as generation 0', () => {
    const bytes = encodeStateMessage({ kind: 'fragment', from: 'a', id: 3, index: 0, count: 2, bytes: new Uint8Array(4), generation: 0 });
    const m = decodeStateMessage(bytes.subarray(0, bytes.length - 1));
    expect(m.ok && m.message.kind === 'fragment' && m.message.generation).toBe(0);
  });
});
