/**
 * leave() with serf's delegate range on real sockets: the edges of its two phases (serf's leave
 * intent, then memberlist's leave) — a deadline shorter than the intent's broadcast, and a
 * `join()` while the intent is still going out.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readMemberClock } from '../../src/serf/messages.js';
import { type TestNode, count, startNode, waitUntil } from './helpers.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  await Promise.all(nodes.splice(0).map((t) => t.node.shutdown()));
});

async function pair(prefix: string): Promise<[TestNode, TestNode]> {
  const a = await startNode(`${prefix}-a`, { delegateProtocol: 'serf' });
  const b = await startNode(`${prefix}-b`, { delegateProtocol: 'serf' });
  nodes.push(a, b);
  await b.node.join([a.node.localMember.address]);
  await waitUntil(() => a.node.size === 2 && b.node.size === 2, 10_000, 'the pair to converge');
  return [a, b];
}

/** Serf intents (kind, LTime) a node received from `from`, in order. */
function intents(t: TestNode, from: string): { kind: string; ltime: number }[] {
  return t.events.flatMap((e) => {
    const m = e.payload as { from?: string; payload?: Uint8Array };
    const r = e.event === 'message' && m.from === from && m.payload ? readMemberClock(m.payload) : undefined;
    return r ? [{ kind: r.kind, ltime: r.ltime }] : [];
  });
}

describe("leave() with delegateProtocol 'serf'", () => {
  it('still leaves, and resolves, when the deadline passes before the intent has gone out', async () => {
    const [a, b] = await pair('deadline');
    await b.node.leave({ timeoutMs: 1 }); // resolves, does not reject, on timeout
    expect(b.node.localMember.state).toBe('left');
    await waitUntil(() => count(a, 'leave', 'deadline-b') === 1, 10_000, 'the leave at the peer');
    // The intent was queued first and is still sent.
    await waitUntil(() => intents(a, 'deadline-b').length > 0, 10_000, 'the intent at the peer');
    expect(intents(a, 'deadline-b')[0]).toEqual({ kind: 'leave', ltime: 1 });
  });

  it('join() while the intent goes out: no leave follows, and peers get a join intent above the leave intent', async () => {
    const [a, b] = await pair('comeback');
    const leaving = b.node.leave();
    await b.node.join([a.node.localMember.address]);
    await leaving;
    expect(b.node.status).toBe('running');
    expect(b.node.localMember.state).toBe('alive');
    await waitUntil(() => intents(a, 'comeback-b').some((i) => i.kind === 'join'), 10_000, 'the join intent at the peer');
    const seen = intents(a, 'comeback-b');
    const leave = seen.find((i) => i.kind === 'leave')!;
    expect(seen.find((i) => i.kind === 'join')!.ltime).toBeGreaterThan(leave.ltime);
    expect(count(a, 'leave', 'comeback-b')).toBe(0);
    expect(a.node.members().find((m) => m.name === 'comeback-b')?.state).toBe('alive');
  });
});
