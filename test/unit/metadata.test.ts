import { decode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import { encodeMetadata } from '../../src/metadata.js';
import { ErrorCode, MetadataTooLargeError } from '../../src/errors.js';

describe('encodeMetadata', () => {
  it('encodes no metadata as empty serf tags (FF 80), which serf reads as no tags', () => {
    expect([...encodeMetadata(undefined)]).toEqual([0xff, 0x80]);
  });

  it('encodes tags serf-style with sorted keys, so equal tags give equal bytes', () => {
    const a = encodeMetadata({ zone: 'a', role: 'web' });
    const b = encodeMetadata({ role: 'web', zone: 'a' });
    expect(a).toEqual(b);
    expect(a[0]).toBe(0xff);
    expect(decode(a.subarray(1))).toEqual({ role: 'web', zone: 'a' });
    // Captured from serf 0.9.4 (reference §9): ff 81 a4"role" a3"web".
    expect(Buffer.from(encodeMetadata({ role: 'web' })).toString('hex')).toBe('ff81a4726f6c65a3776562');
  });

  it('passes raw bytes through untouched', () => {
    const raw = Uint8Array.of(1, 2, 3);
    expect(encodeMetadata(raw)).toBe(raw);
  });

  it('accepts exactly 512 bytes and rejects 513 with a typed error', () => {
    expect(encodeMetadata(new Uint8Array(512)).length).toBe(512);
    expect(() => encodeMetadata(new Uint8Array(513))).toThrow(MetadataTooLargeError);
    try {
      encodeMetadata({ big: 'x'.repeat(600) });
    } catch (error) {
      expect((error as MetadataTooLargeError).code).toBe(ErrorCode.metadataTooLarge);
      expect((error as MetadataTooLargeError).limit).toBe(512);
    }
  });

  it('rejects non-string tag values naming the tag', () => {
    expect(() => encodeMetadata({ n: 1 } as never)).toThrow(/metadata\.n/);
  });
});
