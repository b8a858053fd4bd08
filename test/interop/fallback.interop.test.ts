/**
 * TCP fallback ping (memberlist protocol ≥ 3) across implementations.
 *
 * A Go peer is made "UDP-deaf": it drops every inbound datagram but keeps TCP and outbound UDP
 * (see `-udp-filter` in peer/main.go). memberlist keeps such a node alive: when the UDP probe and
 * the indirect probes time out, the prober's TCP fallback ping gets an ack over TCP, so it logs
 * "Was able to connect to … but other probes failed" and does NOT suspect. The deaf node's own
 * probes of others succeed the same way (it cannot hear acks, only TCP answers).
 *
 * So, in both directions:
 * - hearsay probing the deaf Go node must fall back to TCP and never emit `fail` (outbound path);
 * - the deaf Go node probing hearsay nodes must get TCP acks from them, so it never accuses them
 *   (inbound path; a failure would show as hearsay `self:refute` events accused by it).
 *
 * This is an absence check over a fixed window (≈ 20 probe intervals), the only way to show
 * "nothing bad happens"; the Go-only baseline runs the same check among Go peers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  FAST,
  STEP_MS,
  cleanupAll,
  describeEvent,
  initialGoMeta,
  requireInterop,
  startGoPeer,
  startMixedCluster,
  waitConverged,
} from './harness.js';

const ok = await requireInterop({ go: true });
const WINDOW_MS = 20 * FAST.probeIntervalMs;

describe.skipIf(!ok)('TCP fallback ping: a UDP-deaf Go peer stays alive in a mixed cluster', () => {
  afterAll(cleanupAll);

  it('hearsay never fails the UDP-deaf Go peer, and the deaf peer never accuses hearsay', async () => {
    const c = await startMixedCluster({ prefix: 'fb', hearsayCount: 2, goCount: 2, hearsayLog: true });
    const deaf = await startGoPeer({ name: 'fb-deaf', meta: initialGoMeta('fb-deaf'), udpFilter: true });
    expect(await deaf.join([c.hearsay[0]!.addr])).toBe(1);
    c.go.push(deaf);
    c.names.push(deaf.name);
    await waitConverged(c, c.names, STEP_MS);

    const hFrom = new Map(c.hearsay.map((h) => [h, h.events.length]));
    const logFrom = new Map(c.hearsay.map((h) => [h, h.logs.length]));
    const gFrom = new Map(c.go.map((g) => [g, g.cursor]));
    await deaf.setUdpDeaf(true);
    await new Promise((r) => setTimeout(r, WINDOW_MS));

    const stats = await deaf.stats();
    expect(stats.udpDropped, 'the deaf peer really dropped datagrams').toBeGreaterThan(0);

    const problems: string[] = [];
    for (const h of c.hearsay) {
      const bad = h.events
        .slice(hFrom.get(h))
        .filter((e) => {
          const p = e.payload as { member?: { name: string }; accuser?: string };
          return (p.member?.name === deaf.name && (e.type === 'fail' || e.type === 'suspect')) || (e.type === 'self:refute' && p.accuser === deaf.name);
        })
        .map(describeEvent);
      if (bad.length > 0) {
        const fallback = h.logs.slice(logFrom.get(h)).filter((l) => /fallback/i.test(l)).slice(0, 5);
        problems.push(`${h.name}: ${bad.join('; ')}\n    hearsay fallback log: ${fallback.join('\n      ') || '(none)'}`);
      }
    }
    for (const g of c.go) {
      if (g === deaf) continue;
      const dead = g.events.slice(gFrom.get(g)).filter((e) => e.event === 'leave' && e.node.name === deaf.name);
      if (dead.length > 0) problems.push(`${g.name}: NotifyLeave(${deaf.name}) state ${dead.map((e) => ('node' in e ? e.node.state : '?')).join(',')}`);
    }
    const deafDepartures = deaf.events.slice(gFrom.get(deaf)).filter((e) => e.event === 'leave');
    if (deafDepartures.length > 0) problems.push(`${deaf.name} declared: ${deafDepartures.map((e) => ('node' in e ? `${e.node.name}(state ${e.node.state})` : '')).join(', ')}`);
    expect(problems, `over ${WINDOW_MS} ms with ${deaf.name} UDP-deaf`).toEqual([]);

    // And memberlist itself did use the fallback against the deaf node (sanity of the setup).
    const goFallbackWarnings = c.go.filter((g) => g !== deaf).flatMap((g) => g.logLines().filter((l) => /Was able to connect to fb-deaf/.test(l)));
    expect(goFallbackWarnings.length, 'Go peers reached the deaf node over TCP fallback').toBeGreaterThan(0);
  }, 90_000);
});
