/**
 * Issue 9's join outcomes against real Go memberlist v0.2.2: a Go seed's reply lets hearsay see
 * that its name is taken, and a Go joiner refused by a hearsay seed's admission hook learns it
 * from the error reply (memberlist's own `errResp` handling in `sendAndReceiveState`).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { JoinError, NameConflictError } from '../../src/index.js';
import { cleanupAll, requireInterop, startGoPeer, waitUntil, STEP_MS } from './harness.js';
import { startHearsay } from './hearsay-node.js';

const ok = await requireInterop({ go: true });

describe.skipIf(!ok)('join outcomes with Go memberlist', () => {
  afterAll(cleanupAll);

  it('hearsay joining a Go cluster under a live name gets a NameConflictError naming the Go holder', async () => {
    const seed = await startGoPeer({ name: 'hk-seed' });
    const holder = await startGoPeer({ name: 'hk-dup' });
    expect(await holder.join([seed.addr])).toBe(1);
    await waitUntil(async () => (await seed.members()).some((m) => m.name === 'hk-dup'), STEP_MS, 'the Go holder at the Go seed');
    const claimant = await startHearsay({ name: 'hk-dup' });
    const error: unknown = await claimant.node.join([seed.addr]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JoinError);
    expect((error as JoinError).cause).toBeInstanceOf(NameConflictError);
    expect(((error as JoinError).cause as NameConflictError).holder).toBe(holder.addr);
    // The Go seed logged memberlist's own conflict and kept the holder.
    expect((await seed.members()).find((m) => m.name === 'hk-dup')?.port).toBe(Number(holder.addr.split(':')[1]));
  }, 60_000);

  it('a Go joiner refused by a hearsay seed gets the refusal as its Join error; an admitted one joins', async () => {
    const seed = await startHearsay({ name: 'hk-hseed', admission: { admit: (m) => m.name !== 'hk-go-bad' || 'hk-go-bad is banned' } });
    const bad = await startGoPeer({ name: 'hk-go-bad' });
    await expect(bad.join([seed.addr])).rejects.toThrow(/join refused by admission: member "hk-go-bad" .*hk-go-bad is banned/);
    expect(seed.node.members().map((m) => m.name)).toEqual(['hk-hseed']);
    const good = await startGoPeer({ name: 'hk-go-good' });
    expect(await good.join([seed.addr])).toBe(1);
    await waitUntil(() => seed.node.members().some((m) => m.name === 'hk-go-good'), STEP_MS, 'the admitted Go joiner at the hearsay seed');
  }, 60_000);
});
