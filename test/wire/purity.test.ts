/** The core is pure (STYLE §2): the wire modules it may import must not reach `node:*`, even transitively. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function imports(file: URL, seen = new Set<string>()): Set<string> {
  if (seen.has(file.href)) return seen;
  seen.add(file.href);
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm)) {
    const spec = m[1]!;
    if (spec.startsWith('.')) imports(new URL(spec.replace(/\.js$/, '.ts'), file), seen);
    else seen.add(spec);
  }
  return seen;
}

describe('wire purity', () => {
  it.each(['codec.ts', 'compound.ts', 'payload.ts', 'messages.ts', 'lzw.ts', 'crc32.ts'])('%s reaches no node:* module', (name) => {
    const all = [...imports(new URL(`../../src/wire/${name}`, import.meta.url))];
    expect(all.filter((s) => !s.startsWith('file:'))).toEqual([]);
  });
});
