import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeCompressed } from '../../src/wire/bodies.js';
import { Keyring, encryptPayload } from '../../src/wire/keyring.js';
import type { PushPullMessage, StreamMessage } from '../../src/wire/messages.js';
import { encodeStreamMessage, StreamDecoder, type StreamDecoderOptions, type StreamStep } from '../../src/wire/stream.js';
import { LIMITS, LOCALHOST, VSN, ascii, b, hex } from './helpers.js';

const key = ascii('0123456789abcdef');
const pushPull: PushPullMessage = {
  type: 'push-pull',
  join: true,
  nodes: [{ name: 'B', addr: LOCALHOST, port: 7902, meta: ascii('meta-B'), incarnation: 1, state: 0, vsn: VSN }],
  userState: ascii('USERSTATE'),
};
const plainOpts = { compress: false, labelPreamble: false } as const;

function feed(bytes: Uint8Array, opts: Partial<StreamDecoderOptions> = {}, chunk = bytes.length): { steps: StreamStep[]; decoder: StreamDecoder } {
  const decoder = new StreamDecoder({ expectLabelPreamble: false, limits: LIMITS, ...opts });
  const steps: StreamStep[] = [];
  for (let i = 0; i < bytes.length; i += chunk) {
    decoder.push(bytes.subarray(i, i + chunk));
    for (let s = decoder.next(); ; s = decoder.next()) {
      steps.push(s);
      if (s.kind !== 'message') break;
    }
  }
  return { steps, decoder };
}

const messages = (steps: StreamStep[]): StreamMessage[] => steps.flatMap((s) => (s.kind === 'message' ? [s.message] : []));
const firstError = (steps: StreamStep[]): string | undefined => steps.find((s) => s.kind === 'error')?.kind === 'error' ? (steps.find((s) => s.kind === 'error') as { error: { code: string } }).error.code : undefined;

describe('encodeStreamMessage', () => {
  it('reference §8.3: encrypted push/pull is 0a 00000088 01 … (141 bytes), AAD = the 5 header bytes', () => {
    const bytes = encodeStreamMessage(pushPull, { ...plainOpts, keyring: new Keyring([key]) });
    expect(bytes.length).toBe(141);
    expect(hex(bytes.subarray(0, 6))).toBe('0a0000008801');
    const d = createDecipheriv('aes-128-gcm', key, bytes.subarray(6, 18));
    d.setAAD(bytes.subarray(0, 5));
    d.setAuthTag(bytes.subarray(125));
    const plain = Buffer.concat([d.update(bytes.subarray(18, 125)), d.final()]);
    expect(hex(plain)).toBe(hex(encodeStreamMessage(pushPull, plainOpts)));
  });

  it('label: preamble only when asked, always part of the AAD', () => {
    const label = ascii('dc1');
    expect(hex(encodeStreamMessage(pushPull, { ...plainOpts, label, labelPreamble: true }).subarray(0, 6))).toBe(`f403${hex(label)}06`);
    expect(encodeStreamMessage(pushPull, { ...plainOpts, label })[0]).toBe(6);
    const enc = encodeStreamMessage(pushPull, { ...plainOpts, label, keyring: new Keyring([key]) });
    const opts = { keyring: new Keyring([key]) };
    expect(firstError(feed(enc, opts).steps)).toBe('decrypt-failed');
    expect(messages(feed(enc, { ...opts, label }).steps)).toEqual([pushPull]);
  });

  it('compression is always applied, even when larger; version 0 encryption pads', () => {
    const ping = { type: 'ping', seqNo: 3, node: 'x' } as const;
    const c = encodeStreamMessage(ping, { ...plainOpts, compress: true });
    expect(c[0]).toBe(9);
    expect(c.length).toBeGreaterThan(encodeStreamMessage(ping, plainOpts).length);
    const v0 = encodeStreamMessage(ping, { ...plainOpts, compress: true, keyring: new Keyring([key]), encryptionVersion: 0 });
    expect(v0[5]).toBe(0);
    expect(messages(feed(v0, { keyring: new Keyring([key]) }).steps)).toEqual([ping]);
  });
});

describe('StreamDecoder', () => {
  const all: StreamMessage[] = [
    pushPull,
    { type: 'push-pull', join: false, nodes: [], userState: new Uint8Array(0) },
    { type: 'user', payload: ascii('hello-reliable') },
    { type: 'user', payload: new Uint8Array(0) },
    { type: 'ping', seqNo: 1, node: 'C', sourceAddr: LOCALHOST, sourceNode: 'A', sourcePort: 7901 },
    { type: 'ack', seqNo: 1, payload: null },
    { type: 'error', error: 'remote failure' },
  ];

  it.each(all.map((m) => [m.type, m] as const))('%s: byte-at-a-time, every wrapping, answers before EOF', (_t, msg) => {
    const keyring = new Keyring([key]);
    const label = ascii('lbl');
    for (const compress of [false, true]) {
      for (const enc of [false, true]) {
        const bytes = encodeStreamMessage(msg, { compress, labelPreamble: true, label, ...(enc ? { keyring } : {}) });
        const { steps, decoder } = feed(bytes, { label, expectLabelPreamble: true, ...(enc ? { keyring } : {}) }, 1);
        expect(messages(steps)).toEqual([msg]);
        expect(steps.filter((s) => s.kind === 'error')).toEqual([]);
        expect(decoder.end()).toBeUndefined();
      }
    }
  });

  it('several messages on one connection, and end() mid-message is truncated', () => {
    const one = encodeStreamMessage({ type: 'ping', seqNo: 1, node: 'a' }, plainOpts);
    const two = encodeStreamMessage(pushPull, plainOpts);
    const joined = Uint8Array.from([...one, ...two, ...one.subarray(0, 3)]);
    const { steps, decoder } = feed(joined);
    expect(messages(steps).map((m) => m.type)).toEqual(['ping', 'push-pull']);
    expect(decoder.end()).toMatchObject({ code: 'truncated' });
    expect(new StreamDecoder({ expectLabelPreamble: true, limits: LIMITS }).end()).toBeUndefined();
  });

  it('encryption rules: plaintext rejected with a keyring unless verifyIncoming is false; ciphertext needs a keyring', () => {
    const keyring = new Keyring([key]);
    const plain = encodeStreamMessage(pushPull, plainOpts);
    expect(firstError(feed(plain, { keyring }).steps)).toBe('unencrypted');
    expect(messages(feed(plain, { keyring, verifyIncoming: false }).steps)).toEqual([pushPull]);
    const enc = encodeStreamMessage(pushPull, { ...plainOpts, keyring });
    expect(firstError(feed(enc).steps)).toBe('decrypt-failed');
    expect(firstError(feed(enc, { keyring: new Keyring([ascii('fedcba9876543210')]) }).steps)).toBe('decrypt-failed');
    const shorter = enc.slice();
    shorter[4] = 0x80; // the length is authenticated
    expect(firstError(feed(shorter, { keyring }).steps)).toBe('decrypt-failed');
    const longer = enc.slice();
    longer[3] = 1; // now announces more bytes than arrive: waits, then EOF is truncated
    const { steps, decoder } = feed(longer, { keyring });
    expect(steps.at(-1)).toEqual({ kind: 'need-more' });
    expect(decoder.end()).toMatchObject({ code: 'truncated' });
  });

  it('label preamble: checked like packets; replies have none', () => {
    const label = ascii('a');
    const withPre = encodeStreamMessage(pushPull, { ...plainOpts, label, labelPreamble: true });
    expect(firstError(feed(withPre, { expectLabelPreamble: true, label: ascii('b') }).steps)).toBe('label-mismatch');
    expect(firstError(feed(withPre, { expectLabelPreamble: true }).steps)).toBe('label-mismatch');
    expect(firstError(feed(encodeStreamMessage(pushPull, plainOpts), { expectLabelPreamble: true, label }).steps)).toBe('label-mismatch');
    expect(firstError(feed(withPre, { expectLabelPreamble: false, label }).steps)).toBe('unknown-type');
    expect(firstError(feed(b('f4 00 06'), { expectLabelPreamble: true }).steps)).toBe('malformed');
  });

  it('caps are enforced from the headers, before the bytes arrive', () => {
    const cases: [string, Uint8Array][] = [
      ['encrypted length', b('0a 7fffffff 01')],
      ['Nodes = 2^32-1', b(`06 83 a4"Join" c2 a5"Nodes" ce ffffffff ac"UserStateLen" 00`)],
      ['UserStateLen', b(`06 83 a4"Join" c2 a5"Nodes" 00 ac"UserStateLen" ce 7fffffff`)],
      ['UserMsgLen', b(`08 81 aa"UserMsgLen" ce 7fffffff`)],
      ['a huge node map', b(`06 83 a4"Join" c2 a5"Nodes" 01 ac"UserStateLen" 00 df 7fffffff`)],
      ['a huge string in a ping', b(`00 81 a4"Node" db 7fffffff`)],
    ];
    for (const [name, bytes] of cases) {
      const keyring = bytes[0] === 0x0a ? { keyring: new Keyring([key]) } : {};
      expect(firstError(feed(bytes, keyring).steps), name).toBe('too-large');
    }
    const small = { ...LIMITS, maxPushPullNodes: 1 };
    const two = encodeStreamMessage({ ...pushPull, nodes: [pushPull.nodes[0]!, pushPull.nodes[0]!] }, plainOpts);
    expect(firstError(feed(two, { limits: small }).steps)).toBe('too-large');
  });

  it('errors are sticky and unknown types are rejected', () => {
    const { steps, decoder } = feed(b('07 00'));
    expect(firstError(steps)).toBe('unknown-type');
    decoder.push(encodeStreamMessage(pushPull, plainOpts));
    expect(decoder.next()).toMatchObject({ kind: 'error', error: { code: 'unknown-type' } });
    expect(decoder.end()).toMatchObject({ code: 'unknown-type' });
    // compress inside compress, encrypt inside encrypt: not allowed (memberlist readStream)
    const inner = encodeStreamMessage(pushPull, { ...plainOpts, compress: true });
    expect(firstError(feed(encodeStreamMessage({ type: 'user', payload: inner }, { ...plainOpts, compress: true })).steps)).toBeUndefined();
  });

  it('rejects bad node entries and truncated decrypted frames', () => {
    const badState = b(`06 83 a4"Join" c2 a5"Nodes" 01 ac"UserStateLen" 00 81 a5"State" 04`);
    expect(firstError(feed(badState).steps)).toBe('bad-field');
    const badVsn = b(`06 83 a4"Join" c2 a5"Nodes" 01 ac"UserStateLen" 00 81 a3"Vsn" a2 0102`);
    expect(firstError(feed(badVsn).steps)).toBe('bad-field');
    // A valid encrypted frame around a truncated plaintext: nothing more can arrive, so truncated.
    const cut = encodeStreamMessage(pushPull, plainOpts).subarray(0, 50);
    const len = 29 + cut.length;
    const head = Uint8Array.of(0x0a, 0, 0, len >> 8, len & 0xff);
    const frame = Uint8Array.from([...head, ...encryptPayload(1, key, cut, head)]);
    expect(firstError(feed(frame, { keyring: new Keyring([key]) }).steps)).toBe('truncated');
    // The same inside compression.
    const compressed = encodeCompressed(cut);
    expect(firstError(feed(compressed).steps)).toBe('truncated');
  });
});
