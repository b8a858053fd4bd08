/** Acceptance 2: `hearsay demo` shows join, suspect, fail and leave, and exits 0 well within 30 s. */
import { describe, expect, it } from 'vitest';
import { hearsay } from './harness.js';

describe('hearsay demo', () => {
  it('walks through join, update, suspect, fail, rejoin and leave, then exits 0 in under 20 s', async () => {
    const started = Date.now();
    const r = await hearsay(['demo'], 30_000);
    const seconds = (Date.now() - started) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^timing: probe every 500 ms/m);
    for (const event of ['join', 'update', 'suspect', 'fail', 'leave']) expect(r.stdout, event).toMatch(new RegExp(`sees n\\d\\s+${event}\\b`));
    expect(r.stdout).toMatch(/sees n5\s+fail/);
    expect(r.stdout).toMatch(/sees n4\s+leave/);
    expect(r.stdout).toMatch(/== done in [\d.]+ s; events seen: join ×\d+, update ×4, suspect ×[1-9]\d*, alive ×\d+, fail ×4, leave ×4/);
    expect(seconds).toBeLessThan(20);
  }, 40_000);

  it('prints JSON lines with --json', async () => {
    const r = await hearsay(['demo', '--json'], 30_000);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event?: string; member?: { name: string } });
    expect(lines.some((l) => l.event === 'fail' && l.member?.name === 'n5')).toBe(true);
    expect(lines.some((l) => l.event === 'leave' && l.member?.name === 'n4')).toBe(true);
  }, 40_000);
});
