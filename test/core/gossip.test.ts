/**
 * The gossip ticker parks while both broadcast queues are empty and resumes, on its old phase,
 * as soon as a step queues something.
 */
import { describe, expect, it } from 'vitest';
import { addr, alive, nodeWithPeers, type TestNode } from './helpers.js';

/** Fires gossip ticks at their own due time until the ticker parks; returns the last tick's time. */
function drainUntilParked(n: TestNode): number {
  let last = Number.NaN;
  for (let i = 0; i < 200 && n.has('gossip-tick'); i++) {
    const t = n.take('gossip-tick');
    last = t.dueAt;
    n.step((c, fx) => c.handleTimer(t.dueAt, t, fx));
  }
  expect(n.has('gossip-tick'), 'ticker still running after 200 ticks').toBe(false);
  return last;
}

describe('gossip ticker', () => {
  it('schedules no tick while nothing is queued, and sends nothing', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]]);
    const parkedAt = drainUntilParked(a);
    expect(a.last.sends).toEqual([]);
    // An alive that changes nothing queues nothing: still parked.
    a.receive(parkedAt + 10, addr(2), alive('B', 2, 1));
    expect(a.has('gossip-tick')).toBe(false);
  });

  it('resumes on its old phase when a step queues news', () => {
    const a = nodeWithPeers('A', 1, [['B', 2], ['C', 3]]);
    const interval = 200; // LAN's gossipIntervalMs, the helpers' config
    const parkedAt = drainUntilParked(a);
    // News arrives 3.5 intervals later: the next tick is where an always-running ticker would be.
    a.receive(parkedAt + 3.5 * interval, addr(2), alive('D', 4, 1));
    const tick = a.take('gossip-tick');
    expect(tick.dueAt).toBe(parkedAt + 4 * interval);
    a.step((c, fx) => c.handleTimer(tick.dueAt, tick, fx));
    const gossiped = a.sent().flatMap((s) => s.messages);
    expect(gossiped).toContainEqual(expect.objectContaining({ type: 'alive', node: 'D' }));
  });

  it('resumes for a user broadcast queued by the host', () => {
    const a = nodeWithPeers('A', 1, [['B', 2]]);
    const parkedAt = drainUntilParked(a);
    expect(a.broadcastUser(Uint8Array.of(7), parkedAt + 1)).toBe(true);
    const tick = a.take('gossip-tick');
    a.step((c, fx) => c.handleTimer(tick.dueAt, tick, fx));
    expect(a.sent().flatMap((s) => s.messages)).toContainEqual({ type: 'user', payload: Uint8Array.of(7) });
  });
});
