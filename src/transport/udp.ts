/**
 * The default transport: `node:dgram` for datagrams and `node:net` for streams, on one port.
 *
 * Mirrors memberlist's `NetTransport`: UDP and TCP listen on the same port so a peer can reach
 * both through the one address it gossips; a large UDP receive buffer is requested and halved
 * until the OS accepts it; an OS-picked port that TCP finds taken is retried a bounded number of
 * times.
 * @module
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { formatHostPort, parseHostPort, type HostPort } from '../address.js';
import { AbortError, InvalidOptionsError, StateError, TimeoutError, TransportError } from '../errors.js';
import { asUint8Array, SocketStream, unmapIPv4 } from './socket-stream.js';
import type { DialOptions, StreamConnection, Transport, TransportHandlers } from './transport.js';

/** Options for {@link UdpTransport}. */
export interface UdpTransportOptions {
  /**
   * Where to listen, `host:port` with an IP literal (`0.0.0.0:7946`, `[::]:7946`, `127.0.0.1:0`).
   * Port 0 lets the OS pick one free for both UDP and TCP. An IPv6 host selects a `udp6` socket.
   * `::` is meant dual-stack, as Go's listener is, so IPv4 peers can reach it: the TCP listener is
   * made so explicitly (`ipv6Only: false`); the UDP socket follows the OS default, which is
   * dual-stack on Linux unless `net.ipv6.bindv6only=1` (Node cannot clear `IPV6_V6ONLY` on UDP).
   */
  readonly bind: string;
  /**
   * The `host:port` peers should use, when it differs from `bind` (a wildcard bind, NAT). Only
   * validated and handed back through {@link UdpTransport.advertiseAddress}: choosing a
   * routable address for a wildcard bind is the caller's job.
   */
  readonly advertise?: string;
  /** UDP receive buffer to request, bytes; halved until the OS accepts it. Default 2 MiB (memberlist's `udpRecvBufSize`). */
  readonly udpReceiveBufferBytes?: number;
}

/** Largest UDP payload over IPv4: 65535 − 20 (IP header) − 8 (UDP header). */
const MAX_UDP4_PAYLOAD = 65_507;
/** Largest UDP payload over IPv6 without jumbograms: 65535 − 8 (the IPv6 header is not counted). */
const MAX_UDP6_PAYLOAD = 65_527;
const DEFAULT_RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;
/** memberlist's `makeNetRetry` limit for an OS-picked port that TCP cannot take. */
const BIND_ATTEMPTS = 10;

type Phase = 'new' | 'starting' | 'running' | 'closed';

/**
 * A {@link Transport} on a UDP socket plus a TCP server sharing its port.
 *
 * - `localAddress` is the bound `host:port` with the real port; a wildcard bind reports the
 *   wildcard host (`0.0.0.0`, `::`). Before `start` it is the `bind` option as given.
 * - `mtu` is 65507 for an IPv4 bind and for the dual-stack `::` (it may send to IPv4 peers), and
 *   65527 for a specific IPv6 address. Datagrams that size leave the host only if the path allows;
 *   memberlist keeps gossip within 1400 bytes anyway.
 * - Inbound datagrams and accepted streams reach the handlers synchronously from socket
 *   callbacks. Handlers must not throw: an exception there is the caller's bug, and it is
 *   swallowed (a stream whose `onStream` threw is destroyed) so that one bad packet cannot crash
 *   the process from inside a socket callback or stop later deliveries.
 * - A socket error after `start` is fatal: the transport closes and `handlers.onError` is called once.
 */
export class UdpTransport implements Transport {
  private readonly bindAt: HostPort;
  private readonly isIPv6: boolean;
  private readonly requestedReceiveBufferBytes: number;
  private readonly advertise: string | undefined;
  private phase: Phase = 'new';
  private address: string;
  private udp: dgram.Socket | undefined;
  private server: net.Server | undefined;
  private handlers: TransportHandlers | undefined;
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;
  private receiveBufferBytes = 0;

  /**
   * Validates the options; does no I/O.
   * @throws {InvalidOptionsError} if `bind` or `advertise` is not an IP `host:port`, or the buffer size is not a positive integer.
   */
  constructor(options: UdpTransportOptions) {
    const bindAt = parseHostPort(options.bind);
    if (!bindAt) throw new InvalidOptionsError('bind', 'must be an IP host:port, e.g. "0.0.0.0:7946" or "[::1]:0"');
    if (options.advertise !== undefined && !parseHostPort(options.advertise)) {
      throw new InvalidOptionsError('advertise', 'must be an IP host:port');
    }
    const buffer = options.udpReceiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER_BYTES;
    if (!Number.isSafeInteger(buffer) || buffer <= 0) {
      throw new InvalidOptionsError('udpReceiveBufferBytes', 'must be a positive integer number of bytes');
    }
    this.bindAt = bindAt;
    this.isIPv6 = bindAt.host.includes(':');
    this.requestedReceiveBufferBytes = buffer;
    this.advertise = options.advertise;
    this.address = formatHostPort(bindAt.host, bindAt.port);
  }

  /** The bound `host:port` (real port after `start`; the `bind` option before). */
  get localAddress(): string {
    return this.address;
  }

  /** Largest datagram this transport sends or receives, bytes: 65507, or 65527 for a specific IPv6 bind. */
  get mtu(): number {
    return this.isIPv6 && !isWildcard(this.bindAt.host) ? MAX_UDP6_PAYLOAD : MAX_UDP4_PAYLOAD;
  }

  /** The `advertise` option if given, else {@link localAddress} (which may be a wildcard). */
  get advertiseAddress(): string {
    return this.advertise ?? this.address;
  }

  /** The UDP receive buffer the OS granted after `start`, bytes, as it reports it (Linux doubles the figure); 0 before. */
  get udpReceiveBufferBytes(): number {
    return this.receiveBufferBytes;
  }

  /**
   * Binds UDP, then TCP on the same port, and starts delivering to `handlers`.
   * Rejects with {@link TransportError} if binding fails (or the transport was closed),
   * {@link AbortError} if `signal` aborts first, {@link StateError} if called twice.
   */
  async start(handlers: TransportHandlers, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.phase === 'closed') throw new TransportError('transport is closed');
    if (this.phase !== 'new') throw new StateError('transport already started');
    const { signal } = options;
    if (signal?.aborted) throw new AbortError('start aborted', { cause: signal.reason });
    this.phase = 'starting';
    const attempts = this.bindAt.port === 0 ? BIND_ATTEMPTS : 1;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const udp = dgram.createSocket({ type: this.isIPv6 ? 'udp6' : 'udp4' });
      const server = net.createServer({ allowHalfOpen: true, noDelay: true });
      try {
        await listen(udp, server, this.bindAt, signal);
      } catch (error) {
        await Promise.all([closeUdp(udp), closeServer(server)]);
        lastError = error;
        if (error instanceof AbortError || this.wasClosed()) break;
        // Only an OS-picked port is worth another try: the OS may hand out one TCP already uses.
        if (!isAddressInUse(error) || attempt === attempts) break;
        continue;
      }
      if (this.wasClosed()) {
        await Promise.all([closeUdp(udp), closeServer(server)]);
        throw new TransportError('transport was closed during start');
      }
      this.attach(udp, server, handlers);
      return;
    }
    if (this.wasClosed()) throw new TransportError('transport was closed during start');
    this.phase = 'new'; // nothing is bound: the caller may try again
    if (lastError instanceof AbortError) throw lastError;
    const detail = lastError instanceof Error ? lastError.message : String(lastError);
    throw new TransportError(`cannot bind ${this.address}: ${detail}`, { cause: lastError });
  }

  /** Sends one datagram; resolves when the OS took it. Rejects with {@link TransportError} on a bad address, an oversize payload or a send error. */
  send(to: string, bytes: Uint8Array): Promise<void> {
    const udp = this.udp;
    if (this.phase === 'closed') return Promise.reject(new TransportError('transport is closed'));
    if (!udp || this.phase !== 'running') return Promise.reject(new StateError('transport not started'));
    const target = parseHostPort(to);
    if (!target) return Promise.reject(new TransportError(`send: "${to}" is not an IP host:port`));
    const host = this.socketHost(target.host);
    if (host === undefined) {
      return Promise.reject(new TransportError(`send: cannot reach IPv6 ${to} from an IPv4 socket`));
    }
    return new Promise((resolve, reject) => {
      udp.send(bytes, target.port, host, (err) => {
        if (err) reject(new TransportError(`send to ${to} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /**
   * Opens a TCP stream to `to`. Rejects with {@link TimeoutError} after `timeoutMs`,
   * {@link AbortError} (`cause` = `signal.reason`) on abort, {@link TransportError} on refusal
   * (with `refused` set), a bad address, or a closed transport.
   */
  dial(to: string, options: DialOptions): Promise<StreamConnection> {
    if (this.phase === 'closed') return Promise.reject(new TransportError('transport is closed'));
    const target = parseHostPort(to);
    if (!target) return Promise.reject(new TransportError(`dial: "${to}" is not an IP host:port`));
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(`dial ${to} aborted`, { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
      this.sockets.add(socket);
      let isSettled = false;
      const settle = (error?: Error): void => {
        if (isSettled) return;
        isSettled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        socket.off('connect', onConnect).off('error', onFail).off('close', onClose);
        if (!error) return;
        socket.on('error', () => {}); // destroy() below may still emit one; nobody else listens.
        socket.destroy();
        reject(error);
      };
      const onConnect = (): void => {
        settle();
        resolve(new SocketStream(socket, () => this.sockets.delete(socket)));
      };
      // ECONNREFUSED is the peer host's RST: nothing listens there (the core's evidence of a crash).
      const onFail = (err: NodeJS.ErrnoException): void =>
        settle(new TransportError(`dial ${to} failed: ${err.message}`, { cause: err, refused: err.code === 'ECONNREFUSED' }));
      const onClose = (): void => settle(new TransportError(`dial ${to}: transport closed`));
      const onAbort = (): void => settle(new AbortError(`dial ${to} aborted`, { cause: signal?.reason }));
      const timer = setTimeout(() => settle(new TimeoutError(`dial ${to} timed out after ${timeoutMs} ms`)), timeoutMs);
      socket.once('connect', onConnect).once('error', onFail).once('close', onClose);
      socket.once('close', () => this.sockets.delete(socket));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Closes the UDP socket and the TCP server and destroys every open stream. Idempotent; later calls share the first promise. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** A method, not an inline check, because TS narrows `phase` across the awaits in `start`. */
  private wasClosed(): boolean {
    return this.phase === 'closed';
  }

  private async shutdown(): Promise<void> {
    this.phase = 'closed';
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const { udp, server } = this;
    this.udp = undefined;
    this.server = undefined;
    await Promise.all([udp && closeUdp(udp), server && closeServer(server)]);
  }

  private attach(udp: dgram.Socket, server: net.Server, handlers: TransportHandlers): void {
    this.udp = udp;
    this.server = server;
    this.handlers = handlers;
    this.phase = 'running';
    const port = udp.address().port;
    this.address = formatHostPort(this.bindAt.host, port);
    this.receiveBufferBytes = setReceiveBuffer(udp, this.requestedReceiveBufferBytes);
    udp.on('message', (msg, rinfo) => {
      const from = formatHostPort(unmapIPv4(rinfo.address), rinfo.port);
      try {
        handlers.onDatagram(from, asUint8Array(msg));
      } catch {
        // Handlers must not throw (see the class docs); rethrowing here would crash the process.
      }
    });
    server.on('connection', (socket) => {
      if (this.phase !== 'running') {
        socket.destroy();
        return;
      }
      this.sockets.add(socket);
      const stream = new SocketStream(socket, () => this.sockets.delete(socket));
      try {
        handlers.onStream(stream);
      } catch {
        // The receiver never took ownership, so nobody would end this stream: drop it.
        stream.destroy();
      }
    });
    udp.on('error', (err) => this.fail('UDP socket', err));
    server.on('error', (err) => this.fail('TCP listener', err));
  }

  /** A socket failed after start: the transport is unusable, so close it and tell the owner once. */
  private fail(what: string, err: Error): void {
    if (this.phase !== 'running') return;
    const error = new TransportError(`${what} on ${this.address} failed: ${err.message}`, { cause: err });
    void this.close();
    try {
      this.handlers?.onError?.(error);
    } catch {
      // Same rule as the other handlers: never let a handler exception escape a socket callback.
    }
  }

  /**
   * The host to hand `dgram.send`: IPv4 targets go `::ffff:`-mapped through an IPv6 socket (a
   * dual-stack `::` socket reaches them; a specific IPv6 bind gets the OS's error). An IPv6 target
   * from an IPv4 socket is unreachable: `undefined`.
   */
  private socketHost(host: string): string | undefined {
    const targetIsV6 = host.includes(':');
    if (this.isIPv6) return targetIsV6 ? host : `::ffff:${host}`;
    return targetIsV6 ? undefined : host;
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || /^(0{1,4}:){7}0{1,4}$/.test(host);
}

function isAddressInUse(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE';
}

/** Binds `udp` at `at`, then `server` on the port UDP got. Rejects with the system error or an {@link AbortError}. */
async function listen(udp: dgram.Socket, server: net.Server, at: HostPort, signal: AbortSignal | undefined): Promise<void> {
  await whenReady(udp, 'listening', signal, () => udp.bind({ address: at.host, port: at.port, exclusive: true }));
  const port = udp.address().port;
  // ipv6Only false makes a `::` listener dual-stack regardless of the OS default, like Go's.
  await whenReady(server, 'listening', signal, () =>
    server.listen({ host: at.host, port, exclusive: true, ipv6Only: false }),
  );
}

function whenReady(
  emitter: dgram.Socket | net.Server,
  event: 'listening',
  signal: AbortSignal | undefined,
  begin: () => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      emitter.off(event, onReady).off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const onReady = (): void => {
      cleanup();
      resolve();
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAbort = (): void => {
      cleanup();
      reject(new AbortError('start aborted', { cause: signal?.reason }));
    };
    emitter.once(event, onReady).once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    begin();
  });
}

/** memberlist's `setUDPRecvBuf`: ask for `bytes`, halving on refusal. Returns what the OS reports, or 0 if it refused every size (not fatal). */
function setReceiveBuffer(udp: dgram.Socket, bytes: number): number {
  for (let size = bytes; size >= 1; size = Math.floor(size / 2)) {
    try {
      udp.setRecvBufferSize(size);
      return udp.getRecvBufferSize();
    } catch {
      // Refused: try half (Linux silently caps at net.core.rmem_max instead; other OSes refuse).
    }
  }
  return 0;
}

function closeUdp(udp: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      udp.close(() => resolve());
    } catch {
      resolve(); // never bound, or already closed
    }
  });
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  });
}
