/**
 * Issue 11, acceptance 7: three hearsay nodes using the cluster state and events, in one cluster
 * with a real Go memberlist peer and a real `serf agent` (both memberlist v0.2.2; delegate
 * versions 2,5,4 everywhere, as serf requires). The Go and serf logs show no error or warning
 * while hearsay writes, deletes and publishes; membership is unaffected; the hearsay nodes'
 * state converges and every hearsay node gets each event once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { STEP_MS, cleanupAll, requireInterop, startGoPeer, startHearsay, waitUntil, type HearsayHandle } from './harness.js';
import { GoState } from './go-peer.js';
import { startSerfAgent, waitSerfMember } from './serf.js';

const ok = await requireInterop({ go: true, serf: true });
const SERF_DELEGATE = { min: 2, max: 5, version: 4 } as const;
const problem = (line: string): boolean => /\[(ERR|WARN)\]|\bERR\b|\bWARN\b/.test(line);

describe.skipIf(!ok)('cluster state between hearsay nodes beside Go memberlist and serf', () => {
  afterAll(cleanupAll);

  it('hearsay state and events converge; Go and serf log nothing about them and keep their view', async () => {
    const serf = await startSerfAgent({ name: 'st-serf', tags: { role: 'serf' } });
    const go = await startGoPeer({ name: 'st-go', delegateVersions: [2, 5, 4] });
    const hs: HearsayHandle[] = [];
    for (const i of [1, 2, 3]) hs.push(await startHearsay({ name: `st-h${i}`, delegateProtocol: SERF_DELEGATE, metadata: { role: 'hearsay' } }));
    expect(await go.join([serf.bind])).toBe(1);
    // h1 joins through the serf agent, h2 through the Go peer, h3 through h1: alives about hearsay nodes reach some peers only relayed by Go.
    expect((await hs[0]!.node.join([serf.bind])).contacted).toBe(1);
    expect((await hs[1]!.node.join([go.addr])).contacted).toBe(1);
    expect((await hs[2]!.node.join([hs[0]!.addr])).contacted).toBe(1);
    const all = ['st-serf', 'st-go', 'st-h1', 'st-h2', 'st-h3'];
    for (const h of hs) await waitUntil(() => all.every((n) => h.node.members().some((m) => m.name === n && m.state === 'alive')), STEP_MS, () => `${h.name} does not see all five`);
    for (const n of all) await waitSerfMember(serf.rpc, n, (m) => m.status === 'alive', STEP_MS, 'alive');
    const goLogBefore = go.logLines().length;
    const serfLogBefore = serf.log.length;

    const events = new Map(hs.map((h) => [h.name, [] as string[]]));
    for (const h of hs) h.node.on('event', (e) => events.get(h.name)!.push(`${e.from}:${e.name}`));
    for (const h of hs) {
      for (let k = 0; k < 20; k++) h.node.state.set(`key-${k}`, `${h.name}-${k}`);
      h.node.state.delete('key-0');
      h.node.publish('hello', new TextEncoder().encode(h.name));
    }
    const converged = (): boolean =>
      hs.every((viewer) => hs.every((owner) => viewer.node.state.entries(owner.name).length === 19 && viewer.node.state.get('key-7', owner.name) === `${owner.name}-7` && viewer.node.state.get('key-0', owner.name) === undefined));
    await waitUntil(converged, 20_000, () => hs.map((h) => `${h.name}: ${hs.map((o) => h.node.state.entries(o.name).length).join('/')}`).join('; '));
    await waitUntil(() => hs.every((h) => events.get(h.name)!.length === 3), 20_000, () => JSON.stringify([...events]));
    // A few more sync intervals and push/pulls with everything in place.
    await new Promise((r) => setTimeout(r, 5000));
    for (const h of hs) expect(events.get(h.name)!.sort()).toEqual(['st-h1:hello', 'st-h2:hello', 'st-h3:hello']);

    // State traffic sent to a Go node would be logged there ("[ERR] memberlist: msg type (232) not supported").
    expect(go.logLines().slice(goLogBefore).filter(problem), 'Go memberlist ERR/WARN lines').toEqual([]);
    expect(serf.log.slice(serfLogBefore).filter(problem), 'serf ERR/WARN lines').toEqual([]);
    const goMembers = await go.members();
    expect(all.every((n) => goMembers.some((m) => m.name === n && m.state === GoState.alive))).toBe(true);
    for (const n of all) await waitSerfMember(serf.rpc, n, (m) => m.status === 'alive', STEP_MS, 'alive');
  }, 120_000);
});
