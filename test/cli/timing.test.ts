import { describe, expect, it } from 'vitest';
import { timingFigures, timingTable } from '../../src/cli/timing.js';

describe('timingFigures', () => {
  it('gives memberlist’s LAN numbers at 100 nodes', () => {
    const t = timingFigures('lan', 100);
    expect(t.suspicionMinMs).toBe(8000); // 4 × log10(100) × 1 s
    expect(t.suspicionMaxMs).toBe(48_000); // × 6
    expect(t.confirmations).toBe(2); // suspicionMult − 2
    expect(t.transmitsPerUpdate).toBe(12); // 4 × ⌈log10 101⌉
    expect(t.pushPullMs).toBe(90_000); // 30 s × (⌈log2 100 − 5⌉ + 1)
    expect(t.firstProbeRounds).toBeCloseTo(1.58, 2); // → e/(e−1)
    expect(t.failMs).toBeCloseTo(t.suspectMs + 8000);
    expect(t.disseminationRounds).toBe(4); // ⌈ln 100 / ln 4⌉
  });

  it('starts at the minimum when too few peers could confirm (k = 0)', () => {
    const t = timingFigures('wan', 5);
    expect(t.confirmations).toBe(0);
    expect(t.suspicionMaxMs).toBe(t.suspicionMinMs);
    expect(timingTable([t])).toContain('| 30 s (0) |');
  });

  it('says "1 round", not "1 rounds"', () => {
    expect(timingTable([timingFigures('wan', 5)])).toContain('(1 round)');
    expect(timingTable([timingFigures('lan', 100)])).toContain('(4 rounds)');
  });
});
