/** `hearsay simulate`: how the cluster starts (join storm or converged), speed and heap rows, the heap restart. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { heapNeededMb, MAX_HEAP_MB } from '../../src/cli/simulate-command.js';
import { AUTO_CONVERGED_ABOVE, startsConverged } from '../../src/cli/simulate.js';
import { hearsay } from './harness.js';

const out = (): string => join(mkdtempSync(join(tmpdir(), 'hearsay-sim-')), 'sim.svg');
/** The value of one row of the printed table. */
const row = (stdout: string, key: string): string | undefined => stdout.split('\n').find((l) => l.startsWith(key))?.slice(key.length).trim();

describe('simulate --start', () => {
  it('auto starts converged only above the threshold; join and converged force it', () => {
    expect(startsConverged('auto', AUTO_CONVERGED_ABOVE)).toBe(false);
    expect(startsConverged('auto', AUTO_CONVERGED_ABOVE + 1)).toBe(true);
    expect(startsConverged('join', 10_000)).toBe(false);
    expect(startsConverged('converged', 3)).toBe(true);
  });

  it('converged: no join is simulated, the table says so and prints speed and heap', async () => {
    const r = await hearsay(['simulate', '--nodes', '12', '--start', 'converged', '--out', out()], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(row(r.stdout, 'start')).toMatch(/^converged \(bootstrapConverged/);
    expect(row(r.stdout, 'join → all see all (virtual)')).toBe('converged start');
    expect(row(r.stdout, 'update → 100 % informed')).toMatch(/gossip rounds/);
    expect(row(r.stdout, 'speed (simulated s / wall s)')).toMatch(/overall, [\d.]+ steady state$/);
    expect(row(r.stdout, 'heap')).toMatch(/in use at the end \(limit/);
  }, 60_000);

  it('auto at small N simulates the join storm', async () => {
    const r = await hearsay(['simulate', '--nodes', '12', '--out', out()], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(row(r.stdout, 'start')).toBe('join storm through n0 (simulated)');
    expect(row(r.stdout, 'join → all see all (virtual)')).toMatch(/^[\d.]+ s$/);
  }, 60_000);

  it('rejects an unknown start', async () => {
    const r = await hearsay(['simulate', '--start', 'storm'], 20_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--start must be auto, join or converged/);
  });
});

describe('simulate --heap', () => {
  it('estimates the heap from N, capped at 16 GiB', () => {
    expect(heapNeededMb(100)).toBeLessThan(2048);
    expect(heapNeededMb(3000)).toBeLessThan(4096); // node's default limit holds it: no restart
    expect(heapNeededMb(10_000)).toBeGreaterThan(15_000);
    expect(heapNeededMb(20_000)).toBe(MAX_HEAP_MB);
  });

  it('restarts node with a larger heap limit when asked for more than it has, and prints that limit', async () => {
    const r = await hearsay(['simulate', '--nodes', '8', '--start', 'converged', '--heap', '6000', '--out', out()], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/restarting node with a 6000 MB heap/);
    // V8 adds its young generation to the old-space limit.
    expect(row(r.stdout, 'heap')).toMatch(/limit (5\.[89]\d|6\.\d\d) GiB/);
  }, 60_000);
});
