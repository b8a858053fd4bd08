/**
 * Stream conversations for one node: outbound exchanges (push/pull, TCP fallback ping, reliable
 * user messages, joins) and inbound ones served to the core. The only place that frames,
 * seals and reads stream messages, on sockets and in the simulator alike.
 *
 * Every conversation has one deadline on the node's {@link Clock}, covering dial, writes and
 * reads: a peer that stops reading must not hold a write open any more than one that stops
 * writing may hold a read (memberlist sets `conn.SetDeadline(TCPTimeout)` the same way).
 * @module
 */
import { AbortError, RemoteError, TimeoutError, TransportError } from '../errors.js';
import type { Logger, Metrics } from '../observability.js';
import { METRIC } from '../observability.js';
import type { WireLimits } from '../options.js';
import type { StreamConnection, Transport } from '../transport/transport.js';
import type { StreamMessage } from '../wire/messages.js';
import type { PacketSecurity } from '../wire/packet.js';
import { StreamDecoder, encodeStreamMessage, type StreamDecoderOptions } from '../wire/stream.js';
import { deadline, type Clock } from './clock.js';
import type { MessageMetrics } from './message-metrics.js';

/** memberlist's cap on concurrent inbound push/pulls (`maxPushPullRequests`), counted once a request has been read; digest legs count too. */
const MAX_PENDING_PUSH_PULLS = 128;
/**
 * Most inbound streams still sending their request. Beyond it the *oldest* is dropped to make
 * room: legitimate requests arrive in milliseconds, so the oldest is the idle or trickling one,
 * and a peer that opens connections and sends nothing cannot lock joins and push/pulls out.
 */
const MAX_READING_STREAMS = 128;

/** What a {@link StreamService} needs from its node. */
export interface StreamServiceConfig {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Per-type message counters (shared with the driver's datagram path). */
  readonly messages: MessageMetrics;
  readonly security: PacketSecurity;
  /** Encrypt what we write when `security` has a keyring (memberlist `GossipVerifyOutgoing`). Default true. */
  readonly encryptOutgoing?: boolean;
  readonly compress: boolean;
  readonly limits: WireLimits;
  /** Deadline of one inbound conversation, ms (`tcpTimeoutMs`). */
  readonly tcpTimeoutMs: number;
  /** Our own push/pull entry for a peer's entry with the same bytes (`StreamDecoderOptions.knownNode`); optional. */
  readonly knownNode?: StreamDecoderOptions['knownNode'];
  /** Hands a read request to the core; returns the reply to write, if any. */
  readonly serve: (from: string, request: StreamMessage) => StreamMessage | undefined;
}

/** A stream that did not decode; `reason` is the wire decode code, used as the drop metric's label. */
class StreamDecodeError extends RemoteError {
  constructor(
    from: string,
    readonly reason: string,
    detail: string,
  ) {
    super(`bad stream from ${from}: ${reason}: ${detail}`);
  }
}

/** Outbound and inbound stream conversations of one node. */
export class StreamService {
  private readonly open = new Set<StreamConnection>();
  /** Inbound streams still reading their request, oldest first (see {@link MAX_READING_STREAMS}). */
  private readonly reading = new Set<StreamConnection>();
  /** Inbound push/pulls read and not yet answered. */
  private pendingPushPulls = 0;
  private stopped = false;

  constructor(private readonly config: StreamServiceConfig) {}

  /** Destroys every open conversation; later calls are refused. Idempotent. */
  stop(): void {
    this.stopped = true;
    for (const conn of this.open) conn.destroy();
    this.open.clear();
  }

  private encode(message: StreamMessage, labelPreamble: boolean): Uint8Array {
    const s = this.config.security;
    return encodeStreamMessage(message, {
      compress: this.config.compress,
      ...(s.keyring && this.config.encryptOutgoing !== false ? { keyring: s.keyring } : {}),
      ...(s.label ? { label: s.label } : {}),
      encryptionVersion: s.encryptionVersion ?? 1,
      labelPreamble,
    });
  }

  /**
   * One outbound exchange: dial, send `request`, read one reply (none for a user message).
   * Rejects with `TimeoutError`, `AbortError`, `TransportError` or `RemoteError`.
   */
  async exchange(to: string, request: StreamMessage, timeoutMs: number, signal?: AbortSignal): Promise<StreamMessage | undefined> {
    if (this.stopped) throw new TransportError('node is shut down');
    // The core computes deadlines from a fractional monotonic clock; timers want whole ms.
    timeoutMs = Math.max(1, Math.ceil(timeoutMs));
    const limit = deadline(this.config.clock, timeoutMs, () => new TimeoutError(`stream exchange with ${to} timed out after ${timeoutMs} ms`));
    const combined = signal ? AbortSignal.any([signal, limit.signal]) : limit.signal;
    let conn: StreamConnection | undefined;
    let release = (): void => {};
    const began = this.config.clock.now();
    try {
      conn = await this.config.transport.dial(to, { timeoutMs, signal: combined });
      this.config.metrics.increment(METRIC.tcpConnects);
      this.open.add(conn);
      release = destroyOnAbort(conn, combined, timeoutMs);
      await this.write(conn, request, true);
      if (request.type === 'user' || request.type === 'digest-entries') {
        await conn.end(); // one-way: no reply comes
        return undefined;
      }
      const reply = await this.readOne(conn, false);
      if (reply.type === 'error') throw new RemoteError(`remote error: ${reply.error}`, { reply: reply.error });
      if (request.type === 'push-pull') this.config.metrics.observe(METRIC.pushPullDurationSeconds, (this.config.clock.now() - began) / 1000);
      return reply;
    } catch (error) {
      if (combined.aborted && !(error instanceof RemoteError)) {
        if (limit.signal.aborted && !signal?.aborted) throw new TimeoutError(`stream exchange with ${to} timed out after ${timeoutMs} ms`, { cause: error });
        throw new AbortError('stream exchange aborted', { cause: signal?.reason });
      }
      throw error;
    } finally {
      limit.cancel();
      release();
      if (conn) {
        this.open.delete(conn);
        conn.destroy();
      }
    }
  }

  /** Encodes and writes one message, counting it (and our push/pull state's size, memberlist's `size.local`). */
  private async write(conn: StreamConnection, message: StreamMessage, labelPreamble: boolean): Promise<void> {
    const bytes = this.encode(message, labelPreamble);
    const { metrics, messages } = this.config;
    if (messages.enabled) {
      messages.count(METRIC.messagesSent, message.type);
      if (message.type === 'push-pull') metrics.gauge(METRIC.pushPullLocalBytes, bytes.length);
    }
    await conn.write(bytes);
    metrics.increment(METRIC.tcpSentBytes, bytes.length);
  }

  /** Reads exactly one stream message, or rejects. The caller bounds it in time ({@link destroyOnAbort}). */
  private async readOne(conn: StreamConnection, inbound: boolean): Promise<StreamMessage> {
    const s = this.config.security;
    const known = this.config.knownNode;
    const decoder = new StreamDecoder({ ...s, expectLabelPreamble: inbound && s.label !== undefined, limits: this.config.limits, ...(known ? { knownNode: known } : {}) });
    // Iterate by hand: `for await` would call `return()` on exit, closing a connection we
    // still have to write the reply on.
    const chunks = conn[Symbol.asyncIterator]();
    let read = 0;
    for (;;) {
      const { done, value } = await chunks.next();
      if (done) throw new RemoteError(`stream from ${conn.remoteAddress} ended before a complete message`);
      read += value.length;
      decoder.push(value);
      const step = decoder.next();
      if (step.kind === 'message') {
        const { metrics, messages } = this.config;
        if (messages.enabled) {
          messages.count(METRIC.messagesReceived, step.message.type);
          if (step.message.type === 'push-pull') metrics.observe(METRIC.pushPullRemoteBytes, read);
        }
        return step.message;
      }
      if (step.kind === 'error') throw new StreamDecodeError(conn.remoteAddress, step.error.code, step.error.message);
    }
  }

  /** Serves one inbound stream exchange (push/pull, fallback ping, reliable user message). Never throws. */
  serve(conn: StreamConnection): void {
    void this.serveOne(conn);
  }

  private async serveOne(conn: StreamConnection): Promise<void> {
    if (this.stopped) {
      conn.destroy();
      return;
    }
    const { metrics, logger, tcpTimeoutMs, clock } = this.config;
    metrics.increment(METRIC.tcpAccepted);
    if (this.reading.size >= MAX_READING_STREAMS) this.evictOldestReader();
    this.reading.add(conn);
    this.open.add(conn);
    // One deadline for reading the request, writing the reply and ending: a peer that never
    // reads our reply must not hold its stream (and our encoded reply) forever.
    const limit = deadline(clock, tcpTimeoutMs, () => new TimeoutError(`inbound stream timed out after ${tcpTimeoutMs} ms`));
    const release = destroyOnAbort(conn, limit.signal, tcpTimeoutMs);
    let counted = false;
    try {
      let request: StreamMessage;
      try {
        request = await this.readOne(conn, true);
      } catch (error) {
        if (!this.reading.has(conn)) return; // evicted: already counted
        const reason = error instanceof StreamDecodeError ? error.reason : 'bad-stream';
        metrics.increment(METRIC.packetsDropped, 1, { reason });
        logger.debug({ err: error, from: conn.remoteAddress }, 'rejected inbound stream');
        // memberlist answers a failed read with errResp before closing (reference §3.1).
        const text = error instanceof Error ? error.message : String(error);
        await conn.write(this.encode({ type: 'error', error: text }, false)).catch(() => {});
        return;
      } finally {
        this.reading.delete(conn);
      }
      if (request.type === 'push-pull' || request.type === 'digest-request' || request.type === 'digest-entries') {
        if (this.pendingPushPulls >= MAX_PENDING_PUSH_PULLS) {
          // memberlist's answer and wording (net.go, maxPushPullRequests).
          metrics.increment(METRIC.packetsDropped, 1, { reason: 'stream-limit' });
          await conn.write(this.encode({ type: 'error', error: 'Too many pending push/pull requests' }, false)).catch(() => {});
          return;
        }
        this.pendingPushPulls++;
        counted = true;
      }
      const reply = this.stopped ? undefined : this.config.serve(conn.remoteAddress, request);
      if (reply !== undefined) await this.write(conn, reply, false);
      await conn.end();
    } catch (error) {
      logger.debug({ err: error, from: conn.remoteAddress }, 'inbound stream failed');
    } finally {
      limit.cancel();
      release();
      if (counted) this.pendingPushPulls--;
      this.open.delete(conn);
      conn.destroy();
    }
  }

  /** Drops the inbound stream that has waited longest for its request (see {@link MAX_READING_STREAMS}). */
  private evictOldestReader(): void {
    const oldest = this.reading.values().next().value as StreamConnection;
    this.reading.delete(oldest);
    this.config.metrics.increment(METRIC.packetsDropped, 1, { reason: 'stream-evicted' });
    this.config.logger.debug({ from: oldest.remoteAddress }, 'dropped the oldest unfinished inbound stream to make room');
    oldest.destroy(new TransportError('evicted: too many inbound streams still sending their request'));
  }
}

/**
 * Destroys `conn` (pending reads and writes then fail) when `signal` aborts. Returns a function
 * that stops listening; call it once the conversation is over.
 */
function destroyOnAbort(conn: StreamConnection, signal: AbortSignal, timeoutMs: number): () => void {
  const onAbort = (): void => conn.destroy(new TimeoutError(`stream exchange timed out after ${timeoutMs} ms`));
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}
