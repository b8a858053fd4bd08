import { describe, expect, it } from 'vitest';
import { lan, local, resolveOptions, wan } from '../../src/options.js';
import { ErrorCode, InvalidOptionsError } from '../../src/errors.js';

describe('presets', () => {
  it('carry memberlist DefaultLANConfig values', () => {
    expect(lan()).toMatchObject({
      probeIntervalMs: 1000, probeTimeoutMs: 500, indirectChecks: 3, retransmitMult: 4, suspicionMult: 4,
      suspicionMaxTimeoutMult: 6, pushPullIntervalMs: 30_000, gossipIntervalMs: 200, gossipNodes: 3,
      gossipToTheDeadMs: 30_000, awarenessMaxMultiplier: 8, tcpTimeoutMs: 10_000, packetBudgetBytes: 1400,
    });
  });
  it('carry memberlist DefaultWANConfig values', () => {
    expect(wan()).toMatchObject({ probeIntervalMs: 5000, probeTimeoutMs: 3000, suspicionMult: 6, pushPullIntervalMs: 60_000, gossipIntervalMs: 500, gossipNodes: 4, gossipToTheDeadMs: 60_000, tcpTimeoutMs: 30_000 });
  });
  it('carry memberlist DefaultLocalConfig values', () => {
    expect(local()).toMatchObject({ probeIntervalMs: 1000, probeTimeoutMs: 200, indirectChecks: 1, retransmitMult: 2, suspicionMult: 3, pushPullIntervalMs: 15_000, gossipIntervalMs: 100, gossipToTheDeadMs: 15_000, tcpTimeoutMs: 1000 });
  });
});

describe('resolveOptions', () => {
  it('fills defaults from the chosen preset and lets fields override it', () => {
    const r = resolveOptions({ name: 'a', preset: 'wan', gossipNodes: 7 });
    expect(r.probeIntervalMs).toBe(5000);
    expect(r.gossipNodes).toBe(7);
    expect(r.bind).toBe('0.0.0.0:7946');
    expect(r.compression).toBe(true);
    expect(r.delegateProtocol).toEqual({ min: 0, max: 0, version: 0 });
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('ignores fields explicitly set to undefined', () => {
    expect(resolveOptions({ name: 'a', probeIntervalMs: undefined } as never).probeIntervalMs).toBe(1000);
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['empty name', { name: '' }, 'name'],
    ['name over 255 bytes', { name: 'é'.repeat(200) }, 'name'],
    ['unknown preset', { name: 'a', preset: 'moon' }, 'preset'],
    ['bind without port', { name: 'a', bind: '127.0.0.1' }, 'bind'],
    ['bind with a DNS name', { name: 'a', bind: 'localhost:1' }, 'bind'],
    ['port out of range', { name: 'a', advertise: '127.0.0.1:70000' }, 'advertise'],
    ['probe timeout not below interval', { name: 'a', probeTimeoutMs: 1000 }, 'probeTimeoutMs'],
    ['fractional interval', { name: 'a', probeIntervalMs: 1.5 }, 'probeIntervalMs'],
    ['negative push/pull interval', { name: 'a', pushPullIntervalMs: -1 }, 'pushPullIntervalMs'],
    ['tiny packet budget', { name: 'a', packetBudgetBytes: 10 }, 'packetBudgetBytes'],
    ['protocol version 1', { name: 'a', protocolVersion: 1 }, 'protocolVersion'],
    ['protocol version 6', { name: 'a', protocolVersion: 6 }, 'protocolVersion'],
    ['delegate version outside its range', { name: 'a', delegateProtocol: { min: 2, max: 5, version: 6 } }, 'delegateProtocol'],
    ['delegate version over a byte', { name: 'a', delegateProtocol: { min: 2, max: 5, version: 300 } }, 'delegateProtocol.version'],
    ['delegate min above max', { name: 'a', delegateProtocol: { min: 3, max: 2, version: 2 } }, 'delegateProtocol'],
    ['15-byte key', { name: 'a', secretKeys: [new Uint8Array(15)] }, 'secretKeys[0]'],
    ['empty label', { name: 'a', label: '' }, 'label'],
    ['compound parts over 255', { name: 'a', maxCompoundParts: 256 }, 'maxCompoundParts'],
    ['non-boolean compression', { name: 'a', compression: 'yes' }, 'compression'],
    ['non-boolean encryptOutgoing', { name: 'a', encryptOutgoing: 1 }, 'encryptOutgoing'],
    ['plaintext out but plaintext refused', { name: 'a', secretKeys: [new Uint8Array(16)], encryptOutgoing: false }, 'encryptOutgoing'],
    ['an unknown key', { name: 'a', probeInterval: 5 }, 'probeInterval'],
    ['a miscased key', { name: 'a', probeIntervalMS: 5 }, 'probeIntervalMS'],
    ["start()'s signal", { name: 'a', signal: new AbortController().signal }, 'signal'],
  ];
  it.each(bad)('rejects %s naming the field', (_what, options, field) => {
    let caught: unknown;
    try {
      resolveOptions(options as never);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    expect((caught as InvalidOptionsError).code).toBe(ErrorCode.invalidOptions);
    expect((caught as InvalidOptionsError).field).toBe(field);
    expect((caught as Error).message).toContain(field);
  });

  it.each([
    ['probeInterval', 'probeIntervalMs'],
    ['probeIntervalMS', 'probeIntervalMs'],
    ['secretKey', 'secretKeys'],
    ['allowPlaintext', 'allowUnencrypted'],
    ['gossip_nodes', 'gossipNodes'],
  ])('names the closest known option for the unknown key %s', (key, closest) => {
    expect(() => resolveOptions({ name: 'a', [key]: 1 } as never)).toThrow(`did you mean "${closest}"?`);
  });

  it('encrypts outgoing by default, and allows plaintext out only while plaintext is accepted', () => {
    const keys = [new Uint8Array(16)];
    expect(resolveOptions({ name: 'a' }).encryptOutgoing).toBe(true);
    expect(resolveOptions({ name: 'a', secretKeys: keys }).encryptOutgoing).toBe(true);
    expect(resolveOptions({ name: 'a', secretKeys: keys, encryptOutgoing: false, allowUnencrypted: true }).encryptOutgoing).toBe(false);
  });

  it('accepts 16, 24 and 32-byte keys and an IPv6 bind', () => {
    const r = resolveOptions({ name: 'a', bind: '[::1]:0', secretKeys: [new Uint8Array(16), new Uint8Array(24), new Uint8Array(32)] });
    expect(r.secretKeys).toHaveLength(3);
  });
});
