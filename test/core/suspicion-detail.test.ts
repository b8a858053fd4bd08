/**
 * Suspicion as a graded signal (issue 9): `suspect` names the accuser, and a `suspicion` event at
 * the start and at each confirmation carries the count and the deadline of the timer the core runs.
 */
import { describe, expect, it } from 'vitest';
import type { SuspicionTimeoutTimer } from '../../src/core/timers.js';
import { addr, nodeWithPeers, suspect } from './helpers.js';

/** A (1) knowing B, C, D, E alive: n = 5, LAN → min 4 s, max 24 s, k = 2. */
function fiveNodes() {
  return nodeWithPeers('A', 1, [
    ['B', 2],
    ['C', 3],
    ['D', 4],
    ['E', 5],
  ]);
}

/** The suspicion timer for `node` scheduled in the last step. */
function lastSuspicionTimer(a: ReturnType<typeof fiveNodes>, node: string): SuspicionTimeoutTimer {
  const t = a.last.schedules.map((s) => s.timer).filter((t): t is SuspicionTimeoutTimer => t.type === 'suspicion-timeout' && t.node === node);
  expect(t).toHaveLength(1);
  return t[0]!;
}

describe('suspicion detail', () => {
  it('names the accuser on suspect, then reports the running timer at the start and at each confirmation', () => {
    const a = fiveNodes();
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    const [start] = a.eventsOf('suspect');
    expect(start?.accuser).toBe('C');
    expect(start?.member.name).toBe('B');
    let timer = lastSuspicionTimer(a, 'B');
    // The suspicion event comes right after suspect, in the same step.
    expect(a.last.events.map((e) => e.type)).toEqual(['suspect', 'suspicion']);
    expect(a.eventsOf('suspicion')[0]).toMatchObject({ accuser: 'C', confirmedBy: undefined, confirmations: 0, expected: 2, startedAt: 0, deadlineAt: 24_000, timeoutMs: 24_000, remainingMs: 24_000 });
    expect(timer.dueAt).toBe(24_000);

    a.receive(1000, addr(4), suspect('B', 1, 'D'));
    timer = lastSuspicionTimer(a, 'B');
    const first = a.eventsOf('suspicion')[1]!;
    expect(first).toMatchObject({ accuser: 'C', confirmedBy: 'D', confirmations: 1, expected: 2, startedAt: 0 });
    // Lifeguard: 24 − ln 2 / ln 3 × (24 − 4) s = 11.381 s from the start.
    expect(first.deadlineAt).toBe(11_381);
    expect(first.deadlineAt).toBe(timer.dueAt);
    expect(first.timeoutMs).toBe(11_381);
    expect(first.remainingMs).toBe(10_381);

    // A repeat from the same member is no new information: no event.
    a.receive(1500, addr(4), suspect('B', 1, 'D'));
    expect(a.last.events).toEqual([]);

    a.receive(2000, addr(5), suspect('B', 1, 'E'));
    timer = lastSuspicionTimer(a, 'B');
    const second = a.eventsOf('suspicion')[2]!;
    expect(second).toMatchObject({ confirmedBy: 'E', confirmations: 2, deadlineAt: 4000, timeoutMs: 4000, remainingMs: 2000 });
    expect(second.deadlineAt).toBe(timer.dueAt);

    // The deadline is the one the core acts on: B fails when the timer it reported fires.
    a.step((c, fx) => c.handleTimer(second.deadlineAt, timer, fx));
    expect(a.last.events.map((e) => e.type)).toEqual(['fail']);
  });

  it('with no confirmations expected, reports the minimum timeout and no count', () => {
    const a = nodeWithPeers('A', 1, [
      ['B', 2],
      ['C', 3],
    ]);
    a.receive(0, addr(3), suspect('B', 1, 'C'));
    expect(a.eventsOf('suspicion')[0]).toMatchObject({ confirmations: 0, expected: 0, deadlineAt: 4000, timeoutMs: 4000 });
    a.receive(100, addr(3), suspect('B', 1, 'X'));
    expect(a.eventsOf('suspicion')).toHaveLength(1);
  });
});
