import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseHostPort } from '../../src/address.js';
import { readAll, transportContract, waitFor, withDeadline } from '../../src/testing/contract.js';
import type { StreamConnection, TransportHandlers } from '../../src/transport/transport.js';
import { UdpTransport, type UdpTransportOptions } from '../../src/transport/udp.js';

/** Whether this machine can bind the IPv6 loopback (containers often can't). */
async function canBindIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp6');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(0, '::1', () => {
      socket.close();
      resolve(true);
    });
  });
}
const hasIPv6 = await canBindIPv6Loopback();

transportContract('UdpTransport on 127.0.0.1', async () => ({
  a: new UdpTransport({ bind: '127.0.0.1:0' }),
  b: new UdpTransport({ bind: '127.0.0.1:0' }),
  cleanup: async () => {},
}));

if (hasIPv6) {
  transportContract('UdpTransport on [::1]', async () => ({
    a: new UdpTransport({ bind: '[::1]:0' }),
    b: new UdpTransport({ bind: '[::1]:0' }),
    cleanup: async () => {},
  }));
} else {
  // Reason: some sandboxes have no IPv6 loopback; the IPv4 contract above still runs. Shown as a
  // skip (not silently dropped) so a machine without ::1 is visible in the report.
  it.skip('UdpTransport on [::1]: skipped, this machine cannot bind the IPv6 loopback', () => {});
}

/** Collects what a started transport delivers. */
function recorder(): { handlers: TransportHandlers; datagrams: { from: string; bytes: Uint8Array }[]; streams: StreamConnection[]; errors: Error[] } {
  const datagrams: { from: string; bytes: Uint8Array }[] = [];
  const streams: StreamConnection[] = [];
  const errors: Error[] = [];
  return {
    datagrams,
    streams,
    errors,
    handlers: {
      onDatagram: (from, bytes) => void datagrams.push({ from, bytes }),
      onStream: (s) => void streams.push(s),
      onError: (e) => void errors.push(e),
    },
  };
}

describe('UdpTransport specifics', () => {
  const open: UdpTransport[] = [];
  const make = (options: UdpTransportOptions): UdpTransport => {
    const t = new UdpTransport(options);
    open.push(t);
    return t;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
  });

  it('validates options synchronously and does no I/O in the constructor', () => {
    expect(() => new UdpTransport({ bind: 'localhost:7946' })).toThrow(expect.objectContaining({ code: 'HEARSAY_INVALID_OPTIONS', field: 'bind' }));
    expect(() => new UdpTransport({ bind: '127.0.0.1:0', advertise: 'nope' })).toThrow(expect.objectContaining({ field: 'advertise' }));
    expect(() => new UdpTransport({ bind: '127.0.0.1:0', udpReceiveBufferBytes: 0 })).toThrow(expect.objectContaining({ field: 'udpReceiveBufferBytes' }));
    const t = new UdpTransport({ bind: '127.0.0.1:0', advertise: '10.0.0.5:7946' });
    expect(t.localAddress).toBe('127.0.0.1:0');
    expect(t.advertiseAddress).toBe('10.0.0.5:7946');
  });

  it('listens for UDP and TCP on the same port and gets a large receive buffer', async () => {
    const t = make({ bind: '127.0.0.1:0' });
    await t.start(recorder().handlers);
    const { port } = parseHostPort(t.localAddress)!;
    const socket = net.connect({ host: '127.0.0.1', port });
    await withDeadline(new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject)), 5_000, 'TCP connect');
    socket.destroy();
    expect(t.udpReceiveBufferBytes).toBeGreaterThan(0);
    expect(t.mtu).toBe(65_507);
  });

  it('rejects with HEARSAY_TRANSPORT when the port is taken, and can start again later', async () => {
    const first = make({ bind: '127.0.0.1:0' });
    await first.start(recorder().handlers);
    const second = make({ bind: first.localAddress });
    await expect(second.start(recorder().handlers)).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT', cause: expect.objectContaining({ code: 'EADDRINUSE' }) });
    await first.close();
    await second.start(recorder().handlers);
    expect(second.localAddress).toBe(first.localAddress);
  });

  it('start rejects with HEARSAY_ABORT on an aborted signal and with HEARSAY_STATE when called twice', async () => {
    const reason = new Error('stop');
    const t = make({ bind: '127.0.0.1:0' });
    await expect(t.start(recorder().handlers, { signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ code: 'HEARSAY_ABORT', cause: reason });
    await t.start(recorder().handlers);
    await expect(t.start(recorder().handlers)).rejects.toMatchObject({ code: 'HEARSAY_STATE' });
  });

  it('a wildcard bind reports the wildcard host with the real port', async () => {
    const t = make({ bind: '0.0.0.0:0' });
    await t.start(recorder().handlers);
    const hp = parseHostPort(t.localAddress)!;
    expect(hp.host).toBe('0.0.0.0');
    expect(hp.port).toBeGreaterThan(0);
    expect(t.advertiseAddress).toBe(t.localAddress);
  });

  it('an IPv4 socket rejects an IPv6 destination with HEARSAY_TRANSPORT', async () => {
    const t = make({ bind: '127.0.0.1:0' });
    await t.start(recorder().handlers);
    await expect(t.send('[::1]:9', new Uint8Array(1))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
    await expect(t.send('not-an-address', new Uint8Array(1))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
  });

  it('a dial to a port nobody listens on is refused (refused: true); other dial failures are not', async () => {
    const a = make({ bind: '127.0.0.1:0' });
    const b = make({ bind: '127.0.0.1:0' });
    await a.start(recorder().handlers);
    await b.start(recorder().handlers);
    const gone = b.localAddress;
    await b.close();
    await expect(a.dial(gone, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT', refused: true });
    await expect(a.dial('not-an-address', { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT', refused: false });
    // A process that is alive but not running (SIGSTOP, a full event loop) still has its kernel
    // accept: a listener that never reads completes the dial, so it is never taken for a crash.
    const idle = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve) => idle.listen(0, '127.0.0.1', resolve));
    const { port } = idle.address() as net.AddressInfo;
    try {
      const conn = await a.dial(`127.0.0.1:${port}`, { timeoutMs: 5_000 });
      conn.destroy();
    } finally {
      idle.close();
    }
  });

  it('an oversize datagram rejects with HEARSAY_TRANSPORT (EMSGSIZE)', async () => {
    const t = make({ bind: '127.0.0.1:0' });
    await t.start(recorder().handlers);
    await expect(t.send(t.localAddress, new Uint8Array(t.mtu + 1))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
  });

  it('dual-stack [::] talks to IPv4 peers and reports them as plain IPv4, not ::ffff:', { skip: !hasIPv6 }, async () => {
    const dual = make({ bind: '[::]:0' });
    const v4 = make({ bind: '127.0.0.1:0' });
    const rd = recorder();
    const r4 = recorder();
    await dual.start(rd.handlers);
    await v4.start(r4.handlers);
    const port = parseHostPort(dual.localAddress)!.port;
    expect(dual.localAddress).toBe(`[::]:${port}`);
    expect(dual.mtu).toBe(65_507);
    await v4.send(`127.0.0.1:${port}`, new TextEncoder().encode('hi'));
    await waitFor(() => rd.datagrams.length > 0, 5_000, 'datagram at the dual-stack node');
    expect(rd.datagrams[0]!.from).toBe(v4.localAddress);
    await dual.send(rd.datagrams[0]!.from, new TextEncoder().encode('back'));
    await waitFor(() => r4.datagrams.length > 0, 5_000, 'reply at the IPv4 node');
    expect(r4.datagrams[0]!.from).toBe(`127.0.0.1:${port}`);
    const conn = await v4.dial(`127.0.0.1:${port}`, { timeoutMs: 5_000 });
    await waitFor(() => rd.streams.length > 0, 5_000, 'stream at the dual-stack node');
    expect(rd.streams[0]!.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    conn.destroy();
  });

  it('a specific IPv6 bind has the IPv6 MTU', { skip: !hasIPv6 }, async () => {
    const t = make({ bind: '[::1]:0' });
    await t.start(recorder().handlers);
    expect(t.mtu).toBe(65_527);
    expect(t.localAddress).toMatch(/^\[::1\]:\d+$/);
  });

  it('delivers datagrams as plain Uint8Arrays, not Buffers', async () => {
    const t = make({ bind: '127.0.0.1:0' });
    const r = recorder();
    await t.start(r.handlers);
    await t.send(t.localAddress, new Uint8Array([1, 2, 3]));
    await waitFor(() => r.datagrams.length > 0, 5_000, 'datagram to self');
    expect(Buffer.isBuffer(r.datagrams[0]!.bytes)).toBe(false);
    expect([...r.datagrams[0]!.bytes]).toEqual([1, 2, 3]);
  });

  it('moves 8 MiB over a stream intact while the reader lags (backpressure)', async () => {
    const a = make({ bind: '127.0.0.1:0' });
    const b = make({ bind: '127.0.0.1:0' });
    const rb = recorder();
    await a.start(recorder().handlers);
    await b.start(rb.handlers);
    const conn = await a.dial(b.localAddress, { timeoutMs: 5_000 });
    const total = 8 * 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024);
    const writing = (async () => {
      for (let sent = 0; sent < total; sent += chunk.length) {
        chunk.fill((sent / chunk.length) & 0xff);
        await conn.write(chunk);
      }
      await conn.end();
    })();
    await waitFor(() => rb.streams.length > 0, 5_000, 'inbound stream');
    let received = 0;
    let isIntact = true;
    for await (const part of rb.streams[0]!) {
      for (let i = 0; i < part.length; i++) {
        if (part[i] !== (Math.floor((received + i) / chunk.length) & 0xff)) isIntact = false;
      }
      received += part.length;
      await new Promise((resolve) => setImmediate(resolve)); // a slow consumer
    }
    await withDeadline(writing, 10_000, 'writer');
    expect(received).toBe(total);
    expect(isIntact).toBe(true);
  }, 30_000);

  it('a fatal socket error closes the transport and reaches onError once', async () => {
    const t = make({ bind: '127.0.0.1:0' });
    const r = recorder();
    await t.start(r.handlers);
    // White box: no real fault can be provoked on loopback, so raise the socket's own 'error' event.
    (t as unknown as { udp: dgram.Socket }).udp.emit('error', new Error('boom'));
    await waitFor(() => r.errors.length > 0, 5_000, 'onError');
    expect(r.errors[0]).toMatchObject({ code: 'HEARSAY_TRANSPORT', cause: expect.objectContaining({ message: 'boom' }) });
    await expect(t.send(t.localAddress, new Uint8Array(1))).rejects.toMatchObject({ code: 'HEARSAY_TRANSPORT' });
    expect(r.errors).toHaveLength(1);
  });

  it('a reply stream can be consumed after the peer already closed (no data lost after FIN)', async () => {
    const a = make({ bind: '127.0.0.1:0' });
    const b = make({ bind: '127.0.0.1:0' });
    const rb = recorder();
    await a.start(recorder().handlers);
    await b.start(rb.handlers);
    const conn = await a.dial(b.localAddress, { timeoutMs: 5_000 });
    let isClosed = false;
    (conn as unknown as { socket: net.Socket }).socket.once('close', () => (isClosed = true));
    await conn.end();
    await waitFor(() => rb.streams.length > 0, 5_000, 'inbound stream');
    const server = rb.streams[0]!;
    await server.write(new TextEncoder().encode('late reply'));
    await server.end();
    await withDeadline(readAll(server), 5_000, 'server sees end');
    // Both sides have ended, so the socket closes; the unread reply must survive that.
    await waitFor(() => isClosed, 5_000, "client socket's close event");
    expect(new TextDecoder().decode(await readAll(conn))).toBe('late reply');
  });
});
