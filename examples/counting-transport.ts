/**
 * A custom transport: wraps another `Transport` (the UDP one by default) and counts what goes
 * through it, per direction, for bandwidth accounting or a quota. A transport only moves bytes:
 * it never parses them, so any wrapper of this shape (rate limiting, fault injection, a tunnel)
 * keeps hearsay's wire format intact.
 *
 * `counting-transport.contract.ts` runs hearsay's transport contract suite against it; run your
 * own transports through the same suite (`hearsay/testing/contract`).
 */
import { UdpTransport, type DialOptions, type StreamConnection, type Transport, type TransportHandlers } from 'hearsay';

/** What a {@link CountingTransport} has carried so far. */
export interface TrafficCount {
  datagramsSent: number;
  datagramBytesSent: number;
  datagramsReceived: number;
  datagramBytesReceived: number;
  streamsOpened: number;
  streamsAccepted: number;
  streamBytesSent: number;
}

/** Counts datagrams, streams and bytes while delegating everything to `inner`. */
export class CountingTransport implements Transport {
  readonly count: TrafficCount = {
    datagramsSent: 0,
    datagramBytesSent: 0,
    datagramsReceived: 0,
    datagramBytesReceived: 0,
    streamsOpened: 0,
    streamsAccepted: 0,
    streamBytesSent: 0,
  };

  constructor(private readonly inner: Transport) {}

  /** A counting UDP+TCP transport bound to `bind` (`host:port`). */
  static udp(bind: string): CountingTransport {
    return new CountingTransport(new UdpTransport({ bind }));
  }

  get localAddress(): string {
    return this.inner.localAddress;
  }

  get mtu(): number {
    return this.inner.mtu;
  }

  start(handlers: TransportHandlers, options?: { signal?: AbortSignal }): Promise<void> {
    return this.inner.start(
      {
        onDatagram: (from, bytes) => {
          this.count.datagramsReceived++;
          this.count.datagramBytesReceived += bytes.length;
          handlers.onDatagram(from, bytes);
        },
        onStream: (conn) => {
          this.count.streamsAccepted++;
          handlers.onStream(this.counted(conn));
        },
        ...(handlers.onError ? { onError: (error: Error) => handlers.onError!(error) } : {}),
      },
      options,
    );
  }

  async send(to: string, bytes: Uint8Array): Promise<void> {
    await this.inner.send(to, bytes);
    // Counted once handed off: a send that failed locally carried nothing.
    this.count.datagramsSent++;
    this.count.datagramBytesSent += bytes.length;
  }

  async dial(to: string, options: DialOptions): Promise<StreamConnection> {
    const conn = await this.inner.dial(to, options);
    this.count.streamsOpened++;
    return this.counted(conn);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The same connection, with writes counted. Reads pass through untouched. */
  private counted(conn: StreamConnection): StreamConnection {
    const count = this.count;
    return {
      get remoteAddress() {
        return conn.remoteAddress;
      },
      [Symbol.asyncIterator]: () => conn[Symbol.asyncIterator](),
      write: async (bytes) => {
        await conn.write(bytes);
        count.streamBytesSent += bytes.length;
      },
      end: () => conn.end(),
      destroy: (error) => conn.destroy(error),
    };
  }
}
