/**
 * Metadata updates: a node changes its tags at run time; the others get an `update` event with
 * the member before and after. `setMetadata` resolves once the change has been gossiped its full
 * number of times, and an oversized value is refused up front with a typed error.
 *
 *   npx tsx examples/metadata-updates.ts
 */
import { Hearsay, type MemberSnapshot } from 'hearsay';

/** The tags that differ between two snapshots of one member, as `key: old -> new`. */
export function tagChanges(before: MemberSnapshot, after: MemberSnapshot): string[] {
  const keys = new Set([...Object.keys(before.tags ?? {}), ...Object.keys(after.tags ?? {})]);
  return [...keys].sort().flatMap((k) => {
    const was = before.tags?.[k];
    const now = after.tags?.[k];
    return was === now ? [] : [`${k}: ${was ?? '(none)'} -> ${now ?? '(none)'}`];
  });
}

const web = await Hearsay.start({ name: 'web-1', bind: '127.0.0.1:0', metadata: { role: 'web', version: '1.4.0', draining: 'false' } });
const watcher = await Hearsay.start({ name: 'watcher', bind: '127.0.0.1:0' });
try {
  await watcher.join(web.localMember.address);

  const seen: string[] = [];
  const twoUpdates = new Promise<void>((resolve) => {
    watcher.on('update', ({ member, previous }) => {
      const change = `${member.name} (incarnation ${previous.incarnation} -> ${member.incarnation}): ${tagChanges(previous, member).join(', ')}`;
      console.log(`watcher saw ${change}`);
      seen.push(change);
      if (seen.length === 2) resolve();
    });
  });

  // A rolling deploy: announce the new version, then start draining.
  await web.setMetadata({ role: 'web', version: '1.5.0', draining: 'false' });
  await web.setMetadata({ role: 'web', version: '1.5.0', draining: 'true' });
  await twoUpdates;

  try {
    await web.setMetadata({ role: 'web', notes: 'x'.repeat(600) });
  } catch (error) {
    // Match on `code`, not instanceof: it survives two installed copies of hearsay.
    if ((error as { code?: string }).code !== 'HEARSAY_METADATA_TOO_LARGE') throw error;
    console.log(`refused: ${(error as Error).message}`);
  }
  console.log(`web-1 still advertises ${JSON.stringify(web.localMember.tags)}`);
} finally {
  await Promise.all([web.shutdown(), watcher.shutdown()]);
}
