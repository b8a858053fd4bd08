/**
 * What a node under attack does, seen from outside its protocol: drops per reason, `logger.error`
 * lines, throws escaping its transport handlers, and every inbound stream it accepted (released
 * or not, stuck in a write or not). Shared by the hostile-traffic tests and the fuzzer.
 * @module
 */
import { METRIC, type LogFields, type Logger, type MetricLabels, type Metrics } from '../../src/observability.js';
import type { StreamConnection, Transport, TransportHandlers } from '../../src/transport/transport.js';
import { UdpTransport } from '../../src/transport/udp.js';

/** A `Metrics` sink that keeps totals per name, and drops per `reason` label. */
export class MetricsRecorder implements Metrics {
  readonly totals = new Map<string, number>();
  readonly drops = new Map<string, number>();
  increment(name: string, by = 1, labels?: MetricLabels): void {
    this.totals.set(name, (this.totals.get(name) ?? 0) + by);
    if (name === METRIC.packetsDropped) {
      const reason = labels?.reason ?? '(no reason)';
      this.drops.set(reason, (this.drops.get(reason) ?? 0) + by);
    }
  }
  gauge(): void {}
  observe(): void {}
  /** Drops counted under `reason` so far. */
  dropped(reason: string): number {
    return this.drops.get(reason) ?? 0;
  }
  /** Drops counted under any reason so far. */
  totalDropped(): number {
    return this.totals.get(METRIC.packetsDropped) ?? 0;
  }
}

/** A logger that keeps `error` lines: hearsay logs at error only for its own bugs (a core step or listener that threw). */
export class ErrorLog implements Logger {
  readonly errors: string[] = [];
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(fields: LogFields, msg: string): void {
    const err = fields.err;
    this.errors.push(`${msg}: ${err instanceof Error ? (err.stack ?? err.message) : JSON.stringify(fields)}`);
  }
}

/** One inbound stream as a node's driver handled it. */
export interface StreamRecord {
  readonly remoteAddress: string;
  /** The driver destroyed it (every path through the driver ends in `destroy`). */
  released: boolean;
  /** When the write the driver is awaiting began; `undefined` while no write is pending. */
  writePendingSince: number | undefined;
  /** Longest time a finished write took to be handed to the kernel, ms. */
  longestWriteMs: number;
  /** A write was still waiting for the kernel when the driver destroyed the stream. */
  writePendingAtRelease: boolean;
}

/** How long `r`'s slowest write has been (or was) waiting for the kernel to take it, ms. */
export function writeStalledMs(r: StreamRecord): number {
  return Math.max(r.longestWriteMs, r.writePendingSince === undefined ? 0 : Date.now() - r.writePendingSince);
}

/**
 * The real `UdpTransport`, wrapped so a test can see what it cannot see through the public API:
 * datagrams delivered per sender (to pace a flood), throws escaping the node's handlers
 * (`UdpTransport` swallows them, so a handler bug would otherwise be invisible), and each inbound
 * stream: whether the driver released (destroyed) it, and whether it is stuck in a write.
 */
export class WatchedTransport implements Transport {
  readonly inner: UdpTransport;
  readonly datagramsFrom = new Map<string, number>();
  readonly handlerThrows: unknown[] = [];
  readonly streams: StreamRecord[] = [];
  /** Keep only this many finished stream records (a fuzz run opens tens of thousands). */
  private readonly keepReleased: number;
  private released = 0;

  constructor(options: { bind?: string; keepReleased?: number } = {}) {
    this.inner = new UdpTransport({ bind: options.bind ?? '127.0.0.1:0' });
    this.keepReleased = options.keepReleased ?? Infinity;
  }

  get localAddress(): string {
    return this.inner.localAddress;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  /** Inbound streams accepted so far. */
  get streamsAccepted(): number {
    return this.streams.length + this.released;
  }
  /** Inbound streams the node accepted and has not destroyed yet. */
  get openStreams(): number {
    return this.streams.filter((r) => !r.released).length;
  }

  start(handlers: TransportHandlers, options?: { signal?: AbortSignal }): Promise<void> {
    const watched: TransportHandlers = {
      onDatagram: (from, bytes) => {
        try {
          handlers.onDatagram(from, bytes);
        } catch (error) {
          this.handlerThrows.push(error);
        }
        this.datagramsFrom.set(from, (this.datagramsFrom.get(from) ?? 0) + 1);
      },
      onStream: (conn) => {
        const record: StreamRecord = { remoteAddress: conn.remoteAddress, released: false, writePendingSince: undefined, longestWriteMs: 0, writePendingAtRelease: false };
        this.streams.push(record);
        const tracked = watchStream(conn, record, () => this.forget(record));
        try {
          handlers.onStream(tracked);
        } catch (error) {
          this.handlerThrows.push(error);
          tracked.destroy();
        }
      },
      ...(handlers.onError ? { onError: handlers.onError } : {}),
    };
    return this.inner.start(watched, options);
  }
  send(to: string, bytes: Uint8Array): Promise<void> {
    return this.inner.send(to, bytes);
  }
  dial(to: string, options: Parameters<Transport['dial']>[1]): Promise<StreamConnection> {
    return this.inner.dial(to, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  /** Bounds memory on long runs: a released record beyond `keepReleased` is only counted. */
  private forget(record: StreamRecord): void {
    if (this.keepReleased === Infinity || this.streams.length <= this.keepReleased) return;
    const i = this.streams.indexOf(record);
    if (i >= 0) {
      this.streams.splice(i, 1);
      this.released++;
    }
  }
}

/** `conn`, keeping `record` up to date: released on the first destroy, and any pending write. */
function watchStream(conn: StreamConnection, record: StreamRecord, onRelease: () => void): StreamConnection {
  return {
    remoteAddress: conn.remoteAddress,
    [Symbol.asyncIterator]: () => conn[Symbol.asyncIterator](),
    write: (bytes) => {
      const since = Date.now();
      record.writePendingSince = since;
      const settled = (): void => {
        record.writePendingSince = undefined;
        record.longestWriteMs = Math.max(record.longestWriteMs, Date.now() - since);
      };
      const written = conn.write(bytes);
      written.then(settled, settled);
      return written;
    },
    end: () => conn.end(),
    destroy: (error?: Error) => {
      if (!record.released) {
        record.writePendingAtRelease = record.writePendingSince !== undefined;
        record.released = true;
        onRelease();
      }
      conn.destroy(error);
    },
  };
}
