import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bytesEqual, bytesToHostPort, bytesToIp, formatHostPort, ipToBytes, parseHostPort } from '../../src/address.js';

describe('addresses', () => {
  it.each([
    ['127.0.0.1:7946', { host: '127.0.0.1', port: 7946 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    ['[fd00::2]:65535', { host: 'fd00::2', port: 65535 }],
  ])('parses %s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
  });

  it.each(['127.0.0.1', '::1:80', 'host:80', '1.2.3.4:65536', '[::1]80', '1.2.3:4', '256.0.0.1:1', ':80'])('rejects %s', (text) => {
    expect(parseHostPort(text)).toBeUndefined();
  });

  it('turns Go\'s 16-byte IPv4-mapped Addr back into a dialable IPv4 (reference §7.3)', () => {
    const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 127, 0, 0, 1);
    expect(bytesToIp(mapped)).toBe('127.0.0.1');
    expect(bytesToHostPort(Uint8Array.of(127, 0, 0, 1), 7946)).toBe('127.0.0.1:7946');
    expect(bytesToHostPort(ipToBytes('fd00::2')!, 7946)).toBe('[fd00::2]:7946');
    expect(bytesToIp(Uint8Array.of(1, 2, 3))).toBeUndefined();
  });

  it('round-trips every IPv4 and IPv6 address through bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const bytes = ipToBytes(ip);
        expect(bytes).toBeDefined();
        const back = ipToBytes(bytesToIp(bytes!)!)!;
        // IPv4-mapped v6 comes back as plain v4, the same host.
        if (bytes!.length === 16 && back.length === 4) expect([...bytes!.subarray(12)]).toEqual([...back]);
        else expect(bytesEqual(back, bytes)).toBe(true);
      }),
    );
  });

  it('brackets IPv6 when formatting', () => {
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
    expect(formatHostPort('10.0.0.1', 80)).toBe('10.0.0.1:80');
  });

  it('compares bytes as Go does, treating null and empty alike', () => {
    expect(bytesEqual(null, new Uint8Array(0))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1), Uint8Array.of(2))).toBe(false);
  });
});
