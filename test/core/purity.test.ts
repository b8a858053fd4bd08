/**
 * The core must stay sans-I/O (STYLE §2): no clock, no Math.random, no timers, no promises, no
 * `node:*`. This test reads the source: every file in src/core and everything it imports
 * (transitively, value imports followed; type-only imports checked but not followed).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CORE = join(ROOT, 'src/core');

/**
 * What the core may reach besides src/core itself. Wire internals move around (codec → msgpack →
 * writer/alloc…), so any src/wire module is allowed *if* it passes the same banned-API scan —
 * except the ones that exist to do crypto or stream I/O framing.
 */
const ALLOWED = new Set([
  'src/address.ts',
  'src/events.ts',
  'src/options.ts', // type-only
  'src/observability.ts',
  'src/hooks/conflict.ts', // type-only: the conflict event's shape
  'src/hooks/admission.ts', // type-only: the hook's `via` values
]);
const FORBIDDEN_WIRE = new Set(['src/wire/packet.ts', 'src/wire/keyring.ts', 'src/wire/stream.ts', 'src/wire/index.ts']);
const allowed = (target: string): boolean =>
  target.startsWith('src/core/') || ALLOWED.has(target) || (target.startsWith('src/wire/') && !FORBIDDEN_WIRE.has(target));
/** Reached only through `import type`: erased at run time, so never followed. */
const TYPE_ONLY = new Set(['src/options.ts', 'src/hooks/conflict.ts', 'src/hooks/admission.ts']);

const BANNED: [RegExp, string][] = [
  [/\bDate\.now\b|\bnew Date\b/, 'reads the wall clock'],
  [/\bperformance\b/, 'reads a clock'],
  [/\bprocess\.hrtime\b|\bprocess\b\./, 'touches process'],
  [/\bMath\.random\b/, 'uses Math.random'],
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b|\bqueueMicrotask\b/, 'uses host timers'],
  [/\bPromise\b|\basync\s+(function|\(|[a-zA-Z_$])|\bawait\b/, 'uses promises'],
  [/from\s+['"]node:|require\(\s*['"]node:|import\(\s*['"]node:/, 'imports node:*'],
  [/\brequire\(/, 'uses require'],
];

/** Removes comments so prose that names a banned API ("never calls Math.random") does not count. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

interface Import {
  readonly spec: string;
  readonly typeOnly: boolean;
}

function importsOf(src: string): Import[] {
  const out: Import[] = [];
  const code = stripComments(src);
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s+['"]([^'"]+)['"]/gm;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    const clause = m[3] ?? '';
    // `import { type A, type B } from` is type-only too.
    const allTypes = /^\{\s*(type\s+[\w$]+\s*(as\s+[\w$]+)?\s*,?\s*)+\}$/.test(clause.trim());
    out.push({ spec: m[4]!, typeOnly: m[2] !== undefined || allTypes });
  }
  for (const m of code.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  for (const m of code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

function resolveSpec(fromFile: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const abs = resolve(dirname(fromFile), spec).replace(/\.js$/, '.ts');
  return relative(ROOT, abs);
}

function coreFiles(): string[] {
  return readdirSync(CORE)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => relative(ROOT, join(CORE, f)));
}

describe('core purity', () => {
  const files = coreFiles();

  it('finds the core sources', () => {
    expect(files).toContain('src/core/core.ts');
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)('%s reads no clock, no Math.random, no timers, no promises, no node:*', (file) => {
    const code = stripComments(readFileSync(join(ROOT, file), 'utf8'));
    for (const [re, why] of BANNED) expect(re.test(code), `${file} ${why}`).toBe(false);
  });

  it('only reaches the allowed modules, transitively, and those are clean too', () => {
    const seen = new Set<string>();
    const queue = [...files];
    const reached: string[] = [];
    while (queue.length > 0) {
      const file = queue.shift()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const src = readFileSync(join(ROOT, file), 'utf8');
      for (const imp of importsOf(src)) {
        const target = resolveSpec(join(ROOT, file), imp.spec);
        const inCore = target.startsWith('src/core/');
        expect(allowed(target), `${file} imports ${target}`).toBe(true);
        if (!inCore) reached.push(target);
        if (target.startsWith('src/') && !imp.typeOnly && !TYPE_ONLY.has(target)) queue.push(target);
        if (TYPE_ONLY.has(target)) expect(imp.typeOnly, `${file} must import ${target} as a type only`).toBe(true);
      }
    }
    for (const file of seen) {
      if (file.startsWith('src/core/')) continue;
      const code = stripComments(readFileSync(join(ROOT, file), 'utf8'));
      for (const [re, why] of BANNED) expect(re.test(code), `${file} (reached from core) ${why}`).toBe(false);
    }
    expect(reached).toContain('src/wire/codec.ts');
  });

  it('the import scanner sees through the forms it must catch', () => {
    const imps = importsOf(`import { a } from './x.js';\nimport type { B } from "node:fs";\nexport { c } from '../y.js';\nconst z = import('node:crypto');\nimport 'node:net';`);
    expect(imps).toEqual([
      { spec: './x.js', typeOnly: false },
      { spec: 'node:fs', typeOnly: true },
      { spec: '../y.js', typeOnly: false },
      { spec: 'node:crypto', typeOnly: false },
      { spec: 'node:net', typeOnly: false },
    ]);
    const code = stripComments('// Math.random in a comment\nconst x = 1; /* Date.now */');
    expect(BANNED.some(([re]) => re.test(code))).toBe(false);
  });
});
