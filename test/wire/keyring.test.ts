import { createDecipheriv } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring, decryptPayload, encryptPayload, encryptionOverhead } from '../../src/wire/keyring.js';
import { ascii, hex } from './helpers.js';

const k16 = ascii('0123456789abcdef');
const k24 = ascii('0123456789abcdef01234567');
const k32 = ascii('0123456789abcdef0123456789abcdef');

describe('Keyring', () => {
  it('validates key sizes and needs a key', () => {
    expect(() => new Keyring([])).toThrow(RangeError);
    expect(() => new Keyring([new Uint8Array(15)])).toThrow(RangeError);
    expect(() => new Keyring([k16, new Uint8Array(33)])).toThrow(RangeError);
    expect(new Keyring([k16, k24, k32]).keys.length).toBe(3);
  });

  it('copies keys, drops duplicates, and keeps the primary first', () => {
    const mine = k16.slice();
    const ring = new Keyring([mine, k24, k16.slice()]);
    mine.fill(0);
    expect(ring.keys.map(hex)).toEqual([hex(k16), hex(k24)]);
    expect(hex(ring.primaryKey)).toBe(hex(k16));
    expect(Object.isFrozen(ring.keys)).toBe(true);
  });

  it('addKey, useKey and removeKey follow memberlist', () => {
    const ring = new Keyring([k16]);
    ring.addKey(k24);
    ring.addKey(k24);
    expect(ring.keys.length).toBe(2);
    expect(() => ring.addKey(new Uint8Array(3))).toThrow(RangeError);
    ring.useKey(k24);
    expect(hex(ring.primaryKey)).toBe(hex(k24));
    expect(ring.keys.map(hex)).toEqual([hex(k24), hex(k16)]);
    expect(() => ring.useKey(k32)).toThrow(RangeError);
    expect(() => ring.removeKey(k24)).toThrow(RangeError);
    ring.removeKey(k16);
    ring.removeKey(k32); // not installed: no-op
    expect(ring.keys.map(hex)).toEqual([hex(k24)]);
  });
});

describe('encryptPayload / decryptPayload', () => {
  it.each([
    [0, k16], [0, k24], [0, k32], [1, k16], [1, k24], [1, k32],
  ] as const)('version %i with a %#-byte key round-trips and has the right size', (version, key) => {
    for (const n of [0, 1, 15, 16, 17, 1000]) {
      const plain = Uint8Array.from({ length: n }, (_, i) => i);
      const aad = ascii('label');
      const sealed = encryptPayload(version, key, plain, aad);
      expect(sealed[0]).toBe(version);
      expect(sealed.length).toBe(version === 1 ? n + 29 : n + 29 + (16 - (n % 16)));
      expect(sealed.length).toBeLessThanOrEqual(n + encryptionOverhead(version));
      const opened = decryptPayload([key], sealed, aad);
      expect(opened.ok && hex(opened.value)).toBe(hex(plain));
    }
  });

  it('is standard AES-GCM: vsn ‖ nonce ‖ ct ‖ tag, AAD authenticated', () => {
    const plain = ascii('hello');
    const sealed = encryptPayload(1, k16, plain, ascii('aad'));
    const d = createDecipheriv('aes-128-gcm', k16, sealed.subarray(1, 13));
    d.setAAD(ascii('aad'));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    expect(Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]).toString()).toBe('hello');
  });

  it('version 0 pads with PKCS#7 (1–16 bytes) before sealing', () => {
    const sealed = encryptPayload(0, k16, ascii('0123456789abcdef'), new Uint8Array(0));
    const d = createDecipheriv('aes-128-gcm', k16, sealed.subarray(1, 13));
    d.setAuthTag(sealed.subarray(sealed.length - 16));
    const padded = Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]);
    expect(padded.length).toBe(32);
    expect([...padded.subarray(16)]).toEqual(new Array(16).fill(16));
  });

  it('tries every key, primary first', () => {
    const sealed = encryptPayload(1, k32, ascii('x'), new Uint8Array(0));
    expect(decryptPayload([k16, k24, k32], sealed, new Uint8Array(0)).ok).toBe(true);
    expect(decryptPayload([k16, k24], sealed, new Uint8Array(0))).toMatchObject({ ok: false, error: { code: 'decrypt-failed' } });
  });

  it('rejects a wrong AAD, a flipped bit, version > 1, short and empty input', () => {
    const sealed = encryptPayload(1, k16, ascii('x'), ascii('a'));
    const fail = (m: Uint8Array, aad = ascii('a')): string => {
      const r = decryptPayload([k16], m, aad);
      return r.ok ? 'ok' : r.error.code;
    };
    expect(fail(sealed, ascii('b'))).toBe('decrypt-failed');
    for (let i = 1; i < sealed.length; i++) {
      const bad = sealed.slice();
      bad[i]! ^= 0x10;
      expect(fail(bad)).toBe('decrypt-failed');
    }
    const v2 = sealed.slice();
    v2[0] = 2;
    expect(fail(v2)).toBe('decrypt-failed');
    expect(fail(sealed.subarray(0, 28))).toBe('decrypt-failed');
    expect(fail(new Uint8Array(0))).toBe('decrypt-failed');
    const v0 = encryptPayload(0, k16, ascii('x'), ascii('a'));
    expect(fail(v0.subarray(0, 44))).toBe('decrypt-failed');
  });

  it('rejects bad version-0 padding that authenticates (Go would panic)', () => {
    // Seal 16 bytes ending in 0x00 as version 1, then relabel it version 0: the tag does not cover
    // the version byte, so it authenticates and the padding check must catch it.
    const sealed = encryptPayload(1, k16, new Uint8Array(32), new Uint8Array(0));
    sealed[0] = 0;
    expect(decryptPayload([k16], sealed, new Uint8Array(0))).toMatchObject({ ok: false, error: { code: 'decrypt-failed' } });
  });
});
