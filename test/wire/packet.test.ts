import { describe, expect, it } from 'vitest';
import { encodeCompressed } from '../../src/wire/bodies.js';
import { encodeMessage } from '../../src/wire/codec.js';
import { Keyring } from '../../src/wire/keyring.js';
import { lzwCompress } from '../../src/wire/lzw.js';
import { decodePayload, encodeCompound, openPacket, sealPacket } from '../../src/wire/packet.js';
import { LIMITS, ascii, b, hex } from './helpers.js';

const nack = (seqNo: number): Uint8Array => encodeMessage({ type: 'nack', seqNo });
const key = ascii('0123456789abcdef');

function compoundOf(parts: Uint8Array[]): Uint8Array {
  const out = encodeCompound(parts);
  expect(out.length).toBe(1);
  return out[0]!;
}

describe('encodeCompound', () => {
  it('leaves a single part alone and wraps several', () => {
    const one = nack(1);
    expect(encodeCompound([])).toEqual([]);
    expect(encodeCompound([one])[0]).toBe(one);
    expect(hex(compoundOf([nack(1), nack(2)]))).toBe(`070200090009${hex(nack(1))}${hex(nack(2))}`);
  });

  it('splits every 127 parts (Go misparses 128+, util.go uint8 arithmetic), wrapping a lone trailing part as Go does', () => {
    const parts = Array.from({ length: 381 }, (_, i) => nack(i));
    const out = encodeCompound(parts);
    expect(out.map((c) => [c[0], c[1]])).toEqual([[7, 127], [7, 127], [7, 127]]);
    expect(encodeCompound(parts.slice(0, 128)).map((c) => c[1])).toEqual([127, 1]);
    const decoded = out.flatMap((c) => decodePayload(c, LIMITS).messages);
    // Decoding still accepts all 255 parts the format allows.
    const all = Array.from({ length: 255 }, (_, i) => nack(i));
    const lens = all.flatMap((p) => [p.length >> 8, p.length & 0xff]);
    const big = Uint8Array.from([7, 255, ...lens, ...all.flatMap((p) => [...p])]);
    expect(decodePayload(big, LIMITS).messages.length).toBe(255);
    expect(decoded.map((m) => (m.type === 'nack' ? m.seqNo : -1))).toEqual(parts.map((_, i) => i));
  });

  it('refuses a part of 64 KiB', () => {
    expect(() => encodeCompound([new Uint8Array(65536), nack(1)])).toThrow(RangeError);
  });
});

describe('sealPacket / openPacket', () => {
  const inner = compoundOf(Array.from({ length: 20 }, () => encodeMessage({ type: 'suspect', incarnation: 9, node: 'node-42.example', from: 'node-7.example' })));

  it('compresses only when strictly shorter', () => {
    const small = nack(1);
    expect(sealPacket(small, { compress: true, crc: false })).toBe(small);
    const sealed = sealPacket(inner, { compress: true, crc: false });
    expect(sealed[0]).toBe(9);
    expect(sealed.length).toBeLessThan(inner.length);
  });

  it('applies compress, CRC, encryption, label in that order and opens them all', () => {
    const label = ascii('prod');
    const keyring = new Keyring([key]);
    const sealed = sealPacket(inner, { compress: true, crc: true, keyring, label });
    expect(hex(sealed.subarray(0, 7))).toBe(`f404${hex(label)}01`);
    const opened = openPacket(sealed, { keyring, label });
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect(opened.value[0]).toBe(9); // CRC stripped, compression still there
    const { messages, errors } = decodePayload(opened.value, LIMITS);
    expect(errors).toEqual([]);
    expect(messages.length).toBe(20);
  });

  it('encrypted gossip is 29 bytes longer, with the label as AAD (reference §8.3: 131 → 160)', () => {
    const keyring = new Keyring([key]);
    const plain = sealPacket(inner, { compress: false, crc: true });
    expect(sealPacket(inner, { compress: false, crc: true, keyring }).length).toBe(plain.length + 29);
    const withLabel = sealPacket(inner, { compress: false, crc: false, keyring, label: ascii('a') });
    // Same ciphertext under a different label fails: the label is authenticated.
    const swapped = withLabel.slice();
    swapped[2] = 'b'.charCodeAt(0);
    expect(openPacket(swapped, { keyring, label: ascii('b') })).toMatchObject({ ok: false, error: { code: 'decrypt-failed' } });
  });

  it('label mismatches, including labelled vs unlabelled', () => {
    const code = (d: Uint8Array, label?: Uint8Array): string => {
      const r = openPacket(d, label ? { label } : {});
      return r.ok ? 'ok' : r.error.code;
    };
    const labelled = sealPacket(nack(1), { compress: false, crc: false, label: ascii('a') });
    expect(code(labelled, ascii('a'))).toBe('ok');
    expect(code(labelled, ascii('b'))).toBe('label-mismatch');
    expect(code(labelled, ascii('ab'))).toBe('label-mismatch');
    expect(code(labelled)).toBe('label-mismatch');
    expect(code(nack(1), ascii('a'))).toBe('label-mismatch');
    expect(code(b('f4 00 0b'))).toBe('malformed');
    expect(code(b('f4 05 41'))).toBe('truncated');
    expect(code(b('f4'))).toBe('truncated');
    expect(() => sealPacket(nack(1), { compress: false, crc: false, label: new Uint8Array(256) })).toThrow(RangeError);
  });

  it('decrypt failure drops the packet unless verifyIncoming is false', () => {
    const keyring = new Keyring([key]);
    const plain = nack(7);
    expect(openPacket(plain, { keyring })).toMatchObject({ ok: false, error: { code: 'decrypt-failed' } });
    const loose = openPacket(plain, { keyring, verifyIncoming: false });
    expect(loose.ok && hex(loose.value)).toBe(hex(plain));
    const other = new Keyring([ascii('fedcba9876543210')]);
    expect(openPacket(sealPacket(plain, { compress: false, crc: false, keyring: other }), { keyring })).toMatchObject({ ok: false });
  });

  it('CRC: verified and stripped; a mismatch is crc-mismatch; absent is fine', () => {
    const sealed = sealPacket(nack(1), { compress: false, crc: true });
    expect(hex(sealed.subarray(5))).toBe(hex(nack(1)));
    const bad = sealed.slice();
    bad[sealed.length - 1]! ^= 1;
    expect(openPacket(bad, {})).toMatchObject({ ok: false, error: { code: 'crc-mismatch' } });
    expect(openPacket(nack(1), {})).toMatchObject({ ok: true });
    // Fewer than 5 bytes starting 0C is not a CRC header (Go's rule); it decodes as unknown type.
    const short = openPacket(b('0c 01 02'), {});
    expect(short.ok && decodePayload(short.value, LIMITS).errors[0]?.code).toBe('unknown-type');
    expect(openPacket(new Uint8Array(0), {})).toMatchObject({ ok: false, error: { code: 'truncated' } });
  });
});

describe('decodePayload', () => {
  it('keeps order across nested compound and compress', () => {
    const inner = compoundOf([nack(2), nack(3)]);
    const payload = compoundOf([nack(1), encodeCompressed(inner), nack(4)]);
    expect(decodePayload(payload, LIMITS).messages.map((m) => (m.type === 'nack' ? m.seqNo : 0))).toEqual([1, 2, 3, 4]);
  });

  it('keeps the parts that fit when lengths run past the end', () => {
    const full = compoundOf([nack(1), nack(2), nack(3)]);
    const { messages, errors } = decodePayload(full.subarray(0, full.length - 3), LIMITS);
    expect(messages.length).toBe(2);
    expect(errors).toMatchObject([{ code: 'truncated', field: 'compound.lengths' }]);
    expect(decodePayload(b('07'), LIMITS).errors[0]?.code).toBe('truncated');
    expect(decodePayload(b('07 03 0001'), LIMITS).errors[0]?.code).toBe('truncated');
  });

  it('records bad parts and still decodes the others', () => {
    const payload = compoundOf([nack(1), b('63 80'), new Uint8Array(0), b('0b 81 a5"SeqNo" ff'), nack(2)]);
    const { messages, errors } = decodePayload(payload, LIMITS);
    expect(messages.length).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['unknown-type', 'truncated', 'bad-field']);
  });

  it('enforces maxCompoundParts and maxNestingDepth', () => {
    const c3 = compoundOf([nack(1), nack(2), nack(3)]);
    expect(decodePayload(c3, { ...LIMITS, maxCompoundParts: 2 })).toMatchObject({ messages: [], errors: [{ code: 'too-large' }] });
    let nested = nack(1);
    for (let i = 0; i < 4; i++) nested = i % 2 ? compoundOf([nested, nack(9)]) : encodeCompressed(nested);
    expect(decodePayload(nested, LIMITS).errors).toEqual([]);
    expect(decodePayload(nested, { ...LIMITS, maxNestingDepth: 3 }).errors[0]?.code).toBe('nesting');
    // Messages outside the too-deep part survive.
    expect(decodePayload(nested, { ...LIMITS, maxNestingDepth: 3 }).messages.length).toBe(2);
  });

  it('compress: unknown Algo, bad LZW, bad map', () => {
    const withAlgo = (algo: number): Uint8Array => b(`09 82 a4"Algo" ${algo.toString(16).padStart(2, '0')} a3"Buf" a4 ${hex(lzwCompress(nack(1)).subarray(0, 4))}`);
    expect(decodePayload(withAlgo(1), LIMITS).errors[0]?.code).toBe('compression');
    expect(decodePayload(b(`09 82 a4"Algo" 00 a3"Buf" a2 0001`), LIMITS).errors[0]?.code).toBe('truncated');
    expect(decodePayload(b(`09 91 00`), LIMITS).errors[0]?.code).toBe('malformed');
    expect(decodePayload(b(`09 81 a3"Buf" c0`), LIMITS).errors[0]?.code).toBe('truncated');
  });

  it('caps decompressed bytes over the whole packet', () => {
    const big = encodeMessage({ type: 'user', payload: new Uint8Array(30_000) });
    const c = encodeCompressed(big);
    const payload = compoundOf([c, c, c]);
    const limits = { ...LIMITS, maxDecompressedBytes: 70_000 };
    const { messages, errors } = decodePayload(payload, limits);
    expect(messages.length).toBe(2);
    expect(errors.map((e) => e.code)).toEqual(['too-large']);
  });
});
