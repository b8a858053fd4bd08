/**
 * Digest push/pull over real sockets (issue 12, item 2): three nodes on 127.0.0.1, two with the
 * option on (digest exchanges between them) and one with it off (memberlist's push/pull with it,
 * never a digest message), plus a hostile digest frame that is dropped and counted.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { StreamDecoder } from '../../src/wire/stream.js';
import { METRIC, type MetricLabels, type Metrics } from '../../src/observability.js';
import { startNode, waitUntil, type TestNode } from './helpers.js';

/** Sums metric increments by name and `type` / `reason` label. */
class Counter implements Metrics {
  private readonly totals = new Map<string, number>();
  increment(name: string, by = 1, labels?: MetricLabels): void {
    const key = `${name}|${labels?.['type'] ?? labels?.['reason'] ?? ''}`;
    this.totals.set(key, (this.totals.get(key) ?? 0) + by);
  }
  gauge(): void {}
  observe(): void {}
  get(name: string, label = ''): number {
    return this.totals.get(`${name}|${label}`) ?? 0;
  }
}

const started: TestNode[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
});

describe('digest push/pull on real sockets', () => {
  it('runs digest exchanges between capable nodes, full push/pull with a node that has it off, and drops a bad frame', async () => {
    const m = [new Counter(), new Counter(), new Counter()];
    const opts = (i: number): object => ({ metrics: m[i], pushPullIntervalMs: 300, digestPushPull: i < 2 });
    for (let i = 0; i < 3; i++) started.push(await startNode(`dg-${i}`, opts(i)));
    const [a, b, c] = started as [TestNode, TestNode, TestNode];
    const seed = a.node.localMember.address;
    await b.node.join([seed]);
    await c.node.join([seed]);
    await waitUntil(() => started.every((t) => t.node.size === 3), 10_000, 'three nodes to converge');
    const sent = (i: number, type: string): number => m[i]!.get(METRIC.messagesSent, type);
    const received = (i: number, type: string): number => m[i]!.get(METRIC.messagesReceived, type);
    // a and b exchange digests both ways; each reply is read by the initiator.
    await waitUntil(() => sent(0, 'digest-request') >= 2 && sent(1, 'digest-request') >= 2 && received(0, 'digest-reply') >= 2 && received(1, 'digest-reply') >= 2, 15_000, 'digest exchanges between a and b');
    // c has the option off: it never sees a digest message, and pushes and pulls in full as memberlist.
    await waitUntil(() => sent(2, 'push-pull') >= 3 && received(0, 'push-pull') + received(1, 'push-pull') >= 3, 15_000, 'full push/pulls with c');
    for (const type of ['digest-request', 'digest-reply', 'digest-entries']) {
      expect(received(2, type)).toBe(0);
      expect(sent(2, type)).toBe(0);
    }
    // The tables agree: a digest exchange between a and b moves no entries leg any more.
    const entries = sent(0, 'digest-entries') + sent(1, 'digest-entries');
    const requests = sent(0, 'digest-request') + sent(1, 'digest-request');
    await waitUntil(() => sent(0, 'digest-request') + sent(1, 'digest-request') >= requests + 4, 15_000, 'four more digest exchanges');
    expect(sent(0, 'digest-entries') + sent(1, 'digest-entries')).toBe(entries);

    // A digest request with 3 buckets (not a power of two): counted, answered with an error, dropped.
    const port = Number(a.node.localMember.address.split(':').at(-1));
    const frame = Uint8Array.of(0xe9, 0, 0, 0, 16, 1, 1, 0, 3, ...new Array<number>(12).fill(0));
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => s.write(frame));
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => chunks.push(d));
      s.on('close', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const d = new StreamDecoder({ expectLabelPreamble: false, limits: DEFAULT_WIRE_LIMITS });
    d.push(reply);
    expect(d.next()).toMatchObject({ kind: 'message', message: { type: 'error' } }); // memberlist's errResp
    await waitUntil(() => m[0]!.get(METRIC.packetsDropped, 'bad-field') >= 1, 5_000, 'the bad frame to be counted');
    expect(a.node.size).toBe(3);
  });
});
