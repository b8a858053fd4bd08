import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lzwCompress, lzwDecompress } from '../../src/wire/lzw.js';

interface GoCase {
  name: string;
  kind: 'bytes' | 'random' | 'repeat' | 'mixed';
  seed: number;
  length: number;
  alphabet: number;
  inputHex?: string;
  outLen: number;
  sha256: string;
  outHex?: string;
}

const cases = JSON.parse(readFileSync(new URL('./fixtures/lzw-go.json', import.meta.url), 'utf8')) as GoCase[];
const PHRASE = 'the quick brown fox jumps over the lazy dog; ';

/** Mirrors gen() in fixtures/gen-lzw.go (xorshift32). */
function genInput(c: GoCase): Uint8Array {
  if (c.kind === 'bytes') return Uint8Array.from(Buffer.from(c.inputHex ?? '', 'hex'));
  let x = c.seed >>> 0;
  const out = new Uint8Array(c.length);
  for (let i = 0; i < c.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (c.kind === 'random') out[i] = c.alphabet === 256 ? x & 0xff : 97 + (x % c.alphabet);
    else if (c.kind === 'repeat') out[i] = PHRASE.charCodeAt(i % 45);
    else out[i] = x % 4 === 0 ? x >>> 24 : 97 + ((x >>> 8) % 4);
  }
  return out;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('lzwCompress matches Go compress/lzw (LSB, 8) byte for byte', () => {
  it.each(cases.map((c) => [`${c.name} (${c.length} B)`, c] as const))('%s', (_name, c) => {
    const input = genInput(c);
    const out = lzwCompress(input);
    if (c.outHex !== undefined) expect(hex(out)).toBe(c.outHex);
    expect(out.length).toBe(c.outLen);
    expect(sha(out)).toBe(c.sha256);
    const back = lzwDecompress(out, 1 << 30);
    if (c.length === 0) {
      // memberlist HEAD refuses an empty decompression.
      expect(back.ok).toBe(false);
      if (!back.ok) expect(back.error.code).toBe('compression');
    } else {
      expect(back.ok && sha(back.value) === sha(input)).toBe(true);
    }
  });

  it('covers the required round-trip sizes', () => {
    const names = cases.map((c) => c.name);
    for (const n of ['empty', 'one byte', '4 KiB random', '64 KiB repetitive', '256 KiB mixed (table resets)']) expect(names).toContain(n);
  });
});

describe('lzwDecompress agrees with Go compress/lzw on valid and corrupted streams', () => {
  const decodeCases = JSON.parse(readFileSync(new URL('./fixtures/lzw-go-decode.json', import.meta.url), 'utf8')) as {
    inputHex: string;
    result: 'ok' | 'unexpected-eof' | 'invalid-code';
    outLen: number;
    sha256: string;
  }[];

  it(`matches all ${decodeCases.length} recorded Go results`, () => {
    for (const c of decodeCases) {
      const r = lzwDecompress(Uint8Array.from(Buffer.from(c.inputHex, 'hex')), 1 << 24);
      const context = `input ${c.inputHex}`;
      if (c.result === 'ok' && c.outLen > 0) {
        expect(r.ok, context).toBe(true);
        if (r.ok) expect(sha(r.value), context).toBe(c.sha256);
      } else {
        expect(r.ok, context).toBe(false);
        const want = c.result === 'unexpected-eof' ? 'truncated' : 'compression'; // empty output: 'compression'
        if (!r.ok) expect(r.error.code, context).toBe(want);
      }
    }
  });
});

describe('lzwDecompress', () => {
  const text = new TextEncoder().encode('hello hello hello');

  it('fails with truncated when the EOF code is missing', () => {
    const full = lzwCompress(text);
    for (let cut = 0; cut < full.length - 1; cut++) {
      const r = lzwDecompress(full.subarray(0, cut), 1000);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['truncated', 'compression']).toContain(r.error.code);
    }
  });

  it('ignores bytes after EOF, as Go does', () => {
    const full = lzwCompress(text);
    const r = lzwDecompress(Uint8Array.from([...full, 1, 2, 3]), 1000);
    expect(r.ok && new TextDecoder().decode(r.value)).toBe('hello hello hello');
  });

  it('rejects a code beyond the table', () => {
    // CLEAR (256) then code 300 at 9 bits: not yet defined.
    const bits = 256 | (300 << 9);
    const r = lzwDecompress(Uint8Array.of(bits & 0xff, (bits >> 8) & 0xff, bits >> 16), 1000);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('compression');
  });

  it('stops a bomb at the cap without allocating past it', () => {
    const bomb = lzwCompress(new Uint8Array(8 * 1024 * 1024)); // 8 MiB of zeros
    expect(bomb.length).toBeLessThan(40_000);
    const r = lzwDecompress(bomb, 64 * 1024);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('too-large');
    // Exactly at the cap is allowed (memberlist reads max+1 and fails only beyond max).
    const exact = lzwDecompress(lzwCompress(new Uint8Array(5000)), 5000);
    expect(exact.ok && exact.value.length).toBe(5000);
    const over = lzwDecompress(lzwCompress(new Uint8Array(5001)), 5000);
    expect(over.ok).toBe(false);
  });

  it('round-trips every byte value and long runs', () => {
    const all = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256);
    const r = lzwDecompress(lzwCompress(all), all.length);
    expect(r.ok && sha(r.value)).toBe(sha(all));
  });
});
