/**
 * {@link StreamConnection} over a connected `node:net` socket, plus address normalisation shared
 * with the UDP side.
 * @module
 */
import type { Socket } from 'node:net';
import { formatHostPort } from '../address.js';
import { TransportError } from '../errors.js';
import { ChunkQueue } from './chunk-queue.js';
import type { StreamConnection } from './transport.js';

const V4_MAPPED = /^::ffff:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/i;

/**
 * Strips the IPv4-mapped prefix (`::ffff:1.2.3.4` → `1.2.3.4`) that a dual-stack socket reports
 * for IPv4 peers, so the rest of hearsay sees one spelling per peer and can send back to it from
 * either socket family. Other addresses come back unchanged.
 */
export function unmapIPv4(host: string): string {
  return V4_MAPPED.exec(host)?.[1] ?? host;
}

/**
 * A plain `Uint8Array` view of a Buffer's bytes (no copy). Handlers get `Uint8Array`s, not Buffers,
 * because `Buffer#slice` returns a view while `Uint8Array#slice` copies: code written against the
 * interface type must not change meaning depending on which transport delivered the bytes.
 */
export function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/**
 * A {@link StreamConnection} over a connected `net.Socket`.
 *
 * The socket must have been created with `allowHalfOpen: true`, so our side can still write a
 * reply after the peer ends. Reads apply backpressure: the socket is paused while 64 KiB or more
 * sit unread, which lets TCP flow control slow the sender down. Every failure surfaces as a
 * {@link TransportError} whose `cause` is the system error.
 */
export class SocketStream implements StreamConnection {
  /** The peer's `host:port`, IPv4-mapped addresses unmapped. Captured at construction: Node clears it on close. */
  readonly remoteAddress: string;
  private readonly queue: ChunkQueue;
  private ending: Promise<void> | undefined;
  private isDestroyed = false;

  /**
   * Wraps `socket`, which must already be connected. `onClose` runs once when the socket is fully
   * closed (the transport uses it to stop tracking the connection).
   */
  constructor(
    private readonly socket: Socket,
    onClose?: () => void,
  ) {
    this.remoteAddress = formatHostPort(unmapIPv4(socket.remoteAddress ?? '0.0.0.0'), socket.remotePort ?? 0);
    this.queue = new ChunkQueue({ onBacklog: () => socket.pause(), onDrain: () => socket.resume() });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.queue.push(asUint8Array(chunk)));
    socket.on('end', () => this.queue.end());
    // An 'error' listener must always be attached: an unheard socket error would crash the process.
    socket.on('error', (err) => {
      this.queue.fail(new TransportError(`connection to ${this.remoteAddress} failed: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      // A close without 'end' (and without an error event) means the stream was cut short; after
      // 'end' the queue ignores this and the reader still gets every chunk, then `done`.
      this.queue.fail(new TransportError(`connection to ${this.remoteAddress} closed before it ended`));
      onClose?.();
    });
  }

  /** Chunks in arrival order; ends when the peer half-closes, throws on a reset or {@link destroy}. One consumer only. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Writes `bytes`; resolves when Node has handed them to the kernel. Rejects with {@link TransportError}. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.isDestroyed || this.socket.destroyed) {
      return Promise.reject(new TransportError(`write to ${this.remoteAddress}: connection is closed`));
    }
    if (this.ending) return Promise.reject(new TransportError(`write to ${this.remoteAddress} after end()`));
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => {
        if (err) reject(new TransportError(`write to ${this.remoteAddress} failed: ${err.message}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Sends FIN after pending writes; resolves once they are flushed. Idempotent: later calls share the first promise. */
  end(): Promise<void> {
    if (this.ending) return this.ending;
    if (this.isDestroyed || this.socket.destroyed) {
      this.ending = Promise.reject(new TransportError(`end ${this.remoteAddress}: connection is closed`));
      // Mark handled: the caller may well ignore end() on a connection it already knows is dead.
      this.ending.catch(() => {});
      return this.ending;
    }
    this.ending = new Promise((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new TransportError(`end ${this.remoteAddress} failed: ${err.message}`, { cause: err }));
      const onClose = (): void => reject(new TransportError(`end ${this.remoteAddress}: connection closed first`));
      this.socket.once('error', onError);
      this.socket.once('close', onClose);
      // Node calls back with an error if the socket is destroyed before the FIN is flushed.
      const onFinished = (err?: Error | null): void => {
        this.socket.off('error', onError);
        this.socket.off('close', onClose);
        if (err) onError(err);
        else resolve();
      };
      this.socket.end(onFinished as () => void);
    });
    return this.ending;
  }

  /** Destroys the socket in both directions; a pending or later read throws `error` (or a {@link TransportError}). Idempotent. */
  destroy(error?: Error): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    this.queue.fail(error ?? new TransportError(`connection to ${this.remoteAddress} was destroyed`), true);
    this.socket.destroy();
  }
}
