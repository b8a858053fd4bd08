/**
 * The `userState` and `ping` hooks against real Go memberlist v0.2.2 delegates (peer/hooks.go)
 * and a serf 0.9 agent, on loopback.
 *
 * - User state: a Go `Delegate.MergeRemoteState` receives what hearsay's `userState.local`
 *   returns and hearsay's `userState.merge` receives what Go's `LocalState` returns, on a join in
 *   each direction (join = true) and on periodic push/pulls (join = false), with the join flag
 *   memberlist passes.
 * - Ack payloads: a Go `PingDelegate.NotifyPingComplete` sees hearsay's `ping.ackPayload()` bytes,
 *   and Go's nil from a hearsay node without the hook; hearsay's `ping.onProbe` sees Go's
 *   `AckPayload()` bytes.
 * - serf: its ping delegate logs no error about the acks of a hearsay node without the hook (it
 *   ignores an empty payload), while a foreign payload from a hooked node makes it log one, which
 *   shows the log check can see the difference.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ProbeResult, UserStateHook } from '../../src/index.js';
import { STEP_MS, cleanupAll, hex, requireInterop, startGoPeer, startHearsay, waitUntil, type PeerEvent } from './harness.js';
import { startSerfAgent } from './serf.js';

const okGo = await requireInterop({ go: true });
const okSerf = await requireInterop({ go: false, serf: true });

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Merged {
  readonly state: string;
  readonly join: boolean;
}

/** A user-state hook sending `hs:<join>`, recording every merge. */
function recordingState(): { hook: UserStateHook; merged: Merged[]; locals: boolean[] } {
  const merged: Merged[] = [];
  const locals: boolean[] = [];
  const hook: UserStateHook = {
    local: (join) => {
      locals.push(join);
      return utf8(`hs:${join}`);
    },
    merge: (remote, join) => {
      merged.push({ state: text(remote), join });
    },
  };
  return { hook, merged, locals };
}

const mergeOf = (data: Uint8Array, join: boolean) => (e: PeerEvent) => e.event === 'merge-state' && e.join === join && e.data === hex(data);

describe.skipIf(!okGo)('hooks with Go memberlist delegates', () => {
  afterAll(cleanupAll);

  it('user state crosses push/pull both ways: joins in each direction (join = true) and periodic exchanges (join = false)', async () => {
    const go = await startGoPeer({ name: 'go-state', stateHooks: { userState: utf8('go:1') } });
    const rec = recordingState();
    const hs = await startHearsay({ name: 'hs-state', userState: rec.hook, pushPullIntervalMs: 1000 });

    // hearsay joins Go: Go merges hearsay's join state, hearsay merges Go's reply.
    expect((await hs.node.join([go.addr])).contacted).toBe(1);
    expect(rec.merged.find((m) => m.join)).toEqual({ state: 'go:1', join: true });
    await go.waitFor(mergeOf(utf8('hs:true'), true), STEP_MS, "MergeRemoteState of hearsay's join state");
    // Go built its reply with the joiner's flag (LocalState(true)).
    await go.waitFor((e) => e.event === 'local-state' && e.join, STEP_MS, 'LocalState(true)');

    // Periodic push/pull, whichever side starts it: fresh state, join = false, both ways.
    await go.setUserState(utf8('go:2'));
    await waitUntil(() => rec.merged.some((m) => m.state === 'go:2' && !m.join), STEP_MS, () => JSON.stringify(rec.merged));
    await go.waitFor(mergeOf(utf8('hs:false'), false), STEP_MS, "MergeRemoteState of hearsay's periodic state");

    // A Go node joins through hearsay: hearsay answers with local(true), then merges the joiner's.
    const joiner = await startGoPeer({ name: 'go-joiner', stateHooks: { userState: utf8('joiner') } });
    expect(await joiner.join([hs.addr])).toBe(1);
    await joiner.waitFor(mergeOf(utf8('hs:true'), true), STEP_MS, "MergeRemoteState of hearsay's reply");
    await waitUntil(() => rec.merged.some((m) => m.state === 'joiner' && m.join), STEP_MS, () => JSON.stringify(rec.merged));
    // Go read every frame (other warnings, e.g. a slow probe on a loaded machine, are not about this).
    for (const peer of [go, joiner]) expect(peer.logLines().filter((l) => /remote state|push\/pull|decode/i.test(l)), `${peer.name}'s push/pull errors`).toEqual([]);
  }, 60_000);

  it('ack payloads: a Go ping delegate sees hearsay’s when set and none (nil) otherwise; hearsay’s onProbe sees Go’s', async () => {
    const go = await startGoPeer({ name: 'go-ping', pingDelegate: { ackPayload: Uint8Array.of(0xc0, 0xff, 0xee) } });
    const plainSaw: ProbeResult[] = [];
    const plain = await startHearsay({ name: 'hs-plain', ping: { onProbe: (r) => plainSaw.push(r) } });
    const hooked = await startHearsay({ name: 'hs-payload', ping: { ackPayload: () => Uint8Array.of(1, 2, 3) } });
    await plain.node.join([go.addr]);
    await hooked.node.join([go.addr]);

    const fromPlain = await go.waitFor((e) => e.event === 'ping-complete' && e.member === 'hs-plain', STEP_MS, 'a completed ping of hs-plain');
    expect(fromPlain).toMatchObject({ payload: '', nil: true });
    const fromHooked = await go.waitFor((e) => e.event === 'ping-complete' && e.member === 'hs-payload', STEP_MS, 'a completed ping of hs-payload');
    expect(fromHooked).toMatchObject({ payload: '010203', nil: false });

    await waitUntil(() => plainSaw.some((r) => r.member.name === 'go-ping'), STEP_MS, () => `hs-plain saw ${plainSaw.map((r) => r.member.name).join(', ')}`);
    const fromGo = plainSaw.find((r) => r.member.name === 'go-ping')!;
    expect(fromGo.payload).toEqual(Uint8Array.of(0xc0, 0xff, 0xee));
    expect(fromGo.member.rttMs).toBeTypeOf('number');
    expect(go.logLines().filter((l) => /decode|ack/i.test(l)), "Go's errors about acks").toEqual([]);
  }, 60_000);
});

describe.skipIf(!okSerf)('hooks beside a serf agent', () => {
  afterAll(cleanupAll);

  it('serf logs no error about the acks of a hearsay node without the hook, and does about a foreign payload', async () => {
    const agent = await startSerfAgent({ name: 'serf-acks' });
    const serfDelegate = { min: 2, max: 5, version: 4 } as const;
    const plain = await startHearsay({ name: 'hs-serf-plain', delegateProtocol: serfDelegate });
    const foreign = await startHearsay({ name: 'hs-serf-foreign', delegateProtocol: serfDelegate, ping: { ackPayload: () => Uint8Array.of(2) } });
    await plain.node.join([agent.bind]);
    await foreign.node.join([agent.bind]);
    // serf probes its two peers round robin, so three completed probes of the foreign node span a
    // whole round in which it also completed one of the plain node.
    const unsupported = (): string[] => agent.log.filter((l) => l.includes('[ERR] serf: Unsupported ping version: 2'));
    await waitUntil(() => unsupported().length >= 3, 30_000, () => agent.tail());
    const pingErrors = agent.log.filter((l) => /\[ERR\] serf: .*(ping|coordinate)/i.test(l));
    expect(pingErrors.filter((l) => !l.includes('Unsupported ping version: 2')), 'serf errors about acks other than the foreign payload').toEqual([]);
  }, 60_000);
});
