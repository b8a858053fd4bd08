/**
 * The read side of a {@link StreamConnection}: a single-consumer async queue of byte chunks.
 *
 * Shared by the socket-backed stream (udp.ts) and the in-memory one (testing/), so both transports
 * end, fail and apply backpressure the same way.
 * @module
 */
import { StateError } from '../errors.js';

/** Hooks a {@link ChunkQueue} calls when the consumer falls behind or catches up. */
export interface ChunkQueueHooks {
  /** Unread bytes reached `highWaterBytes`: stop the source (e.g. `socket.pause()`). */
  readonly onBacklog?: () => void;
  /** Unread bytes fell back under `highWaterBytes`, or the consumer stopped reading: restart the source. */
  readonly onDrain?: () => void;
  /** Unread bytes at which `onBacklog` fires. Default 64 KiB: a few socket reads, so a lagging consumer stalls the sender quickly. */
  readonly highWaterBytes?: number;
}

interface Waiter {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: Error): void;
}

const DEFAULT_HIGH_WATER_BYTES = 64 * 1024;
const DONE: IteratorResult<Uint8Array> = { done: true, value: undefined };

/**
 * A single-consumer async queue of byte chunks with end-of-stream and failure.
 *
 * The producer calls {@link push}, {@link end} or {@link fail}; the consumer iterates once.
 * Ordering: chunks come out in push order, then the end. A failure discards unread chunks (as a
 * TCP reset does) and makes the next read throw. Breaking out of the iteration detaches the
 * consumer: later chunks are discarded and the source is resumed, so the peer never stalls on a
 * reader that has gone away.
 */
export class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private readonly waiters: Waiter[] = [];
  private readonly highWaterBytes: number;
  private queuedBytes = 0;
  private isBacklogged = false;
  private isIterated = false;
  private state: 'open' | 'ended' | 'failed' | 'detached' = 'open';
  private error: Error | undefined;

  constructor(private readonly hooks: ChunkQueueHooks = {}) {
    this.highWaterBytes = hooks.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
  }

  /** True once the end or a failure has been recorded (or the consumer detached). */
  get isClosed(): boolean {
    return this.state !== 'open';
  }

  /** Appends a chunk; ignored once ended, failed or detached. */
  push(chunk: Uint8Array): void {
    if (this.state !== 'open') return;
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve({ done: false, value: chunk });
      return;
    }
    this.chunks.push(chunk);
    this.queuedBytes += chunk.byteLength;
    if (!this.isBacklogged && this.queuedBytes >= this.highWaterBytes) {
      this.isBacklogged = true;
      this.hooks.onBacklog?.();
    }
  }

  /** Records end-of-stream: the consumer gets the queued chunks, then `done`. Ignored unless open. */
  end(): void {
    if (this.state !== 'open') return;
    this.state = 'ended';
    for (const w of this.waiters.splice(0)) w.resolve(DONE);
  }

  /**
   * Records a failure: unread chunks are discarded and the next read throws `error`. Ignored once
   * failed or detached, and after {@link end} unless `evenAfterEnd` (a local destroy): a peer
   * error that follows its FIN must not throw away data that arrived intact.
   */
  fail(error: Error, evenAfterEnd = false): void {
    if (this.state === 'failed' || this.state === 'detached') return;
    if (this.state === 'ended' && !evenAfterEnd) return;
    this.state = 'failed';
    this.error = error;
    this.discard();
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  /**
   * The one iterator over this queue.
   * @throws {StateError} on a second call: a stream has one consumer.
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.isIterated) throw new StateError('a stream connection can be iterated only once');
    this.isIterated = true;
    return {
      next: () => this.next(),
      return: () => {
        this.detach();
        return Promise.resolve(DONE);
      },
    };
  }

  private next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.chunks.shift();
    if (chunk !== undefined) {
      this.queuedBytes -= chunk.byteLength;
      if (this.isBacklogged && this.queuedBytes < this.highWaterBytes) {
        this.isBacklogged = false;
        this.hooks.onDrain?.();
      }
      return Promise.resolve({ done: false, value: chunk });
    }
    if (this.state === 'failed') return Promise.reject(this.error);
    if (this.state !== 'open') return Promise.resolve(DONE);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private detach(): void {
    if (this.state === 'failed') return;
    this.state = 'detached';
    this.discard();
    for (const w of this.waiters.splice(0)) w.resolve(DONE);
  }

  private discard(): void {
    this.chunks.length = 0;
    this.queuedBytes = 0;
    if (this.isBacklogged) {
      this.isBacklogged = false;
      this.hooks.onDrain?.();
    }
  }
}
