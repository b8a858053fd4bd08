/**
 * The state engine is pure like the core (DESIGN "Pure decisions, thin I/O"): no src/state module
 * reads a clock, draws Math.random, sets a timer, awaits, imports node:* or reaches an impure
 * module (it may import the pure wire layer below it). The glue lives elsewhere: src/runtime/state-runner.ts (timers and I/O) and
 * src/cluster-state.ts (the host-facing API and its iterator).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const files = readdirSync(join(ROOT, 'src/state')).filter((f) => f.endsWith('.ts'));

const BANNED: [RegExp, string][] = [
  [/\bDate\.now\b|\bnew Date\b|\bperformance\b/, 'reads a clock'],
  [/\bMath\.random\b/, 'uses Math.random'],
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/, 'uses host timers'],
  [/\bPromise\b|\bawait\b/, 'uses promises'],
  [/from\s+['"]node:/, 'imports node:*'],
];

function code(file: string): string {
  return readFileSync(join(ROOT, 'src/state', file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

describe('state purity', () => {
  it('finds the pure state modules', () => {
    expect(files).toEqual(expect.arrayContaining(['engine.ts', 'store.ts', 'replica.ts', 'digest.ts', 'codec.ts', 'limits.ts']));
  });

  it.each(files)('%s has no clock, randomness, timers, promises or node:*', (file) => {
    const c = code(file);
    for (const [re, why] of BANNED) expect(re.test(c), `${file} ${why}`).toBe(false);
  });

  // The pure wire layer sits below (its own purity test: test/wire/purity.test.ts): the digest's
  // hash tree lives there, shared with the core's digest push/pull.
  it.each(files)('%s imports only pure state modules and the pure wire layer', (file) => {
    for (const m of code(file).matchAll(/from\s+['"]([^'"]+)['"]/g)) {
      const spec = m[1]!;
      expect(spec.startsWith('./') || /^\.\.\/wire\/[a-z-]+\.js$/.test(spec), `${file} imports ${spec}`).toBe(true);
    }
  });
});
