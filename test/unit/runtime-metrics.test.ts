import { describe, expect, it } from 'vitest';
import { METRIC, type MetricLabels, type Metrics } from '../../src/observability.js';
import { Simulator } from '../../src/testing/simulator.js';

/** Records every metric call. */
class Recorder implements Metrics {
  readonly calls: { kind: string; name: string; value: number; labels: MetricLabels | undefined }[] = [];
  increment(name: string, by = 1, labels?: MetricLabels): void {
    this.calls.push({ kind: 'increment', name, value: by, labels });
  }
  gauge(name: string, value: number, labels?: MetricLabels): void {
    this.calls.push({ kind: 'gauge', name, value, labels });
  }
  observe(name: string, value: number, labels?: MetricLabels): void {
    this.calls.push({ kind: 'observe', name, value, labels });
  }
  total(name: string, type?: string): number {
    return this.calls.filter((c) => c.name === name && (type === undefined || c.labels?.type === type)).reduce((a, c) => a + c.value, 0);
  }
  count(name: string): number {
    return this.calls.filter((c) => c.name === name).length;
  }
}

describe('runtime metrics (memberlist msg.*, tcp.*, push/pull sizes and durations)', () => {
  it('counts messages by type both ways, TCP connects, accepts and bytes, and push/pull sizes', async () => {
    const a = new Recorder();
    const b = new Recorder();
    const sim = new Simulator({ seed: 9, protocol: { pushPullIntervalMs: 2_000 } });
    // memberlist's push/pull both ways (digest push/pull has its own counts, test/sim/digest-push-pull.test.ts).
    await sim.addNode('a', { options: { metrics: a, digestPushPull: false } });
    await sim.addNode('b', { options: { metrics: b, digestPushPull: false } });
    sim.join('b', 'a');
    expect(await sim.runUntil(() => sim.allSee(2), 10_000)).toBe(true);
    sim.setMetadata('a', { v: '2' });
    await sim.runFor(10_000);
    // Datagrams: a's pings are b's received pings, and the other way round for acks.
    expect(a.total(METRIC.messagesSent, 'ping')).toBeGreaterThan(3);
    expect(b.total(METRIC.messagesReceived, 'ping')).toBe(a.total(METRIC.messagesSent, 'ping'));
    expect(a.total(METRIC.messagesReceived, 'ack')).toBe(b.total(METRIC.messagesSent, 'ack'));
    // The metadata change went out as an alive, piggybacked or gossiped (compound parts counted).
    expect(a.total(METRIC.messagesSent, 'alive')).toBeGreaterThan(0);
    expect(b.total(METRIC.messagesReceived, 'alive')).toBeGreaterThan(0);
    // Streams: b's join and the periodic push/pulls.
    expect(b.total(METRIC.tcpConnects)).toBeGreaterThan(0);
    expect(a.total(METRIC.tcpAccepted)).toBeGreaterThan(0);
    // Each side sends one push/pull per exchange it starts and one reply per exchange it serves.
    expect(b.total(METRIC.messagesSent, 'push-pull')).toBe(b.total(METRIC.tcpConnects) + a.total(METRIC.tcpConnects));
    expect(a.total(METRIC.messagesReceived, 'push-pull')).toBeGreaterThan(0);
    expect(b.total(METRIC.tcpSentBytes)).toBeGreaterThan(50);
    expect(b.count(METRIC.pushPullLocalBytes)).toBeGreaterThan(0);
    expect(b.count(METRIC.pushPullRemoteBytes)).toBeGreaterThan(0);
    expect(b.count(METRIC.pushPullDurationSeconds)).toBeGreaterThan(0);
    expect(a.count(METRIC.gossipDurationSeconds)).toBeGreaterThan(0);
    // Core families: every probe's duration, and the queue depths as they change.
    expect(a.count(METRIC.probeDurationSeconds)).toBeGreaterThan(3);
    const depths = a.calls.filter((c) => c.name === METRIC.broadcastQueueDepth && c.labels?.queue === 'membership').map((c) => c.value);
    expect(Math.max(...depths)).toBeGreaterThan(0);
    expect(depths.at(-1)).toBe(0);
  });

  it('counts probes made while the local health score is raised (memberlist degraded.probe)', async () => {
    const a = new Recorder();
    const sim = new Simulator({ seed: 4 });
    await sim.addNode('a', { options: { metrics: a } });
    for (const name of ['b', 'c', 'd']) {
      await sim.addNode(name);
      sim.join(name, 'a');
    }
    expect(await sim.runUntil(() => sim.allSee(4), 10_000)).toBe(true);
    await sim.runFor(5_000);
    expect(a.total(METRIC.degradedProbes)).toBe(0);
    sim.pause('a', 3_000); // a stall: the node blames itself and probes with a raised score
    await sim.runFor(10_000);
    expect(a.total(METRIC.degradedProbes)).toBeGreaterThan(0);
  });
});
