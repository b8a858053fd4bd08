/**
 * The host hooks as the driver calls them (src/runtime/hooks.ts): a hook that throws or returns
 * something unusable is counted, logged at warn, and replaced by empty state or no payload; the
 * options refuse hooks of the wrong shape.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { CoreEvent } from '../../src/core/effects.js';
import { InvalidOptionsError } from '../../src/errors.js';
import type { MemberSnapshot } from '../../src/events.js';
import type { PingHook, ProbeResult } from '../../src/hooks/ping.js';
import type { UserStateHook } from '../../src/hooks/user-state.js';
import { resolveOptions } from '../../src/options.js';
import { HostHooks } from '../../src/runtime/hooks.js';
import type * as api from '../../src/index.js';
import type { PushPullMessage } from '../../src/wire/messages.js';

interface Recorder {
  readonly warnings: { fields: Record<string, unknown>; msg: string }[];
  readonly counts: { name: string; by: number | undefined; labels: unknown }[];
}

function hooks(userState: UserStateHook | undefined, ping: PingHook | undefined, limits = { maxUserStateBytes: 16, maxAckPayloadBytes: 8 }): { h: HostHooks; rec: Recorder } {
  const rec: Recorder = { warnings: [], counts: [] };
  const logger = { debug() {}, info() {}, error() {}, warn: (fields: Record<string, unknown>, msg: string) => rec.warnings.push({ fields, msg }) };
  const metrics = { gauge() {}, observe() {}, increment: (name: string, by?: number, labels?: unknown) => rec.counts.push({ name, by, labels }) };
  return { h: new HostHooks({ userState, ping, logger, metrics, ...limits }), rec };
}

const failures = (rec: Recorder): unknown[] => rec.counts.filter((c) => c.name === 'hearsay_hook_failures_total').map((c) => c.labels);
const member = { name: 'b' } as MemberSnapshot;

describe('user-state hook', () => {
  it('fills a push/pull with local(join) and hands merge-user-state events to merge(state, join)', () => {
    const calls: unknown[] = [];
    const { h, rec } = hooks({ local: (join) => (calls.push(['local', join]), Uint8Array.of(join ? 1 : 0)), merge: (s, join) => calls.push(['merge', [...s], join]) }, undefined);
    const request: PushPullMessage = { type: 'push-pull', join: true, nodes: [], userState: new Uint8Array(0) };
    expect(h.withLocalState(request)).toEqual({ ...request, userState: Uint8Array.of(1) });
    expect(h.localState(false)).toEqual(Uint8Array.of(0));
    expect(h.handle({ type: 'merge-user-state', state: Uint8Array.of(9), join: false })).toBe(false);
    expect(calls).toEqual([['local', true], ['local', false], ['merge', [9], false]]);
    expect(h.handle({ type: 'join', member } as CoreEvent)).toBe(false); // host events pass through
    expect(rec.warnings).toEqual([]);
  });

  it.each([
    ['throws', () => { throw new Error('boom'); }, 'userState.local() threw'],
    ['returns a string', () => 'state' as never, 'must return a Uint8Array'],
    ['returns undefined', () => undefined as never, 'must return a Uint8Array'],
    ['returns more than maxStreamBytes', () => new Uint8Array(17), 'more than maxStreamBytes'],
  ])('sends empty state when local() %s, counted and warned', (_what, local, msg) => {
    const { h, rec } = hooks({ local, merge() {} }, undefined);
    expect(h.localState(true)).toEqual(new Uint8Array(0));
    expect(failures(rec)).toEqual([{ hook: 'userState.local' }]);
    expect(rec.warnings).toHaveLength(1);
    expect(rec.warnings[0]!.msg).toContain(msg);
    expect(rec.warnings[0]!.fields).toMatchObject({ hook: 'userState.local', join: true });
  });

  it('survives a merge() that throws, counted and warned', () => {
    const { h, rec } = hooks({ local: () => new Uint8Array(0), merge() { throw new Error('bad state'); } }, undefined);
    expect(h.handle({ type: 'merge-user-state', state: Uint8Array.of(1), join: true })).toBe(false);
    expect(failures(rec)).toEqual([{ hook: 'userState.merge' }]);
    expect(rec.warnings[0]!.fields).toMatchObject({ hook: 'userState.merge', err: new Error('bad state') });
  });

  it('sends what local() returns untouched without a hook: nothing', () => {
    const { h } = hooks(undefined, undefined);
    const request: PushPullMessage = { type: 'push-pull', join: false, nodes: [], userState: new Uint8Array(0) };
    expect(h.withLocalState(request)).toBe(request);
    expect(h.handle({ type: 'merge-user-state', state: Uint8Array.of(1), join: true })).toBe(false); // merged (and dropped), still passed on
  });
});

describe('ping hook', () => {
  it('gives the ack payload, and null (Go’s nil) without ackPayload', () => {
    expect(hooks(undefined, { ackPayload: () => Uint8Array.of(1, 2) }).h.ackPayload()).toEqual(Uint8Array.of(1, 2));
    const bare = hooks(undefined, { onProbe() {} }).h;
    expect(bare.hasAckPayload).toBe(false);
    expect(bare.ackPayload()).toBeNull();
  });

  it.each([
    ['throws', () => { throw new Error('boom'); }, 'threw'],
    ['returns an array of numbers', () => [1, 2] as never, 'must return a Uint8Array'],
    ['returns more than fits one packet', () => new Uint8Array(9), 'more than fits one packet'],
  ])('acks with no payload when ackPayload() %s, counted and warned', (_what, ackPayload, msg) => {
    const { h, rec } = hooks(undefined, { ackPayload });
    expect(h.ackPayload()).toBeNull();
    expect(failures(rec)).toEqual([{ hook: 'ping.ackPayload' }]);
    expect(rec.warnings[0]!.msg).toContain(msg);
  });

  it('hands probe events to onProbe, and survives one that throws', () => {
    const seen: ProbeResult[] = [];
    const { h } = hooks(undefined, { onProbe: (r) => seen.push(r) });
    const event: CoreEvent = { type: 'probe', member, rttMs: 3, payload: Uint8Array.of(5) };
    expect(h.handle(event)).toBe(true);
    expect(seen).toEqual([{ member, rttMs: 3, payload: Uint8Array.of(5) }]);
    const throwing = hooks(undefined, { onProbe() { throw new Error('listener bug'); } });
    expect(throwing.h.handle(event)).toBe(true);
    expect(failures(throwing.rec)).toEqual([{ hook: 'ping.onProbe' }]);
  });
});

describe('public types', () => {
  it('exports the hook types from the package root, as the options take them', () => {
    expectTypeOf<api.HearsayOptions['userState']>().toEqualTypeOf<api.UserStateHook | undefined>();
    expectTypeOf<api.HearsayOptions['ping']>().toEqualTypeOf<api.PingHook | undefined>();
    expectTypeOf<Parameters<NonNullable<api.PingHook['onProbe']>>[0]>().toEqualTypeOf<api.ProbeResult>();
    expectTypeOf<api.ProbeResult>().toEqualTypeOf<{ readonly member: api.MemberSnapshot; readonly rttMs: number; readonly payload: Uint8Array }>();
    expectTypeOf<api.MemberSnapshot['rttMs']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<api.UserStateHook['local']>().toEqualTypeOf<(join: boolean) => Uint8Array>();
    expectTypeOf<api.UserStateHook['merge']>().toEqualTypeOf<(remote: Uint8Array, join: boolean) => void>();
  });
});

describe('options', () => {
  it('accepts well-formed hooks and keeps them', () => {
    const userState: UserStateHook = { local: () => new Uint8Array(0), merge() {} };
    const ping: PingHook = { onProbe() {} };
    const r = resolveOptions({ name: 'a', userState, ping });
    expect(r.userState).toBe(userState);
    expect(r.ping).toBe(ping);
    expect(resolveOptions({ name: 'a' })).toMatchObject({ userState: undefined, ping: undefined });
  });

  it.each([
    ['a userState that is not an object', { userState: () => {} }, 'userState'],
    ['a userState without local', { userState: { merge() {} } }, 'userState.local'],
    ['a userState whose merge is not a function', { userState: { local() {}, merge: 1 } }, 'userState.merge'],
    ['a ping that is not an object', { ping: 'yes' }, 'ping'],
    ['a ping whose onProbe is not a function', { ping: { onProbe: {} } }, 'ping.onProbe'],
    ['a ping whose ackPayload is bytes, not a function', { ping: { ackPayload: new Uint8Array(1) } }, 'ping.ackPayload'],
  ])('refuses %s, naming it', (_what, extra, field) => {
    expect(() => resolveOptions({ name: 'a', ...extra } as never)).toThrow(InvalidOptionsError);
    expect(() => resolveOptions({ name: 'a', ...extra } as never)).toThrow(`invalid option "${field}"`);
  });
});
