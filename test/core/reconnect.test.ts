/**
 * The reconnect ticker (src/core/reconnect.ts): reconnect attempts to failed members run on their
 * own timer, every unscaled push/pull interval, not on the push/pull tick (whose interval grows
 * with the cluster: 90 s at N = 100), so a healed split finds its way back within seconds.
 */
import { describe, expect, it } from 'vitest';
import { AccumulatingEffects } from '../../src/core/effects.js';
import { TimerTokens } from '../../src/core/ids.js';
import { MemberTable, memberEntry, type MemberEntry } from '../../src/core/members.js';
import { seededRandom } from '../../src/core/random.js';
import { FailedMembers, ReconnectTicker } from '../../src/core/reconnect.js';
import type { SelfState } from '../../src/core/self.js';
import { TestNode, addr, alive, config, dead } from './helpers.js';

/** A started node with `peers` alive members (indexes 2…), of which `dead` were then declared dead. */
function withDead(alivePeers: number, deadPeers: number, overrides = {}): TestNode {
  const a = new TestNode('A', 1, overrides).start(0);
  for (let i = 0; i < alivePeers + deadPeers; i++) a.receive(0, addr(2 + i), alive(`P${i}`, 2 + i, 1));
  for (let i = alivePeers; i < alivePeers + deadPeers; i++) a.receive(0, addr(2), dead(`P${i}`, 1, 'P0'));
  a.events.length = 0;
  return a;
}

describe('reconnect ticker', () => {
  it('is armed at start within one unscaled push/pull interval, and not when push/pull is off', () => {
    const a = new TestNode('A', 1).start(0);
    const t = a.timers.find((x) => x.timer.type === 'reconnect-tick');
    expect(t?.afterMs).toBeGreaterThan(0);
    expect(t?.afterMs).toBeLessThanOrEqual(30_000);
    expect(new TestNode('A', 1, { pushPullIntervalMs: 0 }).start(0).has('reconnect-tick')).toBe(false);
  });

  it('pushes/pulls with a dead member on its own tick, every unscaled interval, while the push/pull tick does not', () => {
    // 200 members: the push/pull interval is scaled (4 × 30 s); the reconnect interval is not.
    const a = withDead(195, 5);
    a.fire('push-pull-tick', 40_000);
    expect(a.last.schedules[0]?.afterMs).toBe(120_000);
    expect(a.last.streams.map((s) => s.to)).toHaveLength(1); // the periodic exchange only
    let attempts = 0;
    for (let i = 0; i < 400; i++) {
      a.fire('reconnect-tick', 50_000 + i * 30_000);
      expect(a.last.schedules.find((s) => s.timer.type === 'reconnect-tick')?.afterMs).toBe(30_000);
      for (const s of a.last.streams) {
        expect(Number(s.to.split('.')[3]!.split(':')[0])).toBeGreaterThanOrEqual(2 + 195); // a dead one
        expect(s.request).toMatchObject({ type: 'push-pull', join: false });
        attempts++;
      }
    }
    // With probability candidates / alive = 5 / 196 per tick: about 10 of 400 ticks.
    expect(attempts).toBeGreaterThan(2);
    expect(attempts).toBeLessThan(25);
  });

  it('tries on every tick when as many members are failed as alive (a 50/50 split)', () => {
    const a = withDead(3, 4);
    for (let i = 0; i < 10; i++) {
      a.fire('reconnect-tick', 1_000 + i * 30_000);
      expect(a.last.streams).toHaveLength(1);
    }
  });

  it('does nothing without failed members, and stops after leave()', () => {
    const a = withDead(3, 0);
    a.fire('reconnect-tick', 1_000);
    expect(a.last.streams).toEqual([]);
    const b = withDead(1, 3);
    b.step((c, fx) => c.leave(2_000, fx, 1));
    b.fire('reconnect-tick', 3_000);
    expect(b.last.streams).toEqual([]);
    expect(b.has('reconnect-tick')).toBe(false);
  });
});

describe('reconnect prompted by evidence that a peer holds the member', () => {
  function ticker(): { t: ReconnectTicker; tried: string[]; members: MemberTable } {
    const members = new MemberTable();
    const failed = new FailedMembers();
    const entry: MemberEntry = memberEntry({ name: 'B', addr: Uint8Array.of(10, 0, 0, 2), port: 7946, address: addr(2), meta: new Uint8Array(0), vsn: new Uint8Array(6), incarnation: 1, state: 'dead', features: undefined }, 0);
    failed.remember(entry, 100);
    const tried: string[] = [];
    const t = new ReconnectTicker({ config: config('A', 1), random: seededRandom(1), tokens: new TimerTokens(), self: { leaving: false } as SelfState, members, failed, exchange: (_fx, address) => tried.push(address) });
    return { t, tried, members };
  }

  it('pushes/pulls with a remembered failed member at once, then at most once per push/pull interval', () => {
    const { t, tried } = ticker();
    const fx = new AccumulatingEffects();
    expect(t.prompt(1_000, fx, 'B')).toBe(true);
    expect(t.prompt(2_000, fx, 'B')).toBe(false);
    expect(t.prompt(30_999, fx, 'B')).toBe(false);
    expect(t.prompt(31_000, fx, 'B')).toBe(true);
    expect(tried).toEqual([addr(2), addr(2)]);
  });

  it('ignores a name never known, and one back in the table', () => {
    const { t, tried, members } = ticker();
    const fx = new AccumulatingEffects();
    expect(t.prompt(1_000, fx, 'Z')).toBe(false);
    members.add(memberEntry({ name: 'B', addr: Uint8Array.of(10, 0, 0, 2), port: 7946, address: addr(2), meta: new Uint8Array(0), vsn: new Uint8Array(6), incarnation: 2, state: 'alive', features: undefined }, 0), seededRandom(1));
    expect(t.prompt(1_000, fx, 'B')).toBe(false);
    expect(tried).toEqual([]);
  });
});
