import { afterAll, describe, expect, it } from 'vitest';
import { Hearsay, UdpTransport } from '../../src/index.js';
import { FAST, waitUntil } from './helpers.js';

/** A UDP transport that records the size of every datagram it sends. */
class SizeRecordingTransport extends UdpTransport {
  constructor(readonly sizes: number[]) {
    super({ bind: '127.0.0.1:0' });
  }
  override send(to: string, bytes: Uint8Array): Promise<void> {
    this.sizes.push(bytes.length);
    return super.send(to, bytes);
  }
}

const nodes: Hearsay[] = [];
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.shutdown()));
});

/** The real-socket half of test/sim/packet-budget.test.ts: label + encryption overhead comes off the budget before packing. */
describe('encrypted, labelled gossip on real sockets', () => {
  it('never sends a datagram over 1,400 bytes plus the 5-byte CRC header', async () => {
    const sizes: number[] = [];
    const key = new Uint8Array(16).fill(3);
    for (let i = 0; i < 5; i++) {
      const transport = new SizeRecordingTransport(sizes);
      nodes.push(await Hearsay.start({ name: `budget-${i}`, bind: '127.0.0.1:0', ...FAST, compression: false, secretKeys: [key], label: 'budget-test-cluster', transport }));
    }
    const seed = nodes[0]!.localMember.address;
    await Promise.all(nodes.slice(1).map((n) => n.join([seed])));
    await waitUntil(() => nodes.every((n) => n.size === 5), 10_000, 'convergence');
    for (let round = 0; round < 20; round++) {
      for (const [i, node] of nodes.entries()) {
        void node.setMetadata({ blob: String(i).repeat(440), n: String(round) }).catch(() => {});
        // The largest broadcast that fits: 1,400 − label (2 + 19) − encryption (29) − 5.
        node.broadcast(new Uint8Array(1345).fill(round));
        node.broadcast(new Uint8Array(300).fill(i));
      }
      await new Promise((r) => setTimeout(r, 60));
    }
    await waitUntil(() => nodes.every((n) => n.members().every((m) => m.tags?.n === '19')), 10_000, 'the last metadata everywhere');
    expect(sizes.length).toBeGreaterThan(200);
    expect(sizes.filter((s) => s > 1405), `largest ${Math.max(...sizes)}`).toEqual([]);
    expect(Math.max(...sizes)).toBeGreaterThan(1300);
  }, 30_000);
});
