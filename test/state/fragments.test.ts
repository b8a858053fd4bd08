import { describe, expect, it } from 'vitest';
import { decodeStateMessage, encodeStateMessage, MAX_FRAGMENTS } from '../../src/state/codec.js';
import { Reassembly, split } from '../../src/state/fragments.js';

function fragmentOf(bytes: Uint8Array): { id: number; index: number; count: number; bytes: Uint8Array } {
  const m = decodeStateMessage(bytes);
  if (!m.ok || m.message.kind !== 'fragment') throw new Error('not a fragment');
  return m.message;
}

describe('state fragments', () => {
  it('a message that fits is sent whole; a larger one splits into fragments that fit and reassemble in any order', () => {
    const small = encodeStateMessage({ kind: 'digest', from: 'a', root: 1, eventsRoot: 2 });
    expect(split('a', 1, small, 1400)).toEqual([small]);
    const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const parts = split('a', 7, big, 1400);
    expect(parts.length).toBe(4);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(1400);
    const r = new Reassembly(10_000);
    const order = [2, 0, 3, 1];
    let out: Uint8Array | 'bad' | undefined;
    for (const i of order) {
      const f = fragmentOf(parts[i]!);
      out = r.add('a', f.id, f.index, f.count, f.bytes);
      if (i !== 1) expect(out).toBeUndefined();
    }
    expect(out).toEqual(big);
    expect(r.size).toBe(0);
  });

  it('bounds what it holds: partial messages, message size, inconsistent counts, and the decoder checks index and count', () => {
    const r = new Reassembly(3000);
    for (let id = 0; id < 100; id++) r.add('p', id, 0, 2, new Uint8Array(1000));
    expect(r.size).toBeLessThanOrEqual(32);
    expect(r.add('q', 1, 0, 4, new Uint8Array(2000))).toBeUndefined();
    expect(r.add('q', 1, 1, 4, new Uint8Array(2000))).toBe('bad'); // over 3000 bytes
    expect(r.add('q', 2, 0, 3, new Uint8Array(10))).toBeUndefined();
    expect(r.add('q', 2, 1, 5, new Uint8Array(10))).toBe('bad'); // count changed
    for (const [index, count] of [[2, 2], [0, 1], [0, MAX_FRAGMENTS + 1]] as const) {
      const bytes = encodeStateMessage({ kind: 'fragment', from: 'a', id: 1, index, count, bytes: new Uint8Array(4) });
      expect(decodeStateMessage(bytes).ok).toBe(false);
    }
  });
});
