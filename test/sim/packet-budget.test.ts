import { describe, expect, it } from 'vitest';
import { Simulator } from '../../src/testing/simulator.js';

/**
 * memberlist subtracts label and encryption overhead from `UDPBufferSize` before packing gossip;
 * so does hearsay (`packetOverhead` in src/runtime/core-config.ts). Without that, sealed gossip overflowed the
 * budget (453 of 717 datagrams over 1,405 bytes in a 5-node loopback cluster under metadata
 * churn). The simulated nodes seal exactly as real ones, so the sizes seen here are the sizes a
 * socket would send. test/integration/packet-budget.test.ts checks the same on real sockets.
 */
describe('gossip with encryption and a label stays within the packet budget', () => {
  it('sends no datagram over 1,400 bytes plus the 5-byte CRC header under metadata churn and broadcasts', async () => {
    const sim = new Simulator({ seed: 5, node: { secretKeys: [new Uint8Array(16).fill(1)], label: 'budget-test-cluster' } });
    const names = ['b0', 'b1', 'b2', 'b3', 'b4'];
    for (const name of names) await sim.addNode(name);
    for (const name of names.slice(1)) sim.join(name, 'b0');
    expect(await sim.runUntil(() => sim.allSee(5), 30_000)).toBe(true);
    const sizes: number[] = [];
    sim.network.tap = (_from, _to, _type, bytes) => sizes.push(bytes);
    // Metadata near memberlist's 512-byte cap makes each alive ~570 bytes, so a packet holds two;
    // max-size user broadcasts fill whatever is left.
    const big = (i: number, n: number) => ({ blob: String(i % 10).repeat(440), n: String(n) });
    for (let round = 0; round < 40; round++) {
      for (const [i, name] of names.entries()) {
        sim.setMetadata(name, big(i, round));
        const node = sim.node(name);
        // The largest broadcast that fits: 1,400 − label (2 + 19) − encryption (29) − 5.
        node.broadcast(new Uint8Array(1345).fill(round));
        node.broadcast(new Uint8Array(300).fill(i));
      }
      await sim.runFor(250);
    }
    await sim.runFor(5_000);
    expect(sizes.length).toBeGreaterThan(1000);
    const over = sizes.filter((s) => s > 1405);
    expect(over, `largest ${Math.max(...sizes)}`).toEqual([]);
    // The churn really filled packets to the budget.
    expect(Math.max(...sizes)).toBeGreaterThan(1300);
  }, 60_000);
});
