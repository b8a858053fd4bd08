/** Acceptance 5: the TypeDoc reference builds from the TSDoc with no warning (typedoc.json makes warnings errors). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness.js';

describe('npm run docs', () => {
  it('builds the API reference without a warning', () => {
    const typedoc = join(ROOT, 'node_modules', 'typedoc', 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [typedoc, '--emit', 'none'], { cwd: ROOT, encoding: 'utf8', timeout: 150_000 });
    const out = `${r.stdout}${r.stderr}`;
    expect(r.status, out).toBe(0);
    expect(out).not.toMatch(/\[warning\]/);
  }, 180_000);
});
