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
        "JoinRefusedError",
        "Keyring",
        "MAX_METADATA_BYTES",
        "METRIC",
        "MetadataTooLargeError",
        "NameConflictError",
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
    expectTypeOf<Parameters<HearsayEvents['suspect']>[0]>().toEqualTypeOf<api.SuspectEvent>();
    expectTypeOf<Parameters<HearsayEvents['suspicion']>[0]>().toEqualTypeOf<api.SuspicionEvent>();
    expectTypeOf<Parameters<HearsayEvents['conflict']>[0]>().toEqualTypeOf<api.ConflictEvent>();
    expectTypeOf<HearsayOptions['admission']>().toEqualTypeOf<api.AdmissionHook | undefined>();
    expectTypeOf<ReturnType<api.AdmissionHook['admit']>>().toEqualTypeOf<boolean | string>();
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
      new api.NameConflictError('n', '10.0.0.1:7946', '10.0.0.2:7946'),
      new api.JoinRefusedError('seed', 'member "n": no', '10.0.0.2:7946'),
    ];
    for (const e of errors) {
      expect(e).toBeInstanceOf(api.HearsayError);
      expect(Object.values(api.ErrorCode)).toContain(e.code);
      expect(e.name).toBe(e.constructor.name);
    }
  });

  it('makes a name conflict the cause of the JoinError it is part of, before earlier failures', () => {
    const conflict = new api.NameConflictError('n', '10.0.0.1:7946', 's2');
    const join = new api.JoinError([
      { seed: 's1', error: new api.TimeoutError('t') },
      { seed: 's2', error: conflict },
    ]);
    expect(join.cause).toBe(conflict);
    expect(new api.JoinError([{ seed: 's1', error: new api.TimeoutError('t') }]).cause).toBeInstanceOf(api.TimeoutError);
  });
});
