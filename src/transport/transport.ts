/**
 * The Transport seam: datagrams plus one-exchange byte streams, nothing else.
 *
 * A transport moves bytes; it never parses payloads. Addresses are `host:port` strings (IPv6
 * bracketed). Every implementation passes the shared contract suite in `hearsay/testing`.
 * @module
 */

/** A bidirectional byte stream for one exchange (push/pull, fallback ping, reliable send). */
export interface StreamConnection {
  /** The peer's `host:port` as the socket sees it. */
  readonly remoteAddress: string;
  /**
   * Chunks in arrival order. Iteration ends when the peer half-closes its side, and throws if the
   * connection fails or is destroyed. One consumer only.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
  /** Writes bytes; resolves once handed to the OS (or the simulated peer). Rejects if the connection is gone. */
  write(bytes: Uint8Array): Promise<void>;
  /** Half-closes our side after pending writes: the peer's iterator ends. Idempotent. */
  end(): Promise<void>;
  /** Tears the connection down in both directions at once. Idempotent. */
  destroy(error?: Error): void;
}

/** Callbacks a transport delivers inbound traffic to. Called synchronously from the transport's I/O callbacks. */
export interface TransportHandlers {
  /** One datagram from `from` (`host:port`). The buffer is the receiver's to keep. */
  onDatagram(from: string, bytes: Uint8Array): void;
  /** An accepted inbound stream. The receiver owns it and must end or destroy it. */
  onStream(connection: StreamConnection): void;
  /** A fatal failure after start (the socket closed under us). The transport is unusable afterwards. */
  onError?(error: Error): void;
}

/** Options for {@link Transport.dial}. */
export interface DialOptions {
  /** Give up connecting after this long, ms. */
  readonly timeoutMs: number;
  /** Aborts the dial. */
  readonly signal?: AbortSignal;
}

/** Moves datagrams and streams for one node. */
export interface Transport {
  /**
   * Binds and starts delivering traffic to `handlers`.
   * @throws {TransportError} (rejects) if binding fails.
   */
  start(handlers: TransportHandlers, options?: { signal?: AbortSignal }): Promise<void>;
  /** The bound `host:port` (after `start`: port 0 is resolved to the real port). */
  readonly localAddress: string;
  /** Largest datagram this transport delivers, bytes. */
  readonly mtu: number;
  /**
   * Sends one datagram, best effort. Resolves when handed off; rejects with `TransportError` on a
   * local send error (memberlist ≥ 0.3 counts that as a failed probe).
   */
  send(to: string, bytes: Uint8Array): Promise<void>;
  /**
   * Opens a stream to `to`. Rejects with `TransportError` or `TimeoutError`/`AbortError`. When the
   * peer's host refuses the connection (nothing listens on that port), the `TransportError` has
   * `refused: true`: hearsay shortens a failed member's suspicion on that evidence, so a transport
   * must set it only for a refusal, never for a timeout or an unreachable host.
   */
  dial(to: string, options: DialOptions): Promise<StreamConnection>;
  /** Stops receiving, closes sockets and every open stream. Idempotent. */
  close(): Promise<void>;
}
