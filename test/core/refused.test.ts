/**
 * A refused TCP fallback shortens the suspicion (docs/architecture.md, "A refused fallback
 * shortens the suspicion"): core steps with the refusal handed in as the runtime reports it.
 */
import { describe, expect, it } from 'vitest';
import { refusedSuspicionMs, Suspicion } from '../../src/core/suspicion.js';
import { TimeoutError, TransportError } from '../../src/errors.js';
import type { PacketMessage, PingMessage } from '../../src/wire/messages.js';
import { TestNode, addr, alive, nodeWithPeers, suspect } from './helpers.js';

const REFUSED = new TransportError('dial 10.0.0.2:7946: connection refused', { refused: true });

/** Fires A's probe tick until it pings `target`, answering other probes. */
function probeUntil(a: TestNode, target: string, now: number): PingMessage {
  for (let i = 0; i < 10; i++) {
    a.fire('probe-tick', now);
    const ping = a.sent().flatMap((s) => s.messages).find((m): m is PingMessage => m.type === 'ping');
    if (ping?.node === target) return ping;
    if (ping) a.receive(now, addr(9), { type: 'ack', seqNo: ping.seqNo, payload: null });
  }
  throw new Error(`never probed ${target}`);
}

/**
 * A (three peers, so k = 2 and a fresh suspicion starts at its maximum, 24 s) probes B; the direct
 * ping is lost, the fallback ends with `fallback`, and the relays nack (`relaysNack`) or stay silent.
 * @returns A after its probe-end, with B suspect.
 */
function failedProbe(fallback: Error, relaysNack: boolean | 'late'): TestNode {
  const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4]]);
  const ping = probeUntil(a, 'B', 1000);
  a.fire('probe-timeout', 1500);
  const [stream] = a.last.streams;
  a.step((c, fx) => c.handleStreamResult(1501, stream!.id, fallback, fx));
  if (relaysNack === true) for (const i of [3, 4]) a.receive(1990, addr(i), { type: 'nack', seqNo: ping.seqNo });
  a.fire('probe-end', 2000);
  expect(a.core.member('B')?.state).toBe('suspect');
  if (relaysNack === 'late') a.receive(2010, addr(3), { type: 'nack', seqNo: ping.seqNo });
  return a;
}

const deadSent = (a: TestNode): PacketMessage[] => a.sent().flatMap((s) => s.messages).filter((m) => m.type === 'dead');

describe('a refused TCP fallback', () => {
  it('ends the suspicion one probe interval after the failed probe, and the dead goes out as usual', () => {
    const a = failedProbe(REFUSED, true);
    const timer = a.take('suspicion-timeout');
    expect(timer.dueAt).toBe(2000 + 1000);
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ name: 'hearsay_refused_suspicions_total', value: 1 }));
    a.step((c, fx) => c.handleTimer(3000, timer, fx));
    expect(a.core.member('B')?.state).toBe('dead');
    expect(a.eventsOf('fail').map((e) => e.member.name)).toEqual(['B']);
    // A standard dead from us: Go peers apply it as any other.
    const gossip = a.gossip(3001);
    expect(gossip.flatMap((s) => s.messages)).toContainEqual({ type: 'dead', incarnation: 1, node: 'B', from: 'A' });
  });

  it('emits the suspicion again with the earlier deadline, marked refused', () => {
    const a = failedProbe(REFUSED, true);
    const views = a.eventsOf('suspicion').filter((e) => e.member.name === 'B');
    expect(views.at(0)).toMatchObject({ refused: false, deadlineAt: 2000 + 24_000 });
    expect(views.at(-1)).toMatchObject({ refused: true, confirmedBy: undefined, startedAt: 2000, deadlineAt: 3000, timeoutMs: 1000, remainingMs: 1000 });
  });

  it('changes nothing when the fallback timed out instead (a partition, a paused process)', () => {
    const a = failedProbe(new TimeoutError('dial timed out'), true);
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 24_000);
    expect(a.last.metrics.filter((m) => m.name === 'hearsay_refused_suspicions_total')).toEqual([]);
  });

  it('changes nothing for a transport error that is not a refusal (host unreachable, reset later)', () => {
    const a = failedProbe(new TransportError('dial 10.0.0.2:7946 failed: EHOSTUNREACH'), true);
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 24_000);
  });

  it('is not taken when the probe was silent (nobody answered: the silence may be ours)', () => {
    const a = failedProbe(REFUSED, false);
    expect(a.take('suspicion-timeout').dueAt).toBe(2000 + 24_000);
    expect(a.last.metrics.filter((m) => m.name === 'hearsay_refused_suspicions_total')).toEqual([]);
  });

  it("is taken when the relays' nacks land just after the probe's end (the usual path for a crash)", () => {
    const a = failedProbe(REFUSED, 'late');
    expect(a.take('suspicion-timeout').dueAt).toBe(2010 + 1000);
    expect(a.last.metrics).toContainEqual(expect.objectContaining({ name: 'hearsay_refused_suspicions_total', value: 1 }));
  });

  it('leaves the member its window to refute: an alive at a higher incarnation ends the suspicion', () => {
    const a = failedProbe(REFUSED, true);
    a.receive(2500, addr(2), alive('B', 2, 2));
    expect(a.core.member('B')?.state).toBe('alive');
    a.fire('suspicion-timeout', 3000);
    expect(a.core.member('B')?.state).toBe('alive');
    expect(deadSent(a)).toEqual([]);
  });

  it('shortens a suspicion another member raised first, and later confirmations cannot lengthen it', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4]]);
    a.receive(500, addr(3), suspect('B', 1, 'C'));
    expect(a.take('suspicion-timeout').dueAt).toBe(500 + 24_000);
    const ping = probeUntil(a, 'B', 1000);
    a.fire('probe-timeout', 1500);
    const [stream] = a.last.streams;
    a.step((c, fx) => c.handleStreamResult(1501, stream!.id, REFUSED, fx));
    a.receive(1990, addr(4), { type: 'nack', seqNo: ping.seqNo });
    a.fire('probe-end', 2000);
    const shortened = a.take('suspicion-timeout');
    expect(shortened.dueAt).toBe(3000);
    a.receive(2100, addr(4), suspect('B', 1, 'D')); // a confirmation: Lifeguard alone would say ≥ 4 s from the start
    const rearmed = a.take('suspicion-timeout');
    expect(rearmed.dueAt).toBe(3000);
    a.step((c, fx) => c.handleTimer(3000, shortened, fx)); // stale now
    expect(a.core.member('B')?.state).toBe('suspect');
    a.step((c, fx) => c.handleTimer(3000, rearmed, fx));
    expect(a.core.member('B')?.state).toBe('dead');
  });
});

describe('Suspicion.hasten', () => {
  it('moves the end earlier only, and caps what confirmations compute', () => {
    const s = new Suspicion('X', 2, 4000, 24_000, 0, 1);
    s.deadlineAt = 24_000;
    expect(s.hasten(1000, 1000)).toBe(1000);
    s.deadlineAt = 2000;
    expect(s.hasten(1500, 1000)).toBeUndefined(); // 2500 is later than the end already set
    expect(s.confirm('Y', 1800)).toBe(200);
  });

  it('is one probe interval', () => {
    expect(refusedSuspicionMs({ probeIntervalMs: 1000 })).toBe(1000);
    expect(refusedSuspicionMs({ probeIntervalMs: 5000 })).toBe(5000);
  });
});
