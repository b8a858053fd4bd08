/**
 * The digest push/pull frame (`E9`, wire/digest-stream.ts) through the stream decoder: round trips,
 * and hostile frames (wrong sizes, bad counts, garbage) that must come back as typed errors,
 * never a throw, a hang or an allocation beyond the frame.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { DEFAULT_WIRE_LIMITS, type WireLimits } from '../../src/options.js';
import type { PushNodeState, StreamMessage } from '../../src/wire/messages.js';
import { encodeStreamMessage, StreamDecoder, type StreamStep } from '../../src/wire/stream.js';

const node = (name: string, incarnation = 1): PushNodeState => ({ name, addr: Uint8Array.of(10, 0, 0, 1), port: 7946, meta: null, incarnation, state: 1, vsn: Uint8Array.of(1, 5, 2, 0, 0, 0), features: 3 });

function decode(bytes: Uint8Array, limits: WireLimits = DEFAULT_WIRE_LIMITS): StreamStep {
  const d = new StreamDecoder({ expectLabelPreamble: false, limits });
  d.push(bytes);
  return d.next();
}
const enc = (m: StreamMessage): Uint8Array => encodeStreamMessage(m, { compress: false, labelPreamble: false });
const frame = (...body: number[]): Uint8Array => Uint8Array.of(0xe9, (body.length >>> 24) & 0xff, (body.length >>> 16) & 0xff, (body.length >>> 8) & 0xff, body.length & 0xff, ...body);

describe('digest push/pull frames', () => {
  it('round-trip every leg, also compressed and byte by byte', () => {
    const msgs: StreamMessage[] = [
      { type: 'digest-request', buckets: Uint32Array.from({ length: 128 }, (_, i) => (i * 2654435761) >>> 0) },
      { type: 'digest-reply', buckets: [], nodes: [] },
      { type: 'digest-reply', buckets: [3, 70, 127], nodes: [node('a'), node('ü-b', 7)] },
      { type: 'digest-entries', nodes: [node('c', 2)] },
    ];
    for (const m of msgs) {
      const step = decode(enc(m));
      expect(step).toEqual({ kind: 'message', message: m });
      const compressed = decode(encodeStreamMessage(m, { compress: true, labelPreamble: false }));
      expect(compressed).toEqual({ kind: 'message', message: m });
      const d = new StreamDecoder({ expectLabelPreamble: false, limits: DEFAULT_WIRE_LIMITS });
      const bytes = enc(m);
      let last: StreamStep = { kind: 'need-more' };
      for (const b of bytes) {
        d.push(Uint8Array.of(b));
        last = d.next();
      }
      expect(last).toEqual({ kind: 'message', message: m });
    }
    expect(enc({ type: 'digest-reply', buckets: [], nodes: [] }).length).toBe(13);
  });

  it('refuses wrong sizes, bad counts and unknown versions as typed errors', () => {
    const cases: [Uint8Array, string][] = [
      [frame(2, 1, 0, 1, 0, 0, 0, 0), 'unknown-type'], // version 2
      [frame(1, 9), 'unknown-type'], // kind 9
      [frame(1, 1, 0, 3, ...new Array(12).fill(0)), 'bad-field'], // 3 buckets: not a power of two
      [frame(1, 1, 0, 0), 'bad-field'], // 0 buckets
      [frame(1, 1, 0x20, 0), 'bad-field'], // 8,192 buckets: above the cap
      [frame(1, 1, 0x10, 0, 1, 2, 3, 4), 'truncated'], // 4,096 buckets announced, one sent
      [frame(1, 2, 0, 2, 0, 5, 0, 5, 0, 0, 0, 0), 'bad-field'], // buckets not ascending
      [frame(1, 2, 0, 1, 0x10, 0, 0, 0, 0, 0), 'bad-field'], // bucket 4,096
      [frame(1, 2, 0, 0, 0xff, 0xff, 0xff, 0xff), 'too-large'], // 2^32 − 1 entries
      [frame(1, 3, 0, 0, 0, 9, 0x80), 'truncated'], // 9 entries announced, room for one
      [frame(1, 3, 0, 0, 0, 1, 0xc1), 'malformed'],
      [frame(1, 3, 0, 0, 0, 1, 0x81, 0xa1), 'truncated'], // an entry running past the body
      [frame(1, 3, 0, 0, 0, 1, 0x92, 1, 2), 'malformed'], // an array where an entry map goes
    ];
    for (const [bytes, code] of cases) {
      const step = decode(bytes);
      expect(step.kind, `${Buffer.from(bytes).toString('hex')}`).toBe('error');
      if (step.kind === 'error') expect(step.error.code, Buffer.from(bytes).toString('hex')).toBe(code);
    }
    // A frame longer than maxStreamBytes is refused from its header, before its bytes arrive.
    const huge = decode(Uint8Array.of(0xe9, 0x7f, 0xff, 0xff, 0xff), { ...DEFAULT_WIRE_LIMITS, maxStreamBytes: 1024 });
    expect(huge.kind === 'error' && huge.error.code).toBe('too-large');
    // memberlist's push/pull cap holds for the entries legs too.
    const capped = decode(enc({ type: 'digest-entries', nodes: [node('a'), node('b')] }), { ...DEFAULT_WIRE_LIMITS, maxPushPullNodes: 1 });
    expect(capped.kind === 'error' && capped.error.code).toBe('too-large');
  });

  it('never throws on garbage after the type byte (seeded fuzz)', () => {
    const random = seededRandom(12);
    const valid = enc({ type: 'digest-reply', buckets: [1, 2], nodes: [node('a'), node('b')] });
    for (let i = 0; i < 3000; i++) {
      const bytes = i % 2 === 0 ? Uint8Array.from({ length: 5 + random.int(40) }, () => random.int(256)) : valid.slice();
      bytes[0] = 0xe9;
      if (i % 2 === 1) for (let k = 0; k < 3; k++) bytes[1 + random.int(bytes.length - 1)] = random.int(256);
      else if (random.next() < 0.5) new DataView(bytes.buffer).setUint32(1, bytes.length - 5);
      expect(() => {
        const d = new StreamDecoder({ expectLabelPreamble: false, limits: { ...DEFAULT_WIRE_LIMITS, maxStreamBytes: 4096 } });
        d.push(bytes);
        d.next();
        d.end();
      }).not.toThrow();
    }
  });
});
