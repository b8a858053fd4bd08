import { describe, expect, it } from 'vitest';
import { MemoryNetwork, type Scheduler } from '../../src/testing/index.js';
import { readAll, transportContract, waitFor, withDeadline } from '../../src/testing/contract.js';
import type { MemoryTransport } from '../../src/testing/memory-network.js';
import type { StreamConnection, TransportHandlers } from '../../src/transport/transport.js';

transportContract('MemoryTransport', async () => {
  const network = new MemoryNetwork();
  return { a: network.transport(), b: network.transport(), cleanup: async () => {} };
});

transportContract('MemoryTransport with 1–5 ms jitter and duplicates', async () => {
  const network = new MemoryNetwork({ seed: 7, latencyMs: { min: 1, max: 5 }, duplicate: 0.2 });
  return { a: network.transport(), b: network.transport(), cleanup: async () => {} };
});

interface Node {
  readonly transport: MemoryTransport;
  readonly received: string[];
  readonly streams: StreamConnection[];
}

async function node(network: MemoryNetwork, address?: string): Promise<Node> {
  const transport = network.transport(address === undefined ? {} : { address });
  const received: string[] = [];
  const streams: StreamConnection[] = [];
  const handlers: TransportHandlers = {
    onDatagram: (_from, bytes) => void received.push(new TextDecoder().decode(bytes)),
    onStream: (s) => void streams.push(s),
  };
  await transport.start(handlers);
  return { transport, received, streams };
}

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A virtual clock: the scheduler the simulator will inject, run by hand. */
function virtualClock(): { scheduler: Scheduler; runAll(): number; readonly now: number } {
  let now = 0;
  let seq = 0;
  const queue: { due: number; seq: number; fn: () => void }[] = [];
  return {
    scheduler: (fn, delayMs) => void queue.push({ due: now + delayMs, seq: seq++, fn }),
    runAll() {
      let steps = 0;
      while (queue.length > 0) {
        queue.sort((x, y) => x.due - y.due || x.seq - y.seq);
        const next = queue.shift()!;
        now = next.due;
        next.fn();
        steps++;
      }
      return steps;
    },
    get now() {
      return now;
    },
  };
}

describe('MemoryNetwork', () => {
  it('assigns distinct 127.0.0.x addresses and resolves port 0 at start', async () => {
    const network = new MemoryNetwork();
    const [a, b] = [network.transport(), network.transport()];
    expect(a.localAddress).toBe('127.0.0.1:7946');
    expect(b.localAddress).toBe('127.0.0.2:7946');
    const c = network.transport({ address: '10.0.0.1:0' });
    await c.start({ onDatagram() {}, onStream() {} });
    expect(c.localAddress).toMatch(/^10\.0\.0\.1:\d+$/);
    expect(c.localAddress).not.toBe('10.0.0.1:0');
    expect(() => network.transport({ address: 'nope' })).toThrow(expect.objectContaining({ code: 'HEARSAY_INVALID_OPTIONS' }));
    expect(() => new MemoryNetwork({ loss: 2 })).toThrow(expect.objectContaining({ field: 'loss' }));
    expect(() => new MemoryNetwork({ latencyMs: { min: 5, max: 1 } })).toThrow(expect.objectContaining({ field: 'latencyMs' }));
  });

  it('refuses a second bind of a taken address, and lets a restarted node take it back', async () => {
    const network = new MemoryNetwork();
    const first = await node(network, '10.0.0.1:7946');
    const clash = network.transport({ address: '10.0.0.1:7946' });
    await expect(clash.start({ onDatagram() {}, onStream() {} })).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
    await first.transport.close();
    const again = await node(network, '10.0.0.1:7946');
    const peer = await node(network);
    await peer.transport.send('10.0.0.1:7946', bytes('welcome back'));
    await waitFor(() => again.received.length > 0, 2_000, 'datagram at the restarted node');
    expect(again.received).toEqual(['welcome back']);
  });

  it('drops datagrams over the MTU, as a path with that MTU would', async () => {
    const network = new MemoryNetwork({ mtu: 1400 });
    const a = await node(network);
    const b = await node(network);
    await a.transport.send(b.transport.localAddress, new Uint8Array(1401));
    await a.transport.send(b.transport.localAddress, bytes('fits'));
    await waitFor(() => b.received.length > 0, 2_000, 'small datagram');
    expect(b.received).toEqual(['fits']);
    expect(network.stats).toMatchObject({ sent: 2, delivered: 1, dropped: 1 });
  });

  it('a partition drops datagrams both ways between the groups only; heal restores them', async () => {
    const network = new MemoryNetwork();
    const [a, b, c] = [await node(network), await node(network), await node(network)];
    const [A, B, C] = [a, b, c].map((n) => n.transport.localAddress) as [string, string, string];
    network.partition([A], [B]);
    await a.transport.send(B, bytes('a→b cut'));
    await b.transport.send(A, bytes('b→a cut'));
    await a.transport.send(C, bytes('a→c ok'));
    await b.transport.send(C, bytes('b→c ok'));
    await waitFor(() => c.received.length === 2, 2_000, 'both datagrams at c');
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([]);
    expect(network.stats.dropped).toBe(2);
    network.heal();
    await a.transport.send(B, bytes('a→b healed'));
    await waitFor(() => b.received.length > 0, 2_000, 'datagram after heal');
    expect(b.received).toEqual(['a→b healed']);
  });

  it('a dial across a partition times out after timeoutMs; refused is immediate for an unbound address', async () => {
    const network = new MemoryNetwork();
    const [a, b] = [await node(network), await node(network)];
    network.partition([a.transport.localAddress], [b.transport.localAddress]);
    const started = Date.now();
    await expect(a.transport.dial(b.transport.localAddress, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'HEARSAY_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    await expect(a.transport.dial('10.9.9.9:1', { timeoutMs: 5_000 })).rejects.toMatchObject({
      code: 'HEARSAY_TRANSPORT',
      message: expect.stringContaining('connection refused'),
    });
  });

  it('a stream cut by a partition stalls, then resumes intact and in order after heal', async () => {
    // On the virtual clock "nothing arrives" is checkable: run every due event, then look.
    const clock = virtualClock();
    const network = new MemoryNetwork({ latencyMs: { min: 0, max: 3 }, scheduler: clock.scheduler });
    const [a, b] = [await node(network), await node(network)];
    const dialing = a.transport.dial(b.transport.localAddress, { timeoutMs: 2_000 });
    clock.runAll();
    const conn = await dialing;
    expect(b.streams).toHaveLength(1);
    network.partition([a.transport.localAddress], [b.transport.localAddress]);
    for (let i = 0; i < 20; i++) await conn.write(bytes(`${i},`));
    await conn.end();
    const reading = readAll(b.streams[0]!);
    let isDone = false;
    void reading.then(() => (isDone = true));
    clock.runAll();
    await new Promise((resolve) => setImmediate(resolve)); // let promise callbacks run
    expect(isDone).toBe(false);
    network.heal();
    clock.runAll();
    const text = new TextDecoder().decode(await withDeadline(reading, 2_000, 'stream after heal'));
    expect(text).toBe(Array.from({ length: 20 }, (_, i) => `${i},`).join(''));
  });

  it('block drops all traffic to and from a node; unblock restores it', async () => {
    const network = new MemoryNetwork();
    const [a, b, c] = [await node(network), await node(network), await node(network)];
    const [A, B, C] = [a, b, c].map((n) => n.transport.localAddress) as [string, string, string];
    network.block(B);
    await a.transport.send(B, bytes('to blocked'));
    await b.transport.send(A, bytes('from blocked'));
    await expect(a.transport.dial(B, { timeoutMs: 50 })).rejects.toMatchObject({ code: 'HEARSAY_TIMEOUT' });
    await a.transport.send(C, bytes('marker'));
    await waitFor(() => c.received.length > 0, 2_000, 'marker at c');
    expect(a.received).toEqual([]);
    expect(b.received).toEqual([]);
    network.unblock(B);
    await a.transport.send(B, bytes('after unblock'));
    await waitFor(() => b.received.length > 0, 2_000, 'datagram after unblock');
    expect(b.received).toEqual(['after unblock']);
  });

  it('loss is seeded: a fixed seed gives exact, repeatable drop counts', async () => {
    const run = async (seed: number): Promise<string[]> => {
      const network = new MemoryNetwork({ seed, loss: 0.3 });
      const [a, b] = [await node(network), await node(network)];
      for (let i = 0; i < 1000; i++) await a.transport.send(b.transport.localAddress, bytes(String(i)));
      await waitFor(() => network.stats.delivered + network.stats.dropped === 1000, 2_000, 'every datagram settled');
      return b.received;
    };
    const first = await run(42);
    expect(first).toHaveLength(LOSS_SEED_42_DELIVERED);
    expect(await run(42)).toEqual(first);
    expect(await run(43)).not.toEqual(first);
    // Roughly the configured rate, as a sanity check on the generator.
    expect(1 - first.length / 1000).toBeGreaterThan(0.25);
    expect(1 - first.length / 1000).toBeLessThan(0.35);
  });

  it('per-link loss overrides the global rate, most specific rule first', async () => {
    const network = new MemoryNetwork({ loss: 1 });
    const [a, b, c] = [await node(network), await node(network), await node(network)];
    const [A, B, C] = [a, b, c].map((n) => n.transport.localAddress) as [string, string, string];
    network.setLoss(A, B, 0); // only a → b is clean
    network.setLoss(undefined, C, 0.5);
    network.setLoss(A, C, 1);
    await a.transport.send(B, bytes('clean'));
    await b.transport.send(A, bytes('lost'));
    await a.transport.send(C, bytes('lost too'));
    await waitFor(() => b.received.length > 0, 2_000, 'datagram on the clean link');
    await waitFor(() => network.stats.delivered + network.stats.dropped === 3, 2_000, 'all settled');
    expect(b.received).toEqual(['clean']);
    expect(a.received).toEqual([]);
    expect(c.received).toEqual([]);
    network.setLoss(0);
    await b.transport.send(A, bytes('global now 0'));
    await waitFor(() => a.received.length > 0, 2_000, 'datagram after setLoss(0)');
  });

  it('runs entirely on an injected virtual clock, deterministically', async () => {
    const trace = async (): Promise<string[]> => {
      const clock = virtualClock();
      const network = new MemoryNetwork({ seed: 3, latencyMs: { min: 10, max: 50 }, loss: 0.2, scheduler: clock.scheduler });
      const log: string[] = [];
      const a = network.transport();
      const b = network.transport();
      await a.start({ onDatagram: (from, m) => log.push(`${clock.now.toFixed(3)} a<-${from} ${m.length}`), onStream() {} });
      await b.start({ onDatagram: (from, m) => log.push(`${clock.now.toFixed(3)} b<-${from} ${m.length}`), onStream() {} });
      for (let i = 1; i <= 20; i++) {
        await a.send(b.localAddress, new Uint8Array(i));
        await b.send(a.localAddress, new Uint8Array(i));
      }
      expect(log).toEqual([]); // nothing moves until the clock does
      const dialing = a.dial(b.localAddress, { timeoutMs: 1_000 });
      clock.runAll();
      const conn = await dialing;
      expect(conn.remoteAddress).toBe(b.localAddress);
      network.block(b.localAddress);
      const blocked = a.dial(b.localAddress, { timeoutMs: 1_000 });
      const before = clock.now;
      clock.runAll();
      await expect(blocked).rejects.toMatchObject({ code: 'HEARSAY_TIMEOUT' });
      expect(clock.now - before).toBe(1_000);
      return log;
    };
    const first = await trace();
    expect(first.length).toBeGreaterThan(20);
    expect(first.length).toBeLessThan(40);
    expect(await trace()).toEqual(first);
  });

  it('a destroyed stream resets the peer: its reads throw and its writes reject', async () => {
    const network = new MemoryNetwork();
    const [a, b] = [await node(network), await node(network)];
    const conn = await a.transport.dial(b.transport.localAddress, { timeoutMs: 2_000 });
    await waitFor(() => b.streams.length > 0, 2_000, 'inbound stream');
    conn.destroy();
    conn.destroy(); // idempotent
    await expect(withDeadline(readAll(b.streams[0]!), 2_000, 'reset at b')).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
    await expect(b.streams[0]!.write(bytes('x'))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
    await expect(conn.end()).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
  });
});

/**
 * Deliveries out of 1000 at 30 % loss with seed 42 (seededRandom, core/random.ts); changes only if
 * the PRNG or its draw order does. It was 716 while the network drew from its own mulberry32.
 */
const LOSS_SEED_42_DELIVERED = 718;
