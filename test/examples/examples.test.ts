/**
 * Every example runs as a reader would run it and does what its header says. Each test checks
 * the example's own output (and exit code 0) within a deadline.
 */
import { describe, expect, it } from 'vitest';
import { runExample } from './run.js';

async function ok(file: string, args: readonly string[] = [], timeoutMs?: number): Promise<string> {
  const r = await runExample(file, args, timeoutMs);
  expect(r.code, `examples/${file} exit code\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

describe('examples', () => {
  it('kv-gossip: five nodes replicate feature flags and builds, watch them in order, and all get one reload event', async () => {
    // Its own waits are 30 s each (a loaded CI machine); the process gets room for two of them.
    const out = await ok('kv-gossip.ts', [], 75_000);
    expect(out).toContain('worker-2 sees flags {"flags/dark-mode":"on"}');
    expect(out).toContain('worker-2 sees builds config-1@1.0.0, web-1@1.0.1, web-2@1.0.2, worker-1@1.0.3, worker-2@1.0.4');
    expect(out).toContain('5 nodes got the reload event');
    expect(out).toContain('config-1 watched flags/checkout-v2=on, flags/dark-mode=off, flags/dark-mode=on, flags/checkout-v2=(deleted)');
    expect(out).toContain("every watcher saw the flag changes in the owner's order: true");
  }, 90_000);

  it('basic: two nodes join, see a tag change and a leave', async () => {
    const out = await ok('basic.ts');
    expect(out).toMatch(/alpha: bravo joined from 127\.0\.0\.1:\d+ with tags \{"role":"worker"\}/);
    expect(out).toMatch(/member alpha .* alive/);
    expect(out).toContain('alpha: bravo changed tags {"role":"worker"} -> {"load":"high","role":"worker"}');
    expect(out).toContain('alpha: bravo left');
  });

  it('service-discovery: /peers lists healthy peers by tag, and drops one that left', async () => {
    const out = await ok('service-discovery.ts');
    expect(out).toContain('GET /peers?role=api -> [["api-1","10.0.0.1:8080"],["api-2","10.0.0.2:8080"]]');
    expect(out).toContain('after api-2 left: GET /peers?role=api -> [["api-1","10.0.0.1:8080"]]');
  });

  it('metadata-updates: the watcher sees each tag change with its previous value; oversize is refused', async () => {
    const out = await ok('metadata-updates.ts');
    expect(out).toContain('version: 1.4.0 -> 1.5.0');
    expect(out).toContain('draining: false -> true');
    expect(out).toMatch(/refused: metadata encodes to \d+ bytes, over the limit of 512/);
    expect(out).toContain('web-1 still advertises {"draining":"true","role":"web","version":"1.5.0"}');
  });

  it('encryption: rotates keys without splitting the cluster, then keeps the old key out', async () => {
    const out = await ok('encryption.ts');
    expect(out).toContain('encrypted cluster of 3');
    expect(out).toContain('after rotation: a saw c update its tags');
    expect(out).toContain('intruder with the old key refused');
  });

  it('custom-transport: two nodes run over the counting transport, which counts both ways', async () => {
    const out = await ok('custom-transport.ts');
    const counts = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as Record<string, number>);
    expect(counts).toHaveLength(2);
    for (const c of counts) {
      expect(c.datagramsSent).toBeGreaterThan(0);
      expect(c.datagramBytesReceived).toBeGreaterThan(0);
    }
    // b dialled a for the join's push/pull; a accepted it.
    expect(counts[1]!.streamsOpened).toBeGreaterThanOrEqual(1);
    expect(counts[0]!.streamsAccepted).toBeGreaterThanOrEqual(1);
  });

  it('pino-logging: hearsay logs through pino, with the node name bound by a child logger', async () => {
    const out = await ok('pino-logging.ts');
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { level: number; msg: string; node?: string; seed?: string });
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: 'could not contact seed', node: 'b', seed: '127.0.0.1:1' }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 30, msg: 'joined' }));
  });

  it('prometheus: a scrape shows both nodes’ series under valid names', async () => {
    const out = await ok('prometheus.ts');
    for (const node of ['a', 'b']) {
      expect(out).toMatch(new RegExp(`^hearsay_udp_packets_sent_total\\{node="${node}"\\} [1-9]\\d*$`, 'm'));
      expect(out).toMatch(new RegExp(`^hearsay_members\\{node="${node}",state="alive"\\} 2$`, 'm'));
      expect(out).toMatch(new RegExp(`^hearsay_probe_rtt_milliseconds_count\\{node="${node}"\\} [1-9]`, 'm'));
    }
  });
});
