/**
 * `npm run bench -- --write` regenerates BENCHMARKS.md's simulation sections; hand-written notes
 * after the marker inside a section must survive it.
 */
import { describe, expect, it } from 'vitest';
import { HAND_WRITTEN_MARKER, writeSections } from '../../bench/doc-sections.js';

const doc = ['# B', '', '## A', '', 'old table', '', HAND_WRITTEN_MARKER, '', 'measured by hand', '', '## C', '', 'other', ''].join('\n');

describe('writeSections', () => {
  it('replaces the generated body and keeps the hand-written tail and the other sections', () => {
    const out = writeSections(doc, new Map([['A', 'new table']]));
    expect(out).toContain('new table');
    expect(out).not.toContain('old table');
    expect(out).toContain(`${HAND_WRITTEN_MARKER}\n\nmeasured by hand\n`);
    expect(out.indexOf('new table')).toBeLessThan(out.indexOf(HAND_WRITTEN_MARKER));
    expect(out).toContain('## C\n\nother\n');
  });

  it('writes a section without a marker whole, and appends a missing one', () => {
    const out = writeSections(doc, new Map([['C', 'fresh'], ['D', 'added $& literally']]));
    expect(out).toContain('## C\n\nfresh\n');
    expect(out).not.toContain('other');
    expect(out.trimEnd().endsWith('## D\n\nadded $& literally')).toBe(true);
  });
});
