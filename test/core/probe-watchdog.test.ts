/**
 * The probe watchdog (foca's `Probe::validate` / `IncompleteProbeCycle`): a probe tick due after
 * the open cycle's deadline closes that cycle without judging its target, counts
 * `hearsay_probe_abandoned_total` and probes on, so one lost `probe-end` cannot stop failure detection.
 */
import { describe, expect, it } from 'vitest';
import type { PingMessage } from '../../src/wire/messages.js';
import { nodeWithPeers, type TestNode } from './helpers.js';

const INTERVAL = 1000; // LAN probeIntervalMs

function pings(a: TestNode): PingMessage[] {
  return a.sent().flatMap((s) => s.messages.filter((m): m is PingMessage => m.type === 'ping'));
}

function count(a: TestNode, name: string): number {
  return a.last.metrics.filter((m) => m.name === name).reduce((sum, m) => sum + m.value, 0);
}

/**
 * A started node with three peers and a probe open since t = 1000, past its direct phase (the
 * relays it asked never answer; no TCP fallback): the cycle waits for its probe-end, due 2000.
 * (Three peers, not one: with a two-entry table memberlist's probe walk can skip a tick.)
 */
function probing(): { a: TestNode; first: PingMessage } {
  const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3], ['D', 4]], { disableTcpPings: true });
  a.fire('probe-tick', 1000);
  const [first] = pings(a);
  expect(first).toBeDefined();
  a.fire('probe-timeout', 1500);
  return { a, first: first! };
}

describe('probe watchdog', () => {
  it('resumes probing within two probe intervals after a lost probe-end, counting probe.abandoned', () => {
    const { a, first } = probing();
    const lost = a.take('probe-end'); // the runtime loses it: never delivered
    expect(lost.dueAt).toBe(1000 + INTERVAL);

    // The tick due at the deadline itself still waits: a probe-end due then would fire right after it.
    a.fire('probe-tick', 2000);
    expect(a.last.sends).toEqual([]);
    expect(count(a, 'hearsay_probe_abandoned_total')).toBe(0);

    // The next tick is due after the deadline: the cycle is closed and probing goes on.
    const tick = a.take('probe-tick');
    a.step((c, fx) => c.handleTimer(tick.dueAt, tick, fx));
    const [next] = pings(a);
    expect(next?.seqNo).toBe(first.seqNo + 1);
    expect(tick.dueAt - lost.dueAt).toBeLessThanOrEqual(2 * INTERVAL);
    expect(count(a, 'hearsay_probe_abandoned_total')).toBe(1);
    expect(a.last.logs).toContainEqual(expect.objectContaining({ level: 'debug', fields: expect.objectContaining({ node: first.node, seqNo: first.seqNo }) }));

    // Abandoned, not judged: the target is not suspected and our health is untouched.
    expect(count(a, 'hearsay_probe_failures_total')).toBe(0);
    expect(a.core.members().every((m) => m.state === 'alive')).toBe(true);
    expect(a.core.healthScore).toBe(0);
    expect(a.core.isTimerStale(lost)).toBe(true);

    // The new cycle is an ordinary one: an ack completes it and the ticker keeps probing.
    a.receive(tick.dueAt + 5, 'x:1', { type: 'ack', seqNo: next!.seqNo, payload: null });
    a.fire('probe-tick');
    expect(pings(a).map((p) => p.seqNo)).toEqual([first.seqNo + 2]);
    expect(count(a, 'hearsay_probe_abandoned_total')).toBe(0);
  });

  it('judges by the tick due time, so a tick handled late next to its probe-end is not mistaken for a lost one', () => {
    const { a, first } = probing();
    // Both were due at 2000; the process handles them late, tick first (it was scheduled first).
    a.fire('probe-tick', 2600);
    expect(a.last.sends).toEqual([]);
    a.fire('probe-end', 2600);
    expect(count(a, 'hearsay_probe_abandoned_total')).toBe(0);
    expect(count(a, 'hearsay_probe_failures_total')).toBe(1); // judged as usual: the target is suspected
    expect(a.core.member(first.node)?.state).toBe('suspect');
    expect(pings(a).map((p) => p.seqNo)).toEqual([first.seqNo + 1]); // the buffered tick's probe
  });

  it('does not abandon a cycle whose probe-end the stall rule moved later', () => {
    const { a } = probing();
    a.step((c, fx) => c.noteStall(2900, 1900, fx));
    a.fire('probe-tick', 2900); // due 2000: buffered
    a.fire('probe-end', 2900); // due 2000, inside the stall: deferred to 2900 + grace
    const deferred = a.take('probe-end');
    expect(deferred.dueAt).toBeGreaterThan(2900);
    a.step((c, fx) => c.handleTimer(deferred.dueAt, deferred, fx));
    expect(count(a, 'hearsay_probe_abandoned_total')).toBe(0);
    expect(count(a, 'hearsay_probe_failures_total')).toBe(1);
  });
});
