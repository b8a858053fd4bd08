import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../../src/index.js';
import type { HearsayEvents, HearsayOptions, MemberSnapshot } from '../../src/index.js';

describe('public API surface', () => {
  it('exports exactly the curated names (grow it on purpose)', () => {
    expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
      [
        "AbortError",
        "ClusterState",
        "DEFAULT_LEAVE_TIMEOUT_MS",
        "DEFAULT_WIRE_LIMITS",
        "ErrorCode",
        "Hearsay",
        "HearsayError",
        "InvalidArgumentError",
        "InvalidOptionsError",
        "JoinError",
        "Keyring",
        "MAX_METADATA_BYTES",
        "METRIC",
        "MetadataTooLargeError",
        "PayloadTooLargeError",
        "RemoteError",
        "STATE_DEFAULTS",
        "StateError",
        "TimeoutError",
        "TransportError",
        "UdpTransport",
        "WATCH_BUFFER",
        "encodeMetadata",
        "lan",
        "local",
        "noopLogger",
        "noopMetrics",
        "resolveOptions",
        "wan",
      ]
    `);
  });

  it('types event payloads and options', () => {
    expectTypeOf<Parameters<HearsayEvents['update']>[0]>().toEqualTypeOf<{ readonly member: MemberSnapshot; readonly previous: MemberSnapshot }>();
    expectTypeOf<Parameters<HearsayEvents['fail']>[0]['member']['state']>().toEqualTypeOf<'alive' | 'suspect' | 'dead' | 'left'>();
    expectTypeOf<HearsayOptions['name']>().toEqualTypeOf<string>();
    expectTypeOf<api.Hearsay['members']>().returns.toEqualTypeOf<readonly MemberSnapshot[]>();
    expectTypeOf<Parameters<api.Hearsay['members']>[0]>().toEqualTypeOf<api.MembersFilter | undefined>();
    expectTypeOf<Parameters<HearsayEvents['message']>[0]>().toEqualTypeOf<api.MessageEvent>();
    expectTypeOf<api.MessageEvent['from']>().toEqualTypeOf<string | undefined>();
    expectTypeOf<HearsayOptions['encryptOutgoing']>().toEqualTypeOf<boolean | undefined>();
    expectTypeOf<Parameters<HearsayEvents['state']>[0]>().toEqualTypeOf<api.StateEvent>();
    expectTypeOf<api.StateEvent['value']>().toEqualTypeOf<string | Uint8Array | undefined>();
    expectTypeOf<api.Hearsay['state']>().toEqualTypeOf<api.ClusterState>();
    expectTypeOf<Parameters<HearsayEvents['event']>[0]>().toEqualTypeOf<api.PublishedEvent>();
    expectTypeOf<api.Hearsay['publish']>().parameters.toEqualTypeOf<[string, Uint8Array]>();
  });

  it('gives every error a stable code and a name', () => {
    const errors = [
      new api.InvalidOptionsError('x', 'rule'),
      new api.InvalidArgumentError('send', 'payload', 'rule'),
      new api.StateError('s'),
      new api.JoinError([]),
      new api.TimeoutError('t'),
      new api.AbortError(),
      new api.MetadataTooLargeError(600, 512),
      new api.PayloadTooLargeError('broadcast payload', 2000, 1395, 'hint'),
      new api.TransportError('t'),
      new api.RemoteError('r'),
    ];
    for (const e of errors) {
      expect(e).toBeInstanceOf(api.HearsayError);
      expect(Object.values(api.ErrorCode)).toContain(e.code);
      expect(e.name).toBe(e.constructor.name);
    }
  });
});
