/**
 * The `userState` and `ping` hooks in the simulator: real nodes (driver, streams, sealing) on
 * virtual time, so the checks are exact. Every join and anti-entropy exchange carries user state
 * both ways with memberlist's join flags; every direct probe reports a round trip of exactly
 * twice the link latency, with the prober's view of the peer's ack payload, and the smoothed RTT
 * on the snapshots equals it.
 */
import { describe, expect, it } from 'vitest';
import type { HearsayOptions, ProbeResult } from '../../src/index.js';
import { testSeeds, withSeed } from '../../src/testing/seeds.js';
import { Simulator } from '../../src/testing/simulator.js';
import { sealedVariants } from './helpers.js';

const N = 8;
/** One-way latency of every link, ms: fixed, so every round trip is exactly twice it. */
const LATENCY_MS = 7;
const VARIANTS = sealedVariants(testSeeds([5]));

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

interface Merged {
  readonly state: string;
  readonly join: boolean;
}

/** N nodes n0…n{N−1}, each with both hooks, all joined through n0; returns what each hook saw. */
async function hookedCluster(seed: number, node: Partial<HearsayOptions>): Promise<{ sim: Simulator; merged: Map<string, Merged[]>; probes: Map<string, ProbeResult[]> }> {
  const sim = new Simulator({ seed, node, protocol: { pushPullIntervalMs: 5000 }, network: { latencyMs: { min: LATENCY_MS, max: LATENCY_MS } } });
  const merged = new Map<string, Merged[]>();
  const probes = new Map<string, ProbeResult[]>();
  for (let i = 0; i < N; i++) {
    const name = `n${i}`;
    merged.set(name, []);
    probes.set(name, []);
    await sim.addNode(name, {
      options: {
        userState: { local: (join) => utf8(`${name}:${join}`), merge: (remote, join) => merged.get(name)!.push({ state: text(remote), join }) },
        ping: { ackPayload: () => utf8(`ack from ${name}`), onProbe: (r) => probes.get(name)!.push(r) },
      },
    });
  }
  for (let i = 1; i < N; i++) sim.at(sim.now + i * 100, () => sim.join(`n${i}`, 'n0'));
  const ok = await sim.runUntil(() => sim.allSee(N), 30_000, 10);
  if (!ok) throw new Error('cluster did not converge');
  return { sim, merged, probes };
}

describe.each(VARIANTS)('hooks in the simulator (seed $seed, $variant)', ({ seed, node }) => {
  it('carries user state on every join and every anti-entropy exchange, both ways, with memberlist’s join flags', async () => {
    await withSeed(seed, async () => {
      const { sim, merged } = await hookedCluster(seed, node);
      // Joins: the seed merged each joiner's join state; each joiner merged the seed's reply to its join.
      expect(merged.get('n0')!.filter((m) => m.join).map((m) => m.state).sort()).toEqual(Array.from({ length: N - 1 }, (_, i) => `n${i + 1}:true`).sort());
      for (let i = 1; i < N; i++) expect(merged.get(`n${i}`)!.filter((m) => m.join)).toEqual([{ state: 'n0:true', join: true }]);
      // Anti-entropy: a minute of 5 s exchanges reaches every node, in both directions.
      await sim.runFor(60_000);
      for (const [name, seen] of merged) {
        const periodic = seen.filter((m) => !m.join);
        expect(periodic.length, `${name} merged periodic state`).toBeGreaterThan(0);
        // The flag always matches the state the peer built for it, and nobody merges its own.
        expect(periodic.every((m) => /^n\d:false$/.test(m.state) && !m.state.startsWith(`${name}:`))).toBe(true);
      }
    });
  });

  it('reports every direct probe with twice the link latency and the peer’s ack payload; snapshots hold the smoothed RTT', async () => {
    await withSeed(seed, async () => {
      const { sim, probes } = await hookedCluster(seed, node);
      await sim.runFor(20_000); // every node probes every peer (round robin over 7, one a second)
      for (const [name, results] of probes) {
        const probed = new Set(results.map((r) => r.member.name));
        expect(probed.size, `${name} probed every peer`).toBe(N - 1);
        for (const r of results) {
          expect(r.rttMs).toBe(2 * LATENCY_MS);
          expect(text(r.payload)).toBe(`ack from ${r.member.name}`);
        }
        for (const m of sim.node(name).members()) expect(m.rttMs, `${name}'s view of ${m.name}`).toBe(m.name === name ? undefined : 2 * LATENCY_MS);
      }
    });
  });
});
