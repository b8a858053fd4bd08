/** Peer capabilities by protocol version: the one table every sender consults (reference §4). */
import { describe, expect, it } from 'vitest';
import { protocolMax, protocolMin, protocolRangeValid, supportsCrc, supportsNack, supportsTcpPing } from '../../src/wire/capabilities.js';

const vsn = (pmin: number, pmax: number): Uint8Array => Uint8Array.of(pmin, pmax, pmin, 0, 0, 0);

describe('peer capabilities', () => {
  it.each([
    // pmax, TCP ping (≥ 3), nack (≥ 4), CRC (≥ 5)
    [2, false, false, false],
    [3, true, false, false],
    [4, true, true, false],
    [5, true, true, true],
  ] as const)('protocol max %i: tcp ping %s, nack %s, crc %s', (pmax, tcp, nack, crc) => {
    const v = vsn(1, pmax);
    expect([supportsTcpPing(v), supportsNack(v), supportsCrc(v)]).toEqual([tcp, nack, crc]);
  });

  it('keys on the highest version a peer speaks, not its lowest', () => {
    expect(supportsCrc(vsn(2, 5))).toBe(true);
    expect(supportsNack(vsn(4, 3))).toBe(false);
  });

  it('reads a missing Vsn as version 0: no capability at all', () => {
    const none = new Uint8Array(0);
    expect([protocolMin(none), protocolMax(none)]).toEqual([0, 0]);
    expect([supportsTcpPing(none), supportsNack(none), supportsCrc(none)]).toEqual([false, false, false]);
  });

  it('accepts an alive\'s Vsn when absent or when 0 < PMin ≤ PMax (memberlist aliveNode)', () => {
    expect(protocolRangeValid(new Uint8Array(0))).toBe(true);
    expect(protocolRangeValid(Uint8Array.of(1, 2))).toBe(true);
    expect(protocolRangeValid(vsn(1, 5))).toBe(true);
    expect(protocolRangeValid(vsn(0, 5))).toBe(false);
    expect(protocolRangeValid(vsn(2, 0))).toBe(false);
    expect(protocolRangeValid(vsn(4, 3))).toBe(false);
  });
});
