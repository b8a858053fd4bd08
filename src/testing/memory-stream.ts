/**
 * TCP-like streams for the in-memory network: ordered, reliable, half-closable, and stalled (not
 * broken) while a partition or block cuts their link, as a real connection would be while TCP
 * retransmits.
 * @module
 */
import { TransportError } from '../errors.js';
import { ChunkQueue } from '../transport/chunk-queue.js';
import type { StreamConnection } from '../transport/transport.js';

/** What a {@link Pipe} needs from the network it runs over. */
export interface PipeEnv {
  /** Runs `fn` after `delayMs` of (real or virtual) time; `to` is the end the segment travels to (the simulator holds it while that node is paused). */
  schedule(fn: () => void, delayMs: number, to: string): void;
  /** One-way latency for the next segment, ms. */
  latency(): number;
  /** Whether `from` can currently reach `to`. */
  isLinkUp(from: string, to: string): boolean;
  /** Remembers a pipe whose head segment waits for its link to come back; the network re-flushes it when faults change. */
  stall(pipe: Pipe): void;
  /** Sees every segment put on the wire (the simulator's traffic counters). */
  sent?(pipe: Pipe, segment: Segment): void;
}

/** What travels through a {@link Pipe}: data, a half-close, or a reset. */
export type Segment =
  | { readonly kind: 'data'; readonly bytes: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'reset' };

/**
 * One direction of a stream. Each segment travels with its own random latency, but segments are
 * released strictly in send order: a segment that arrives early waits for those before it, so
 * jittery latency never reorders a stream (TCP's sequence numbers do the same).
 */
export class Pipe {
  private readonly inFlight: { readonly segment: Segment; hasArrived: boolean }[] = [];

  constructor(
    private readonly env: PipeEnv,
    /** The sending end's address. */
    readonly from: string,
    /** The receiving end's address. */
    readonly to: string,
    private readonly deliver: (segment: Segment) => void,
  ) {}

  /** Puts a segment on the wire. */
  send(segment: Segment): void {
    const entry = { segment, hasArrived: false };
    this.inFlight.push(entry);
    this.env.sent?.(this, segment);
    this.env.schedule(
      () => {
        entry.hasArrived = true;
        this.flush();
      },
      this.env.latency(),
      this.to,
    );
  }

  /** Delivers every arrived segment at the head, in order; stalls while the link is down. */
  flush(): void {
    while (this.inFlight[0]?.hasArrived) {
      if (!this.env.isLinkUp(this.from, this.to)) {
        this.env.stall(this);
        return;
      }
      this.deliver(this.inFlight.shift()!.segment);
    }
  }
}

/**
 * One end of an in-memory stream. Writes resolve once the bytes are on the simulated wire (no
 * backpressure: the peer's unread data is buffered without bound, which tests don't notice).
 * `destroy()` reaches the peer as a reset, in order after the data already sent.
 */
export class MemoryStream implements StreamConnection {
  private readonly queue = new ChunkQueue();
  private out: Pipe | undefined;
  private ending: Promise<void> | undefined;
  private isDestroyed = false;
  private wasReset = false;
  private hasRemoteEnded = false;

  private constructor(
    /** The peer transport's `host:port`. */
    readonly remoteAddress: string,
    private readonly onDone: (stream: MemoryStream) => void,
  ) {}

  /**
   * A connected pair: `[client end, server end]`. `onDone` runs (possibly more than once) when an
   * end is finished: both directions ended, reset, or destroyed.
   */
  static pair(
    env: PipeEnv,
    client: string,
    server: string,
    onClientDone: (stream: MemoryStream) => void,
    onServerDone: (stream: MemoryStream) => void,
  ): [MemoryStream, MemoryStream] {
    const c = new MemoryStream(server, onClientDone);
    const s = new MemoryStream(client, onServerDone);
    c.out = new Pipe(env, client, server, (segment) => s.receive(segment));
    s.out = new Pipe(env, server, client, (segment) => c.receive(segment));
    return [c, s];
  }

  /** Chunks in order; ends at the peer's `end()`, throws after a reset or `destroy()`. One consumer only. */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.queue[Symbol.asyncIterator]();
  }

  /** Copies `bytes` onto the wire. Rejects with {@link TransportError} after `end()`, `destroy()` or a reset. */
  write(bytes: Uint8Array): Promise<void> {
    if (this.isDestroyed || this.wasReset) {
      return Promise.reject(new TransportError(`write to ${this.remoteAddress}: connection is closed`));
    }
    if (this.ending) return Promise.reject(new TransportError(`write to ${this.remoteAddress} after end()`));
    this.out?.send({ kind: 'data', bytes: bytes.slice() });
    return Promise.resolve();
  }

  /** Half-closes: the peer's iterator ends after the data already written. Idempotent. */
  end(): Promise<void> {
    if (this.ending) return this.ending;
    if (this.isDestroyed || this.wasReset) {
      this.ending = Promise.reject(new TransportError(`end ${this.remoteAddress}: connection is closed`));
      this.ending.catch(() => {}); // a caller may ignore end() on a connection it knows is dead
      return this.ending;
    }
    this.out?.send({ kind: 'end' });
    this.ending = Promise.resolve();
    this.checkDone();
    return this.ending;
  }

  /** Tears the stream down: our reads throw `error` (or a {@link TransportError}); the peer sees a reset. Idempotent. */
  destroy(error?: Error): void {
    if (this.isDestroyed) return;
    this.isDestroyed = true;
    this.queue.fail(error ?? new TransportError(`connection to ${this.remoteAddress} was destroyed`), true);
    if (!this.wasReset) this.out?.send({ kind: 'reset' });
    this.onDone(this);
  }

  private receive(segment: Segment): void {
    if (this.isDestroyed) return;
    switch (segment.kind) {
      case 'data':
        this.queue.push(segment.bytes);
        return;
      case 'end':
        this.hasRemoteEnded = true;
        this.queue.end();
        this.checkDone();
        return;
      case 'reset':
        this.wasReset = true;
        this.queue.fail(new TransportError(`connection reset by ${this.remoteAddress}`));
        this.onDone(this);
        return;
    }
  }

  private checkDone(): void {
    if (this.ending && this.hasRemoteEnded) this.onDone(this);
  }
}
