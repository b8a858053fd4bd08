/**
 * serf tags on the wire's own msgpack: the bytes must stay exactly what `@msgpack/msgpack` wrote
 * before (sorted keys, str8 for 32–255 bytes, map16 from 16 entries), and decoding must agree
 * with it on every well-formed map.
 */
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SERF_TAGS_MARKER, decodeTags, encodeTags } from '../../src/wire/tags.js';

/** What hearsay wrote with `@msgpack/msgpack` before the wire module existed. */
function reference(tags: Record<string, string>): Uint8Array {
  const body = mpEncode(tags, { sortKeys: true });
  const out = new Uint8Array(body.length + 1);
  out[0] = SERF_TAGS_MARKER;
  out.set(body, 1);
  return out;
}

/** Well-formed strings (no lone surrogates), from empty to past the str8 and str16 boundaries. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.constantFrom('', 'x'.repeat(31), 'x'.repeat(32), 'é'.repeat(16), 'x'.repeat(255), 'x'.repeat(256), 'x'.repeat(70000)),
);
const tagMap = fc.dictionary(text.filter((k) => k !== '__proto__'), text, { maxKeys: 20 });

describe('serf tags', () => {
  it('encodes byte for byte as @msgpack/msgpack with sorted keys did', () => {
    fc.assert(
      fc.property(tagMap, (tags) => {
        expect(Buffer.from(encodeTags(tags)).toString('hex')).toBe(Buffer.from(reference(tags)).toString('hex'));
      }),
      { numRuns: 300 },
    );
  });

  it('uses map16 from 16 entries and str8 for 32–255 bytes, as before', () => {
    const many = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v']));
    expect(encodeTags(many).subarray(0, 4)).toEqual(Uint8Array.of(0xff, 0xde, 0x00, 0x10));
    expect(encodeTags({ a: 'x'.repeat(40) }).subarray(0, 6)).toEqual(Uint8Array.of(0xff, 0x81, 0xa1, 0x61, 0xd9, 40));
    expect(encodeTags({})).toEqual(Uint8Array.of(0xff, 0x80));
  });

  it('decodes what it encodes, and what @msgpack/msgpack decodes from any well-formed map', () => {
    fc.assert(
      fc.property(tagMap, (tags) => {
        const bytes = reference(tags);
        expect(decodeTags(bytes)).toEqual(mpDecode(bytes.subarray(1)));
        expect(decodeTags(encodeTags(tags))).toEqual(tags);
      }),
      { numRuns: 300 },
    );
  });

  it('gives undefined, never a throw, for anything that is not exactly one str → str map', () => {
    const bad: number[][] = [
      [],
      [0xff],
      [0x01, 0x80],
      [0xff, 0xc1],
      [0xff, 0x81, 0xa1, 0x61, 0x01], // int value
      [0xff, 0x81, 0x01, 0xa1, 0x61], // int key
      [0xff, 0x81, 0xa1, 0x61, 0xc4, 0x01, 0x62], // bin value
      [0xff, 0x81, 0xa1, 0x61], // truncated
      [0xff, 0x81, 0xa1, 0x61, 0xa5, 0x62], // string runs past the end
      [0xff, 0x80, 0x00], // trailing byte
      [0xff, 0xdf, 0xff, 0xff, 0xff, 0xff], // huge count
      [0xff, 0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0xa1, 0x78],
    ];
    for (const b of bad) expect(decodeTags(Uint8Array.from(b)), Buffer.from(b).toString('hex')).toBeUndefined();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (junk) => {
        const out = decodeTags(Uint8Array.of(0xff, ...junk));
        expect(out === undefined || Object.isFrozen(out)).toBe(true);
      }),
    );
  });
});
