import { describe, expect, it } from 'vitest';
import { MiniCluster } from './mini-cluster.js';

const NAMES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const SEEDS = [1, 2, 3];

/** Five nodes that joined through n1 and had 20 s to settle. */
function converged(seed: number): MiniCluster {
  const c = new MiniCluster({}, seed);
  for (const n of NAMES) c.add(n);
  for (const n of NAMES.slice(1)) c.join(n, 'n1');
  c.runUntil(20_000);
  return c;
}

describe.each(SEEDS)('mini cluster (seed %i)', (seed) => {
  it('converges after joins through one seed, every node seeing every other join exactly once', () => {
    const c = converged(seed);
    for (const n of NAMES) {
      const view = c.get(n).core.members();
      expect(view.map((m) => m.name).sort()).toEqual(NAMES);
      expect(view.every((m) => m.state === 'alive')).toBe(true);
      const joins = c.get(n).events.filter((e) => e.event.type === 'join').map((e) => ('member' in e.event ? e.event.member.name : ''));
      expect(joins.sort()).toEqual(NAMES.filter((x) => x !== n));
      expect(c.get(n).events.filter((e) => ['suspect', 'fail', 'leave'].includes(e.event.type))).toEqual([]);
      expect(c.get(n).core.healthScore).toBe(0);
    }
    expect(c.problems).toEqual([]);
  });

  it('takes a crashed node from suspect to fail at everyone, exactly once, without false suspicions', () => {
    const c = converged(seed);
    c.crash('n5');
    c.runUntil(80_000);
    for (const n of NAMES.slice(0, 4)) {
      // `suspicion` reports the start right after `suspect`, then each confirmation.
      expect(c.eventsAbout(n, 'n5').filter((t) => t !== 'suspicion')).toEqual(['join', 'suspect', 'fail']);
      expect(c.eventsAbout(n, 'n5')[2]).toBe('suspicion');
      for (const other of NAMES.slice(0, 4)) if (other !== n) expect(c.eventsAbout(n, other)).toEqual(['join']);
    }
    // Detection time: the first fail lands within the LAN bound (probe round + suspicion max 24 s).
    const firstFail = Math.min(...NAMES.slice(0, 4).map((n) => c.get(n).events.find((e) => e.event.type === 'fail')!.at));
    expect(firstFail - 20_000).toBeLessThan(30_000);
    expect(c.problems).toEqual([]);
  });

  it('delivers a leave as leave, never as fail', () => {
    const c = converged(seed);
    const id = 41;
    c.command('n4', (core, fx) => core.leave(c.now, fx, id));
    c.runUntil(25_000);
    const done = c.get('n4').events.find((e) => e.event.type === 'broadcast-done');
    expect(done?.event).toMatchObject({ id });
    c.crash('n4'); // shut down once the leave went out
    c.runUntil(90_000);
    for (const n of ['n1', 'n2', 'n3', 'n5']) expect(c.eventsAbout(n, 'n4')).toEqual(['join', 'leave']);
    expect(c.problems).toEqual([]);
  });

  it('spreads new metadata as one update at every other node', () => {
    const c = converged(seed);
    const meta = Uint8Array.of(0xff, 0x81, 0xa4, 0x72, 0x6f, 0x6c, 0x65, 0xa2, 0x64, 0x62);
    c.command('n2', (core, fx) => core.setMetadata(c.now, meta, fx, 1));
    c.runUntil(30_000);
    for (const n of ['n1', 'n3', 'n4', 'n5']) {
      expect(c.eventsAbout(n, 'n2')).toEqual(['join', 'update']);
      expect(c.get(n).core.member('n2')?.tags).toEqual({ role: 'db' });
    }
    expect(c.problems).toEqual([]);
  });
});

describe.each([1, 2])('mini cluster under 10%% datagram loss, no TCP fallback (seed %i)', (seed) => {
  it('declares no healthy node failed and still detects a crash', () => {
    const names = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8'];
    const c = new MiniCluster({ disableTcpPings: true }, seed, 1, 0.1);
    for (const n of names) c.add(n);
    for (const n of names.slice(1)) c.join(n, 'n1');
    c.runUntil(70_000); // past the first push/pull, which repairs any join gossip lost
    c.crash('n8');
    c.runUntil(160_000);
    for (const n of names.slice(0, 7)) {
      for (const o of names.slice(0, 7)) if (o !== n) expect(c.eventsAbout(n, o)).not.toContain('fail');
      expect(c.eventsAbout(n, 'n8').filter((t) => t === 'fail')).toEqual(['fail']);
    }
    expect(c.problems).toEqual([]);
  });
});
