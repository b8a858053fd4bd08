/**
 * The behaviour every {@link Transport} must have, as a reusable vitest suite, plus the deadline
 * helpers it waits with.
 *
 * This module imports `vitest`: it is a peer dependency of `hearsay/testing` for hosts that run
 * the contract against their own transport.
 * @module
 */
import { describe, expect, it } from 'vitest';
import { bytesEqual, parseHostPort } from '../address.js';
import type { StreamConnection, Transport, TransportHandlers } from '../transport/transport.js';
import { concat } from './bytes.js';
import { waitUntil } from './wait.js';

/** What a contract factory returns: two fresh, **not yet started** transports that can reach each other. */
export interface TransportPair {
  readonly a: Transport;
  readonly b: Transport;
  /** Releases whatever the factory set up besides `a` and `b` (the suite closes those itself). */
  cleanup(): Promise<void>;
}

/** Default deadline of every wait in the suite, ms: generous, since it only matters when something is broken. */
const DEADLINE_MS = 5_000;

/**
 * Resolves once `condition()` is true, checking now and then every `intervalMs` (default 5);
 * rejects with an error naming `what` after `timeoutMs`. The deadline is what keeps a test from
 * sleeping and then asserting. The contract's name for {@link waitUntil} (`hearsay/testing`).
 */
export async function waitFor(condition: () => boolean, timeoutMs: number, what = 'condition', intervalMs = 5): Promise<void> {
  await waitUntil(condition, timeoutMs, what, { pollMs: intervalMs });
}

/** Settles like `promise`, or rejects with an error naming `what` once `timeoutMs` passes first. */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number, what = 'operation'): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Reads `stream` to its end (the peer's `end()`) and returns the bytes, concatenated. */
export async function readAll(stream: StreamConnection): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return concat(...chunks);
}

/** Everything a started transport delivered, kept for assertions. */
class Recorder {
  readonly datagrams: { readonly from: string; readonly bytes: Uint8Array }[] = [];
  readonly streams: StreamConnection[] = [];
  readonly errors: Error[] = [];
  /** When set, the next datagram/stream delivery throws this first (to test handler isolation). */
  throwNext: Error | undefined;
  readonly handlers: TransportHandlers = {
    onDatagram: (from, bytes) => {
      this.datagrams.push({ from, bytes });
      this.throwPending();
    },
    onStream: (stream) => {
      this.streams.push(stream);
      this.throwPending();
    },
    onError: (error) => void this.errors.push(error),
  };

  private throwPending(): void {
    const error = this.throwNext;
    this.throwNext = undefined;
    if (error) throw error;
  }
}

/**
 * Registers, under `describe(name)`, the vitest cases every {@link Transport} must pass: binding,
 * datagrams (round trip, 100 in a row, one of 60 KiB or the MTU), streams (incremental reads,
 * reply after the peer's half-close), dial failure and abort, idempotent close, and isolation
 * from handlers that throw.
 *
 * `factory` is called once per case. On a transport without loss every datagram must arrive:
 * run the suite on a loopback or loss-free network. Traffic goes only between `a` and `b`.
 * Requires `vitest` (a peer dependency of `hearsay/testing`).
 */
export function transportContract(name: string, factory: () => Promise<TransportPair>): void {
  /** Runs `body` with started transports and their recorders, then always closes both and cleans up. */
  const withPair = async (
    body: (ctx: { a: Transport; b: Transport; ra: Recorder; rb: Recorder }) => Promise<void>,
  ): Promise<void> => {
    const { a, b, cleanup } = await factory();
    const ra = new Recorder();
    const rb = new Recorder();
    try {
      await a.start(ra.handlers);
      await b.start(rb.handlers);
      await body({ a, b, ra, rb });
    } finally {
      await Promise.allSettled([a.close(), b.close()]);
      await cleanup();
    }
  };
  const test = (title: string, body: Parameters<typeof withPair>[0]): void => {
    it(title, () => withPair(body), 4 * DEADLINE_MS);
  };

  describe(name, () => {
    test('start binds: localAddress is a host:port with a real port, distinct per transport', async ({ a, b }) => {
      for (const t of [a, b]) {
        const hp = parseHostPort(t.localAddress);
        expect(hp, `localAddress ${t.localAddress}`).toBeDefined();
        expect(hp!.port).toBeGreaterThan(0);
        expect(t.mtu).toBeGreaterThan(0);
      }
      expect(a.localAddress).not.toBe(b.localAddress);
    });

    test('a datagram arrives with its bytes and a `from` the receiver can answer', async ({ a, b, ra, rb }) => {
      await a.send(b.localAddress, bytesOf('ping'));
      await waitFor(() => rb.datagrams.length > 0, DEADLINE_MS, 'ping at b');
      const ping = rb.datagrams[0]!;
      expect(text(ping.bytes)).toBe('ping');
      expect(parseHostPort(ping.from), `from ${ping.from}`).toBeDefined();
      await b.send(ping.from, bytesOf('pong'));
      await waitFor(() => ra.datagrams.length > 0, DEADLINE_MS, 'pong at a');
      expect(text(ra.datagrams[0]!.bytes)).toBe('pong');
    });

    test('100 datagrams sent back to back all arrive', async ({ a, b, rb }) => {
      const sent = Array.from({ length: 100 }, (_, i) => `datagram-${i}`);
      await Promise.all(sent.map((s) => a.send(b.localAddress, bytesOf(s))));
      const seen = (): Set<string> => new Set(rb.datagrams.map((d) => text(d.bytes)));
      await waitFor(() => seen().size >= sent.length, DEADLINE_MS, '100 datagrams at b');
      expect([...seen()].sort()).toEqual([...sent].sort());
    });

    test('a datagram of 60 KiB (or the MTU, if smaller) arrives intact', async ({ a, b, rb }) => {
      const big = pattern(Math.min(60 * 1024, a.mtu, b.mtu));
      await a.send(b.localAddress, big);
      await waitFor(() => rb.datagrams.length > 0, DEADLINE_MS, 'large datagram at b');
      expect(bytesEqual(rb.datagrams[0]!.bytes, big)).toBe(true);
    });

    test('stream: split request read incrementally, reply written and ended, read to the end', async ({ a, b, rb }) => {
      const request = pattern(3 * 1000 + 7);
      const client = await a.dial(b.localAddress, { timeoutMs: DEADLINE_MS });
      for (const part of [request.subarray(0, 1000), request.subarray(1000, 1001), request.subarray(1001)]) {
        await client.write(part);
      }
      await waitFor(() => rb.streams.length > 0, DEADLINE_MS, 'inbound stream at b');
      const server = rb.streams[0]!;
      expect(parseHostPort(server.remoteAddress), `remoteAddress ${server.remoteAddress}`).toBeDefined();
      const reader = server[Symbol.asyncIterator]();
      const received: Uint8Array[] = [];
      let length = 0;
      while (length < request.length) {
        const { done, value } = await withDeadline(reader.next(), DEADLINE_MS, 'request bytes at b');
        if (done) throw new Error(`stream ended after ${length} of ${request.length} bytes`);
        received.push(value);
        length += value.length;
      }
      expect(bytesEqual(concat(...received), request)).toBe(true);
      await server.write(bytesOf('reply'));
      await server.end();
      expect(text(await withDeadline(readAll(client), DEADLINE_MS, 'reply at a'))).toBe('reply');
      await client.end();
      expect((await withDeadline(reader.next(), DEADLINE_MS, 'end at b')).done).toBe(true);
    });

    test('half-close: after a ends, b reads to the end and can still write back', async ({ a, b, rb }) => {
      const client = await a.dial(b.localAddress, { timeoutMs: DEADLINE_MS });
      await client.write(bytesOf('question'));
      await client.end();
      await client.end(); // idempotent
      await waitFor(() => rb.streams.length > 0, DEADLINE_MS, 'inbound stream at b');
      const server = rb.streams[0]!;
      expect(text(await withDeadline(readAll(server), DEADLINE_MS, 'request to its end at b'))).toBe('question');
      await server.write(bytesOf('answer, '));
      await server.write(bytesOf('after your end'));
      await server.end();
      expect(text(await withDeadline(readAll(client), DEADLINE_MS, 'reply at a'))).toBe('answer, after your end');
    });

    test('dial to an address nobody listens on rejects within its timeout', async ({ a, b }) => {
      const gone = b.localAddress;
      await b.close();
      const timeoutMs = 1_000;
      const started = Date.now();
      const error = await a.dial(gone, { timeoutMs }).then(
        (s) => (s.destroy(), undefined),
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: expect.stringMatching(/^HEARSAY_(TRANSPORT|TIMEOUT)$/) });
      expect(Date.now() - started).toBeLessThan(timeoutMs + 1_000);
    });

    test('dial aborted through its signal rejects with HEARSAY_ABORT and the reason as cause', async ({ a, b }) => {
      const reason = new Error('caller gave up');
      const before = AbortSignal.abort(reason);
      await expect(a.dial(b.localAddress, { timeoutMs: DEADLINE_MS, signal: before })).rejects.toMatchObject({
        code: 'HEARSAY_ABORT',
        cause: reason,
      });
      // Aborted after the dial began but before it can have connected (a connection is never synchronous).
      const controller = new AbortController();
      const pending = a.dial(b.localAddress, { timeoutMs: DEADLINE_MS, signal: controller.signal });
      controller.abort(reason);
      await expect(pending).rejects.toMatchObject({ code: 'HEARSAY_ABORT', cause: reason });
    });

    test('close is idempotent; afterwards send, dial and start reject and nothing is delivered', async ({ a, b, ra, rb }) => {
      const target = a.localAddress;
      await Promise.all([a.close(), a.close()]);
      await a.close();
      await expect(a.send(b.localAddress, bytesOf('x'))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
      await expect(a.dial(b.localAddress, { timeoutMs: DEADLINE_MS })).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
      await expect(a.start(ra.handlers)).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
      await b.send(target, bytesOf('too late'));
      // A datagram b sends itself afterwards marks that the network has had time to deliver the first.
      await b.send(b.localAddress, bytesOf('marker'));
      await waitFor(() => rb.datagrams.length > 0, DEADLINE_MS, 'marker at b');
      expect(ra.datagrams).toHaveLength(0);
    });

    test('close tears down open streams: reads throw or end, writes reject', async ({ a, b, rb }) => {
      const client = await a.dial(b.localAddress, { timeoutMs: DEADLINE_MS });
      await waitFor(() => rb.streams.length > 0, DEADLINE_MS, 'inbound stream at b');
      const reader = client[Symbol.asyncIterator]();
      const pendingRead = reader.next();
      await a.close();
      await expect(withDeadline(pendingRead, DEADLINE_MS, 'read on a closed transport')).rejects.toThrow();
      await expect(client.write(bytesOf('x'))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
      // The peer learns of it: its read ends or throws rather than hanging.
      await withDeadline(readAll(rb.streams[0]!).catch(() => undefined), DEADLINE_MS, 'teardown at b');
    });

    test('a handler that throws does not stop later deliveries', async ({ a, b, rb }) => {
      rb.throwNext = new Error('handler bug');
      await a.send(b.localAddress, bytesOf('first'));
      await waitFor(() => rb.datagrams.length >= 1, DEADLINE_MS, 'first datagram at b');
      await a.send(b.localAddress, bytesOf('second'));
      await waitFor(() => rb.datagrams.length >= 2, DEADLINE_MS, 'second datagram at b');
      expect(rb.datagrams.map((d) => text(d.bytes))).toEqual(['first', 'second']);

      rb.throwNext = new Error('stream handler bug');
      const first = await a.dial(b.localAddress, { timeoutMs: DEADLINE_MS });
      await waitFor(() => rb.streams.length >= 1, DEADLINE_MS, 'first stream at b');
      first.destroy();
      const second = await a.dial(b.localAddress, { timeoutMs: DEADLINE_MS });
      await waitFor(() => rb.streams.length >= 2, DEADLINE_MS, 'second stream at b');
      await second.write(bytesOf('still works'));
      await second.end();
      expect(text(await withDeadline(readAll(rb.streams[1]!), DEADLINE_MS, 'data on second stream'))).toBe('still works');
      expect(rb.errors).toHaveLength(0);
    });
  });
}

function bytesOf(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** `n` bytes of a non-repeating-looking pattern, so a lost or reordered chunk shows up as a mismatch. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}
