/**
 * Writing generated sections into BENCHMARKS.md without losing what was written by hand.
 * @module
 */

/**
 * Marks the start of hand-written text inside a generated section: {@link writeSections} keeps
 * everything from this line to the section's end, so measured notes written beside the generated
 * tables survive a `--write`.
 */
export const HAND_WRITTEN_MARKER = '<!-- hand-written below: kept by `npm run bench -- --write` -->';

/**
 * Replaces (or appends) `## title` sections, each up to the next `## ` heading; the hand-written
 * tail of an existing section (from {@link HAND_WRITTEN_MARKER} on) is kept after the new body.
 */
export function writeSections(doc: string, secs: Map<string, string>): string {
  for (const [title, body] of secs) {
    const esc = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`^## ${esc}\\n[\\s\\S]*?(?=^## |(?![\\s\\S]))`, 'm');
    const old = re.exec(doc)?.[0];
    const at = old?.indexOf(HAND_WRITTEN_MARKER) ?? -1;
    const kept = old !== undefined && at >= 0 ? `\n${old.slice(at).trimEnd()}\n` : '';
    const section = `## ${title}\n\n${body}\n${kept}`;
    doc = old !== undefined ? doc.replace(re, () => `${section}\n`) : `${doc.trimEnd()}\n\n${section}`;
  }
  return doc.endsWith('\n') ? doc : `${doc}\n`;
}
