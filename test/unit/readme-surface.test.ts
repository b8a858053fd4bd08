/**
 * The README's Options, Events and Errors sections against the code: every option the resolver
 * knows, every event a node emits and every error class is documented, and the README names no
 * option, event or error that does not exist. A new option, event or error fails here until the
 * README says what it is.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as errors from '../../src/errors.js';
import { resolveOptions } from '../../src/options.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The text of one `##`/`###` section, up to the next heading of the same or a higher level. */
function section(title: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => /^#{2,3} /.test(l) && l.replace(/^#+ /, '').startsWith(title));
  expect(start, `README has a section "${title}"`).toBeGreaterThanOrEqual(0);
  const level = lines[start]!.indexOf(' ');
  const end = lines.findIndex((l, i) => i > start && /^#+ /.test(l) && l.indexOf(' ') <= level);
  return lines.slice(start, end === -1 ? undefined : end).join('\n');
}

/** Every `backticked` word in `text`. */
function codeWords(text: string): Set<string> {
  return new Set([...text.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!));
}

describe('README matches the code', () => {
  it('documents every option, in Options or the Hooks section', () => {
    const documented = codeWords(section('Options') + section('Hooks'));
    const known = Object.keys(resolveOptions({ name: 'readme' }));
    expect(known.filter((k) => !documented.has(k))).toEqual([]);
  });

  it('documents every event a node emits, and no other, in the Events table', () => {
    const source = readFileSync(new URL('../../src/events.ts', import.meta.url), 'utf8');
    const body = /export interface HearsayEvents \{([\s\S]*?)\n\}/.exec(source)?.[1] ?? '';
    const emitted = [...body.matchAll(/^ {2}(?:'([a-z:]+)'|([a-z]+))\s*[:(]/gm)].map((m) => m[1] ?? m[2]!);
    expect(emitted.length).toBeGreaterThan(5);
    const rows = [...section('Events').matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]!);
    expect([...rows].sort()).toEqual([...emitted].sort());
  });

  it('names every error class, and no other, in the Errors section', () => {
    const classes = Object.entries(errors)
      .filter(([, v]) => typeof v === 'function' && (v === errors.HearsayError || v.prototype instanceof errors.HearsayError))
      .map(([k]) => k);
    const text = section('Errors');
    const named = new Set([...text.matchAll(/`([A-Z][A-Za-z]*Error)`/g)].map((m) => m[1]!));
    expect(classes.filter((c) => !named.has(c))).toEqual([]);
    expect([...named].filter((n) => !classes.includes(n))).toEqual([]);
  });
});
