/**
 * The `userState` and `ping` hooks on real sockets (127.0.0.1, port 0): user state crosses joins
 * and periodic push/pulls both ways with memberlist's join flags and order; a misbehaving hook
 * breaks nothing; acks carry the ack payload and probes report their round trip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HearsayOptions, Logger, PingHook, ProbeResult, UserStateHook } from '../../src/index.js';
import { startNode, waitUntil, type TestNode } from './helpers.js';

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

async function node(name: string, extra: Partial<HearsayOptions> = {}): Promise<TestNode> {
  const t = await startNode(name, extra);
  started.push(t);
  return t;
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

type Call = readonly ['local', boolean] | readonly ['merge', string, boolean];

/** A user-state hook that sends `<name>:<join>` and records every call in order. */
function recordingState(name: string): { hook: UserStateHook; calls: Call[] } {
  const calls: Call[] = [];
  const hook: UserStateHook = {
    local: (join) => {
      calls.push(['local', join]);
      return utf8(`${name}:${join}`);
    },
    merge: (remote, join) => {
      calls.push(['merge', text(remote), join]);
    },
  };
  return { hook, calls };
}

function warnings(): { logger: Logger; warned: string[] } {
  const warned: string[] = [];
  return { logger: { debug() {}, info() {}, error() {}, warn: (_f, msg) => warned.push(msg) }, warned };
}

describe('userState hook', () => {
  it('carries state both ways on join (join = true) and on periodic push/pull (join = false), replying before merging', async () => {
    const a = recordingState('a');
    const b = recordingState('b');
    const na = await node('us-a', { userState: a.hook, pushPullIntervalMs: 1000 });
    const nb = await node('us-b', { userState: b.hook, pushPullIntervalMs: 1000 });
    await nb.node.join([na.node.localMember.address]);
    // The joiner merged the seed's reply, which the seed built with the joiner's join flag.
    expect(b.calls.slice(0, 2)).toEqual([['local', true], ['merge', 'a:true', true]]);
    // The seed built its reply before merging the joiner's state (memberlist's order).
    await waitUntil(() => a.calls.some((c) => c[0] === 'merge'), 5000, () => `a's calls: ${JSON.stringify(a.calls)}`);
    expect(a.calls.slice(0, 2)).toEqual([['local', true], ['merge', 'b:true', true]]);
    // Anti-entropy, either side starting it: join = false both ways.
    for (const [calls, peer] of [[a.calls, 'b'], [b.calls, 'a']] as const) {
      await waitUntil(() => calls.some((c) => c[0] === 'merge' && c[1] === `${peer}:false` && c[2] === false), 10_000, () => JSON.stringify(calls));
    }
  });

  it('a hook that throws or returns junk breaks neither the join nor the node: counted, warned, empty state sent', async () => {
    const { logger, warned } = warnings();
    const failures: string[] = [];
    const metrics = { gauge() {}, observe() {}, increment: (name: string, _by?: number, labels?: Record<string, string>) => name === 'hearsay_hook_failures_total' && failures.push(labels!['hook']!) };
    const bad: UserStateHook = {
      local: () => 'not bytes' as never,
      merge: () => {
        throw new Error('merge bug');
      },
    };
    const good = recordingState('good');
    const nBad = await node('bad', { userState: bad, logger, metrics });
    const nGood = await node('good', { userState: good.hook });
    expect((await nGood.node.join([nBad.node.localMember.address])).contacted).toBe(1);
    await waitUntil(() => nBad.node.size === 2 && nGood.node.size === 2, 5000, 'both see both');
    // The bad node sent empty state, so the good one had nothing to merge; the bad one's merge threw.
    expect(good.calls.filter((c) => c[0] === 'merge')).toEqual([]);
    await waitUntil(() => failures.includes('userState.merge'), 5000, () => JSON.stringify(failures));
    expect(failures).toContain('userState.local');
    expect(warned.some((m) => m.includes('userState.local() must return a Uint8Array'))).toBe(true);
    expect(warned.some((m) => m.includes('userState.merge() threw'))).toBe(true);
    expect(nBad.node.status).toBe('running');
  });
});

describe('ping hook', () => {
  it('puts ackPayload() in our acks; the prober’s onProbe sees it with the round trip, and snapshots carry the smoothed RTT', async () => {
    const seenByB: ProbeResult[] = [];
    const seenByA: ProbeResult[] = [];
    const pingA: PingHook = { ackPayload: () => Uint8Array.of(0xaa, 0x01), onProbe: (r) => seenByA.push(r) };
    const na = await node('ping-a', { ping: pingA });
    const nb = await node('ping-b', { ping: { onProbe: (r) => seenByB.push(r) } });
    await nb.node.join([na.node.localMember.address]);
    await waitUntil(() => seenByB.length >= 2 && seenByA.length >= 1, 10_000, () => `b saw ${seenByB.length}, a saw ${seenByA.length}`);
    const fromA = seenByB[0]!;
    expect(fromA.member.name).toBe('ping-a');
    expect(fromA.payload).toEqual(Uint8Array.of(0xaa, 0x01));
    expect(Number.isFinite(fromA.rttMs) && fromA.rttMs >= 0).toBe(true);
    // b gave no ackPayload: its acks carry none.
    expect(seenByA[0]).toMatchObject({ member: { name: 'ping-b' }, payload: new Uint8Array(0) });
    // Every reported member snapshot already holds the smoothed RTT, and so do later snapshots.
    expect(seenByB.every((r) => typeof r.member.rttMs === 'number')).toBe(true);
    expect(nb.node.members().find((m) => m.name === 'ping-a')?.rttMs).toBe(seenByB.at(-1)!.member.rttMs);
    expect(nb.node.localMember.rttMs).toBeUndefined();
  });

  it('keeps the smoothed RTT on snapshots without any hook', async () => {
    const na = await node('rtt-a');
    const nb = await node('rtt-b');
    await nb.node.join([na.node.localMember.address]);
    await waitUntil(() => typeof nb.node.members().find((m) => m.name === 'rtt-a')?.rttMs === 'number', 10_000, 'b measured a');
  });
});
