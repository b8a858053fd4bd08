/**
 * The hostile-traffic tests' fixture: a live 3-node cluster on 127.0.0.1 whose node A is
 * attacked (on a {@link WatchedTransport}) while B and C watch, the checks that must hold
 * afterwards, and the UDP attacker with its pacing. Call {@link useHostileFixture} once at the
 * top of a test file: it registers the hooks that catch process-level faults and tear everything
 * down after each test.
 * @module
 */
import dgram from 'node:dgram';
import { afterEach, beforeEach, expect } from 'vitest';
import type { HearsayEvents } from '../../src/events.js';
import { aliveNames, count, startNode, waitUntil, type TestNode } from '../integration/helpers.js';
import { mulberry32, seedFromEnv, type Rng } from './bytes.js';
import { ErrorLog, MetricsRecorder, WatchedTransport } from './observe.js';

/** One seed per test file run (or `HEARSAY_SEED`), printed by every failure. */
export const SEED = seedFromEnv();

/** Attacked node A (instrumented) plus healthy observers B and C. */
export interface Cluster {
  readonly a: TestNode;
  readonly b: TestNode;
  readonly c: TestNode;
  readonly transport: WatchedTransport;
  readonly metrics: MetricsRecorder;
  readonly observerMetrics: readonly MetricsRecorder[];
  readonly logs: readonly ErrorLog[];
  readonly all: readonly TestNode[];
  readonly names: readonly string[];
}

/** Nodes to shut down after the current test. */
export const started: TestNode[] = [];
/** Synchronous teardown (sockets, intervals) for after the current test. */
export const cleanups: (() => void)[] = [];
/** Unhandled rejections and uncaught exceptions seen while a test ran. */
const processFaults: unknown[] = [];
const onProcessFault = (error: unknown): void => {
  processFaults.push(error);
};

/** Registers the per-test hooks: fault capture before, teardown of everything started after. */
export function useHostileFixture(): void {
  beforeEach(() => {
    processFaults.length = 0;
    process.on('unhandledRejection', onProcessFault);
    process.on('uncaughtException', onProcessFault);
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) cleanup();
    await Promise.all(started.splice(0).map((t) => t.node.shutdown()));
    process.off('unhandledRejection', onProcessFault);
    process.off('uncaughtException', onProcessFault);
  });
}

/** Starts A (on a {@link WatchedTransport}), B and C, joins B and C through A, waits for convergence. */
export async function cluster(prefix: string, extraA: Parameters<typeof startNode>[1] = {}): Promise<Cluster> {
  const transport = new WatchedTransport();
  const metrics = new MetricsRecorder();
  const logs = [new ErrorLog(), new ErrorLog(), new ErrorLog()] as const;
  const observerMetrics = [new MetricsRecorder(), new MetricsRecorder()] as const;
  const a = await startNode(`${prefix}-a`, { transport, metrics, logger: logs[0], ...extraA });
  started.push(a);
  const b = await startNode(`${prefix}-b`, { metrics: observerMetrics[0], logger: logs[1] });
  started.push(b);
  const c = await startNode(`${prefix}-c`, { metrics: observerMetrics[1], logger: logs[2] });
  started.push(c);
  await b.node.join([a.node.localMember.address]);
  await c.node.join([a.node.localMember.address]);
  const all = [a, b, c];
  const names = all.map((t) => t.node.options.name).sort();
  await waitUntil(() => all.every((t) => aliveNames(t).join() === names.join()), 15_000, 'the 3-node cluster to converge', () => all.map(aliveNames));
  return { a, b, c, transport, metrics, observerMetrics, logs, all, names };
}

/** `port` of a `host:port`. */
export function portOf(address: string): number {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${address}`);
  return port;
}

/** Everything that must hold after an attack on A (or during, for the parts that can). */
export function expectNothingEscaped(h: Cluster): void {
  expect(h.transport.handlerThrows, "throws escaping A's transport handlers").toEqual([]);
  for (const [i, log] of h.logs.entries()) expect(log.errors, `logger.error lines of ${h.all[i]!.node.options.name}`).toEqual([]);
  expect(h.metrics.dropped('internal-error'), 'internal-error drops at A').toBe(0);
  for (const m of h.observerMetrics) expect(m.dropped('internal-error'), 'internal-error drops at B/C').toBe(0);
  expect(processFaults.map(String), 'unhandled rejections / uncaught exceptions').toEqual([]);
}

/** No node of the cluster declared another one failed or left. */
export function expectNoFailures(h: Cluster, events: readonly (keyof HearsayEvents)[] = ['fail', 'leave']): void {
  for (const t of h.all) {
    for (const other of h.all) {
      if (other === t) continue;
      for (const event of events) {
        expect(count(t, event, other.node.options.name), `${t.node.options.name} saw ${event} of ${other.node.options.name}`).toBe(0);
      }
    }
  }
}

/** All `nodes` see exactly `names` alive, within 15 s. */
export async function expectConverged(nodes: readonly TestNode[], names: readonly string[], what: string): Promise<void> {
  const want = [...names].sort().join();
  await waitUntil(() => nodes.every((t) => aliveNames(t).join() === want), 15_000, what, () =>
    nodes.map((t) => ({ node: t.node.options.name, status: t.node.status, members: t.node.members({ state: 'all' }).map((m) => `${m.name}:${m.state}:${m.incarnation}`) })),
  );
}

/** Runs `body` with a PRNG seeded by {@link SEED}; a failure's message names the seed and the replay command for `file`. */
export async function seeded(file: string, body: (rng: Rng) => Promise<void>): Promise<void> {
  try {
    await body(mulberry32(SEED));
  } catch (error) {
    if (error instanceof Error) error.message = `[seed ${SEED}; replay: HEARSAY_SEED=${SEED} npx vitest run ${file}] ${error.message}`;
    throw error;
  }
}

/** Sends datagrams from one socket on 127.0.0.1 (closed after the test). */
export class UdpAttacker {
  readonly socket = dgram.createSocket('udp4');
  address = '';
  async open(): Promise<void> {
    this.socket.on('message', () => {}); // acks to ghost pings come back here
    this.socket.on('error', () => {});
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${this.socket.address().port}`;
    cleanups.push(() => this.socket.close());
  }
  send(port: number, bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
  }
}

/**
 * Sends `datagrams` to A, paced: a batch of at most ~96 KiB of kernel buffer at a time, then waits
 * until A has read every datagram sent so far. So no datagram is lost in the kernel and the
 * expected drop counts are exact; and if A stops reading, this times out.
 */
export async function paced(attacker: UdpAttacker, h: Cluster, datagrams: readonly Uint8Array[]): Promise<void> {
  const port = portOf(h.transport.localAddress);
  const read = (): number => h.transport.datagramsFrom.get(attacker.address) ?? 0;
  const before = read();
  let sent = 0;
  let i = 0;
  while (i < datagrams.length) {
    const batch: Uint8Array[] = [];
    let budget = 96 * 1024;
    // ~1 KiB of kernel overhead per datagram on loopback (skb truesize).
    while (i < datagrams.length && (batch.length === 0 || budget >= datagrams[i]!.length + 1024)) {
      const d = datagrams[i++]!;
      budget -= d.length + 1024;
      batch.push(d);
    }
    await Promise.all(batch.map((d) => attacker.send(port, d)));
    sent += batch.length;
    await waitUntil(() => read() - before >= sent, 15_000, `A to read ${sent} of ${datagrams.length} hostile datagrams`, () => ({ read: read() - before, sent, status: h.a.node.status }));
  }
}

/** A UDP socket on 127.0.0.1 that reads and ignores everything: an address that never answers. */
export async function silentUdpSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  socket.on('error', () => {});
  socket.on('message', () => {});
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => socket.close());
  return socket;
}

/** A plain delay between retries (not a wait for an outcome: those use `waitUntil`). */
export const retryDelay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
