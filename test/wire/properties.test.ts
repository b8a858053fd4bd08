/** Property tests: encode→decode identity through every wrapping, and total decoding of junk. */
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/wire/codec.js';
import type { DecodeErrorCode } from '../../src/wire/decode-error.js';
import { Keyring } from '../../src/wire/keyring.js';
import type { PacketMessage } from '../../src/wire/messages.js';
import { decodePayload, encodeCompound, openPacket, sealPacket } from '../../src/wire/packet.js';
import { encodeStreamMessage, StreamDecoder } from '../../src/wire/stream.js';
import * as A from './arbitraries.js';
import { LIMITS } from './helpers.js';

const RUNS = { numRuns: 400 };
const CODES: readonly DecodeErrorCode[] = [
  'truncated', 'malformed', 'unknown-type', 'bad-field', 'too-large', 'crc-mismatch',
  'decrypt-failed', 'unencrypted', 'label-mismatch', 'compression', 'nesting',
];
const utf8 = new TextEncoder();

/** The Go struct a message encodes, as @msgpack/msgpack values: strings as UTF-8 bytes (rawStrings). */
function goView(m: Exclude<PacketMessage, { type: 'user' }>): Record<string, unknown> {
  const s = (x: string): Uint8Array => utf8.encode(x);
  const src = (x: { sourceAddr?: Uint8Array; sourceNode?: string; sourcePort?: number }): Record<string, unknown> => ({
    ...(x.sourceAddr ? { SourceAddr: x.sourceAddr } : {}),
    ...(x.sourceNode ? { SourceNode: s(x.sourceNode) } : {}),
    ...(x.sourcePort ? { SourcePort: x.sourcePort } : {}),
  });
  switch (m.type) {
    case 'ping': return { Node: s(m.node), SeqNo: m.seqNo, ...src(m) };
    case 'indirect-ping': return { Nack: m.nack, Node: s(m.node), Port: m.port, SeqNo: m.seqNo, Target: m.target, ...src(m) };
    case 'ack': return { Payload: m.payload, SeqNo: m.seqNo };
    case 'nack': return { SeqNo: m.seqNo };
    case 'suspect':
    case 'dead': return { From: s(m.from), Incarnation: m.incarnation, Node: s(m.node) };
    case 'alive': return { Addr: m.addr, Incarnation: m.incarnation, Meta: m.meta, Node: s(m.node), Port: m.port, Vsn: m.vsn };
  }
}

const TYPE_BYTE = { ping: 0, 'indirect-ping': 1, ack: 2, suspect: 3, alive: 4, dead: 5, nack: 11 } as const;

describe('codec properties', () => {
  it('decodeMessage(encodeMessage(m)) is m, for every message type', () => {
    fc.assert(fc.property(A.packetMessage, (m) => {
      expect(decodeMessage(encodeMessage(m))).toEqual({ ok: true, value: m });
    }), RUNS);
  });

  it('@msgpack/msgpack reads our bytes as the Go struct, with keys sorted', () => {
    fc.assert(fc.property(A.packetMessage, (m) => {
      if (m.type === 'user') return;
      const body = encodeMessage(m).subarray(1);
      const parsed = mpDecode(body, { rawStrings: true }) as Record<string, unknown>;
      const want = goView(m);
      expect(Object.keys(parsed)).toEqual(Object.keys(want).sort());
      expect(parsed).toEqual(want);
    }), RUNS);
  });

  it('decodes what a different encoder writes: bin bytes, str8, shuffled keys, unknown keys', () => {
    const extra = fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).map((k) => `x-${k}`), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 });
    fc.assert(fc.property(A.packetMessage, extra, fc.integer(), (m, unknown, seed) => {
      if (m.type === 'user') return;
      const view = goView(m);
      // Go strings must stay msgpack str: re-encode them as JS strings; bytes go out as bin.
      const entries = Object.entries({ ...view, ...unknown }).map(([k, v]) =>
        ['Node', 'From', 'SourceNode'].includes(k) ? [k, new TextDecoder().decode(v as Uint8Array)] : [k, v],
      );
      const rotated = entries.map((_, i) => entries[(i + Math.abs(seed)) % entries.length]!);
      const bytes = Uint8Array.from([TYPE_BYTE[m.type], ...mpEncode(Object.fromEntries(rotated))]);
      expect(decodeMessage(bytes)).toEqual({ ok: true, value: m });
    }), RUNS);
  });
});

describe('packet pipeline properties', () => {
  const security = fc.record({
    compress: fc.boolean(),
    crc: fc.boolean(),
    keys: fc.option(fc.array(A.key, { minLength: 1, maxLength: 3 }), { nil: undefined }),
    label: A.label,
    encryptionVersion: fc.constantFrom(0 as const, 1 as const),
  });

  it('messages survive compound + compress + CRC + encryption (v0/v1, 16/24/32-byte keys) + label', () => {
    fc.assert(fc.property(fc.array(A.packetMessage, { minLength: 1, maxLength: 300 }), security, (msgs, sec) => {
      const keyring = sec.keys ? new Keyring(sec.keys) : undefined;
      const opts = { ...(keyring ? { keyring } : {}), ...(sec.label ? { label: sec.label } : {}), encryptionVersion: sec.encryptionVersion };
      const decoded: PacketMessage[] = [];
      for (const inner of encodeCompound(msgs.map(encodeMessage))) {
        const datagram = sealPacket(inner, { compress: sec.compress, crc: sec.crc, ...opts });
        // A receiver holding the primary key as a secondary still decrypts.
        const rx = keyring ? new Keyring([...keyring.keys].reverse()) : undefined;
        const opened = openPacket(datagram, { ...opts, ...(rx ? { keyring: rx } : {}) });
        expect(opened.ok).toBe(true);
        if (!opened.ok) return;
        const { messages, errors } = decodePayload(opened.value, LIMITS);
        expect(errors).toEqual([]);
        decoded.push(...messages);
      }
      expect(decoded).toEqual(msgs);
    }), { numRuns: 200 });
  });

  it('stream messages survive compress + encryption + label, fed in random chunks', () => {
    const opts = fc.record({ compress: fc.boolean(), key: fc.option(A.key, { nil: undefined }), label: A.label, v: fc.constantFrom(0 as const, 1 as const) });
    fc.assert(fc.property(A.streamMessage, opts, fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 50 }), (msg, o, cuts) => {
      const keyring = o.key ? new Keyring([o.key]) : undefined;
      const common = { ...(keyring ? { keyring } : {}), ...(o.label ? { label: o.label } : {}) };
      const bytes = encodeStreamMessage(msg, { compress: o.compress, labelPreamble: true, encryptionVersion: o.v, ...common });
      const d = new StreamDecoder({ expectLabelPreamble: true, limits: LIMITS, ...common });
      const got: unknown[] = [];
      let at = 0;
      for (let i = 0; at < bytes.length; i++) {
        const n = cuts[i % cuts.length]!;
        d.push(bytes.subarray(at, at + n));
        at += n;
        const step = d.next();
        expect(step.kind).not.toBe('error');
        if (step.kind === 'message') {
          got.push(step.message);
          expect(at).toBeGreaterThanOrEqual(bytes.length); // not before the last byte
        }
      }
      expect(got).toEqual([msg]);
      expect(d.end()).toBeUndefined();
    }), { numRuns: 300 });
  });
});

function checkTotal(run: () => unknown): void {
  let out: unknown;
  expect(() => (out = run())).not.toThrow();
  const o = out as { ok?: boolean; error?: { code: DecodeErrorCode }; errors?: { code: DecodeErrorCode }[] };
  if (o.ok === false) expect(CODES).toContain(o.error!.code);
  for (const e of o.errors ?? []) expect(CODES).toContain(e.code);
}

function streamAll(bytes: Uint8Array, opts: Partial<ConstructorParameters<typeof StreamDecoder>[0]> = {}): { ok: boolean; error?: { code: DecodeErrorCode } } {
  const d = new StreamDecoder({ expectLabelPreamble: true, limits: LIMITS, ...opts });
  d.push(bytes);
  for (let i = 0; i < 100; i++) {
    const s = d.next();
    if (s.kind === 'error') return { ok: false, error: s.error };
    if (s.kind === 'need-more') break;
  }
  const e = d.end();
  return e ? { ok: false, error: e } : { ok: true };
}

describe('decoding is total', () => {
  const keyring = new Keyring([new Uint8Array(16)]);
  const junk = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    // Plausible prefixes make the fuzzer reach deeper code.
    fc.tuple(fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0xf4), fc.uint8Array({ maxLength: 300 })).map(([t, r]) => Uint8Array.from([t, ...r])),
    fc.tuple(fc.constantFrom(0, 2, 4, 6, 8, 9, 11), fc.integer({ min: 0x80, max: 0x8f }), fc.uint8Array({ maxLength: 300 })).map(([t, m, r]) => Uint8Array.from([t, m, ...r])),
  );

  it('random bytes never throw: decodeMessage, openPacket, decodePayload, StreamDecoder', () => {
    fc.assert(fc.property(junk, (bytes) => {
      checkTotal(() => decodeMessage(bytes));
      checkTotal(() => decodePayload(bytes, LIMITS));
      checkTotal(() => openPacket(bytes, {}));
      checkTotal(() => openPacket(bytes, { keyring, label: Uint8Array.of(1) }));
      checkTotal(() => streamAll(bytes));
      checkTotal(() => streamAll(bytes, { keyring, verifyIncoming: false }));
    }), { numRuns: 1000 });
  });

  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0xc0, 0xc1, 0xcf, 0xd3, 0xdb, 0xdd, 0xdf, 0xff) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );
  function mutate(bytes: Uint8Array, ms: { kind: string; at: number; bit?: number; value?: number; bytes?: Uint8Array }[]): Uint8Array {
    let out = bytes.slice();
    for (const m of ms) {
      if (out.length === 0) break;
      const at = m.at % out.length;
      if (m.kind === 'flip') out[at]! ^= 1 << m.bit!;
      else if (m.kind === 'cut') out = out.slice(0, at);
      else if (m.kind === 'set') out[at] = m.value!;
      else out = Uint8Array.from([...out.subarray(0, at), ...m.bytes!, ...out.subarray(at)]);
    }
    return out;
  }

  it('mutated valid packets and streams never throw', () => {
    fc.assert(fc.property(fc.array(A.packetMessage, { minLength: 1, maxLength: 8 }), A.pushPull, fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 4 }), (msgs, pp, compress, ms) => {
      const inner = encodeCompound(msgs.map(encodeMessage))[0]!;
      const datagram = sealPacket(inner, { compress, crc: true });
      const bad = mutate(datagram, ms);
      checkTotal(() => openPacket(bad, {}));
      checkTotal(() => decodePayload(bad, LIMITS));
      checkTotal(() => decodePayload(mutate(inner, ms), LIMITS));
      checkTotal(() => streamAll(mutate(encodeStreamMessage(pp, { compress, labelPreamble: false }), ms)));
    }), { numRuns: 500 });
  });

  it('nested compress/compound bombs stop at the caps', () => {
    const limits = { ...LIMITS, maxDecompressedBytes: 1 << 20 };
    // A 4 MiB user message of zeros compresses to ~17 KiB; nest it and repeat it.
    const zeros = encodeMessage({ type: 'user', payload: new Uint8Array(4 << 20) });
    let bomb = sealPacket(zeros, { compress: true, crc: false });
    expect(bomb.length).toBeLessThan(40_000);
    bomb = encodeCompound([bomb, bomb, bomb])[0]!;
    bomb = sealPacket(bomb, { compress: true, crc: false });
    const started = performance.now();
    const { messages, errors } = decodePayload(bomb, limits);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(messages).toEqual([]);
    expect(errors.every((e) => e.code === 'too-large')).toBe(true);
    // Deep nesting of small compounds: 'nesting', never a stack overflow.
    let deep = encodeMessage({ type: 'nack', seqNo: 1 });
    for (let i = 0; i < 300; i++) deep = i % 2 ? encodeCompound([deep, deep.subarray(0, 0)])[0]! : sealPacket(deep, { compress: true, crc: false });
    checkTotal(() => decodePayload(deep, LIMITS));
    // A stream whose compressed body is a bomb.
    const streamBomb = encodeStreamMessage({ type: 'user', payload: new Uint8Array(4 << 20) }, { compress: true, labelPreamble: false });
    expect(streamAll(streamBomb, { expectLabelPreamble: false, limits })).toMatchObject({ ok: false, error: { code: 'too-large' } });
  });
});
