/**
 * The driver: runs a pure `Core` against a real (or virtual) `Clock` and a `Transport`.
 *
 * The only place with timers and promises. Each input (datagram, due timer, stream, host
 * command) is one synchronous core step; after the step the driver drains its effects in order —
 * sends, then stream exchanges, then timer schedules, then events — so host listeners run only
 * once protocol state is consistent (memberlist's "never concurrently" guarantee).
 *
 * Event-loop stalls (Lifeguard, adapted to Node): timers live in one heap behind one host timer.
 * When that timer fires later than `stallThresholdMs` past its due time, the process was stalled
 * (GC, CPU-bound work). libuv runs overdue timers *before* it reads the datagrams that piled up
 * meanwhile, so the driver first tells the core (`noteStall`), which raises this node's own
 * health score and holds failure-deciding timers for a grace window in which the buffered acks
 * and refutations are read. A stalled process therefore blames itself, never a healthy peer.
 * @module
 */
import type { Core } from '../core/core.js';
import { AccumulatingEffects, type CoreEvent, type CoreLogLevel, type Effects } from '../core/effects.js';
import type { Timer } from '../core/timers.js';
import type { Logger, Metrics } from '../observability.js';
import { METRIC } from '../observability.js';
import type { ResolvedOptions } from '../options.js';
import type { StreamConnection, Transport } from '../transport/transport.js';
import { encodeMessage } from '../wire/codec.js';
import type { StreamMessage } from '../wire/messages.js';
import { Keyring } from '../wire/keyring.js';
import { decodePayload, openPacket, sealPacket, type PacketSecurity, type SealOptions } from '../wire/packet.js';
import { PayloadTooLargeError, RemoteError } from '../errors.js';
import type { Clock, TimerHandle } from './clock.js';
import { packetOverhead } from './core-config.js';
import { ACK_FRAMING_BYTES, HostHooks } from './hooks.js';
import { MessageMetrics } from './message-metrics.js';
import { StreamService } from './streams.js';
import { TimerHeap } from './timer-heap.js';

/** A heap entry due within this many ms of the host timer's firing counts as due, ms. */
const EARLY_FIRE_MS = 1;
/** Most timers handled in one host-timer callback, so a timer storm cannot starve I/O. */
const MAX_TIMERS_PER_TICK = 10_000;

/** What a {@link Driver} needs besides the core. */
export interface DriverConfig {
  readonly options: ResolvedOptions;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Receives every core event, in order, after the step that produced it. Must not throw. */
  readonly onEvent: (event: CoreEvent) => void;
  /** The transport failed for good; the node can no longer run. */
  readonly onFatal: (error: Error) => void;
  /**
   * Apply the event-loop stall rule (default true). Off only for the simulator's plain-SWIM
   * comparison runs, which show what Lifeguard adds.
   */
  readonly stallDetection?: boolean;
  /**
   * Receives hearsay's own state datagrams (first byte `E8`, `src/state/codec.ts`) once label,
   * encryption and CRC are peeled, before memberlist's decoder, which does not know the type.
   * Without it they are dropped as unknown messages.
   */
  readonly onStateDatagram?: (from: string, payload: Uint8Array) => void;
}

/** First byte of hearsay's state datagrams (`STATE_MESSAGE_TYPE`); memberlist's types end at 13 (and 244). */
const STATE_DATAGRAM_TYPE = 0xe8;

/** The packet security a node's options ask for on receipt: keyring, label, incoming verification. */
export function packetSecurity(o: ResolvedOptions): PacketSecurity {
  const keyring = o.secretKeys.length > 0 ? new Keyring(o.secretKeys) : undefined;
  const label = o.label === undefined ? undefined : new TextEncoder().encode(o.label);
  return { ...(keyring ? { keyring } : {}), ...(label ? { label } : {}), encryptionVersion: 1, verifyIncoming: !o.allowUnencrypted };
}

/**
 * Effects collected during one step and drained afterwards in a fixed order. Logs and metrics
 * are not queued: they go straight to the host's hooks, which have no ordering contract.
 */
class StepEffects extends AccumulatingEffects {
  constructor(
    private readonly logger: Logger,
    private readonly metricSink: Metrics,
  ) {
    super({ logs: false, metrics: false });
  }
  override log(_level: CoreLogLevel, fields: Readonly<Record<string, unknown>>, msg: string): void {
    this.logger.debug(fields, msg);
  }
  /** Empties the records for reuse by the next step (most are empty: a length write is not free). */
  clear(): void {
    if (this.sends.length > 0) this.sends.length = 0;
    if (this.streams.length > 0) this.streams.length = 0;
    if (this.schedules.length > 0) this.schedules.length = 0;
    if (this.events.length > 0) this.events.length = 0;
  }
  override metric(kind: 'increment' | 'gauge' | 'observe', name: string, value: number, labels?: Readonly<Record<string, string>>): void {
    if (kind === 'increment') this.metricSink.increment(name, value, labels);
    else if (kind === 'gauge') this.metricSink.gauge(name, value, labels);
    else this.metricSink.observe(name, value, labels);
  }
}

/** Runs one core over real (or simulated) I/O. Created and owned by `Hearsay`. */
export class Driver {
  private readonly heap = new TimerHeap<Timer>();
  private hostTimer: TimerHandle | undefined;
  private hostTimerDue = Infinity;
  private stopped = false;
  private readonly security: PacketSecurity;
  /** Seal options for datagrams without and with a CRC (built once: sealing runs per datagram). */
  private readonly seal: readonly [SealOptions, SealOptions];
  private readonly streams: StreamService;
  private readonly messages: MessageMetrics;
  /** The host's `userState` and `ping` hooks, guarded (hooks.ts). */
  private readonly hooks: HostHooks;
  /** A drained effects sink kept for the next step (a step nested in an event listener gets its own). */
  private spare: StepEffects | undefined;
  /** Timer lateness beyond this means the process was stalled, ms (Infinity: rule off). */
  readonly stallThresholdMs: number;
  /** The host timer's callback, made once: the timer is re-armed after most steps. */
  private readonly onHostTimer = (): void => this.fire();

  constructor(
    readonly core: Core,
    private readonly config: DriverConfig,
  ) {
    const o = config.options;
    this.security = packetSecurity(o);
    this.messages = new MessageMetrics(config.metrics);
    this.hooks = new HostHooks({
      userState: o.userState,
      ping: o.ping,
      logger: config.logger,
      metrics: config.metrics,
      maxUserStateBytes: o.maxStreamBytes,
      maxAckPayloadBytes: Math.max(0, o.packetBudgetBytes - packetOverhead(o) - ACK_FRAMING_BYTES),
    });
    // `encryptOutgoing: false` (memberlist `GossipVerifyOutgoing`): seal without the keyring, which
    // still decrypts what arrives.
    const { keyring: _keyring, ...plaintext } = this.security;
    const outgoing = o.encryptOutgoing ? this.security : plaintext;
    this.seal = [
      { compress: o.compression, crc: false, ...outgoing },
      { compress: o.compression, crc: true, ...outgoing },
    ];
    this.streams = new StreamService({
      transport: config.transport,
      clock: config.clock,
      logger: config.logger,
      metrics: config.metrics,
      messages: this.messages,
      security: this.security,
      encryptOutgoing: o.encryptOutgoing,
      compress: o.compression,
      limits: o,
      tcpTimeoutMs: o.tcpTimeoutMs,
      serve: (from, request) => this.serveStream(from, request),
      knownNode: (name, buf, start, end) => this.core.knownPushNode(name, buf, start, end),
    });
    // A fifth of the probe timeout: late enough to ignore ordinary jitter, early enough that a
    // stall which could have eaten an ack window is always noticed.
    this.stallThresholdMs = config.stallDetection === false ? Infinity : Math.max(50, o.probeTimeoutMs / 5);
  }

  /** The keyring in use, if encryption is on (shared so keys can be rotated at run time). */
  get keyring(): Keyring | undefined {
    return this.security.keyring;
  }

  /** Starts the protocol (the owner has already started the transport and routes its traffic here). */
  begin(): void {
    this.step((now, fx) => this.core.start(now, fx));
  }

  /** Stops timers and streams. The transport is closed by the owner. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.hostTimer !== undefined) this.config.clock.clearTimer(this.hostTimer);
    this.hostTimer = undefined;
    this.heap.clear();
    this.streams.stop();
  }

  /** True once {@link stop} ran. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Runs one synchronous core step and drains its effects. Returns what `fn` returned.
   * A throw from the core is a hearsay bug: it is logged and the step's effects are dropped, so a
   * bad packet can at worst be ignored, never crash the host.
   */
  step<T>(fn: (now: number, fx: Effects) => T): T | undefined {
    if (this.stopped) return undefined;
    const now = this.config.clock.now();
    const fx = this.spare ?? new StepEffects(this.config.logger, this.config.metrics);
    this.spare = undefined;
    let result: T;
    try {
      result = fn(now, fx);
      this.drain(now, fx);
    } catch (error) {
      this.config.logger.error({ err: error }, 'hearsay core step threw; input dropped');
      return undefined;
    } finally {
      fx.clear();
      this.spare = fx;
    }
    return result;
  }

  private drain(now: number, fx: StepEffects): void {
    for (const s of fx.sends) this.sendPayload(s.to, s.payload, s.crc);
    for (const s of fx.streams) this.runCoreStream(s.to, s.id, s.request, s.timeoutMs);
    for (const s of fx.schedules) this.heap.push(now + s.afterMs, s.timer);
    // Every step: new timers may be earlier, and the step may have made the earliest stale.
    this.arm();
    // Hook-bound events go to the hooks, in order with the host's events.
    for (const event of fx.events) if (!this.hooks.handle(event)) this.config.onEvent(event);
  }

  /** Wraps an inner message (compress, CRC, encrypt, label) and sends it, best effort. */
  sendPayload(to: string, payload: Uint8Array, crc: boolean): void {
    let datagram: Uint8Array;
    try {
      datagram = sealPacket(payload, this.seal[crc ? 1 : 0]);
      this.messages.sentPayload(payload);
    } catch (error) {
      this.config.logger.error({ err: error, to }, 'failed to seal packet');
      return;
    }
    this.sendDatagram(to, datagram);
  }

  /**
   * Sends one state datagram (`src/state/`): sealed like gossip (CRC, encryption, label) but never
   * compressed, so the receiver finds the state type in the first byte once the packet is opened.
   */
  sendState(to: string, payload: Uint8Array, crc: boolean): void {
    let datagram: Uint8Array;
    try {
      datagram = sealPacket(payload, { ...this.seal[crc ? 1 : 0], compress: false });
    } catch (error) {
      this.config.logger.error({ err: error, to }, 'failed to seal state packet');
      return;
    }
    this.sendDatagram(to, datagram);
  }

  /**
   * A host's user message (`08` + payload) as one datagram: sealing errors throw, and so does a datagram
   * larger than the transport delivers (`transport.mtu`: 65,507 bytes for UDP over IPv4).
   * @throws {PayloadTooLargeError}
   */
  sendUserDatagram(to: string, userPayload: Uint8Array, crc: boolean): void {
    const payload = encodeMessage({ type: 'user', payload: userPayload });
    const datagram = sealPacket(payload, this.seal[crc ? 1 : 0]);
    const mtu = this.config.transport.mtu;
    if (datagram.length > mtu) {
      const overhead = datagram.length - payload.length;
      throw new PayloadTooLargeError('user datagram', datagram.length, mtu, `keep payloads under ${mtu - overhead - 1} bytes here, or use sendReliable()`);
    }
    this.messages.sentPayload(payload);
    this.sendDatagram(to, datagram);
  }

  private sendDatagram(to: string, datagram: Uint8Array): void {
    const { metrics } = this.config;
    metrics.increment(METRIC.packetsSent);
    metrics.increment(METRIC.bytesSent, datagram.length);
    this.config.transport.send(to, datagram).catch((error: unknown) => {
      metrics.increment(METRIC.packetsDropped, 1, { reason: 'send-failed' });
      this.config.logger.debug({ err: error, to }, 'datagram send failed');
    });
  }

  /** Feeds one inbound datagram through the packet pipeline into the core. Never throws. */
  handleDatagram(from: string, bytes: Uint8Array): void {
    if (this.stopped) return;
    const { metrics, logger, options } = this.config;
    metrics.increment(METRIC.packetsReceived);
    metrics.increment(METRIC.bytesReceived, bytes.length);
    const opened = openPacket(bytes, this.security);
    if (!opened.ok) {
      metrics.increment(METRIC.packetsDropped, 1, { reason: opened.error.code });
      logger.debug({ from, error: opened.error }, 'dropped packet');
      return;
    }
    if (opened.value[0] === STATE_DATAGRAM_TYPE && this.config.onStateDatagram) {
      this.config.onStateDatagram(from, opened.value);
      return;
    }
    const { messages, errors } = decodePayload(opened.value, options);
    for (const error of errors) {
      metrics.increment(METRIC.packetsDropped, 1, { reason: error.code });
      logger.debug({ from, error }, 'dropped message');
    }
    if (this.messages.enabled) for (const m of messages) this.messages.count(METRIC.messagesReceived, m.type);
    if (messages.length === 0) return;
    // memberlist asks its PingDelegate for each ack; the core cannot, so the bytes come with the step.
    const ackPayload = this.hooks.hasAckPayload && messages.some((m) => m.type === 'ping') ? this.hooks.ackPayload() : undefined;
    this.step((now, fx) => this.core.handlePacket(now, from, messages, fx, ackPayload));
  }

  // ---- timers -------------------------------------------------------------------------------

  /**
   * Points the one host timer at the earliest live heap entry. Entries the core reports stale
   * (an acked probe's timeout, a refuted suspicion) are dropped first, so the process does not
   * wake up for timers that would do nothing: on an idle node that is most wake-ups.
   */
  private arm(): void {
    if (this.stopped) return;
    const heap = this.heap;
    while (heap.size > 0 && this.core.isTimerStale(heap.peekValue()!)) heap.drop();
    const due = heap.peekDue();
    if (this.hostTimer !== undefined) {
      // Keep an armed host timer that will serve the earliest entry anyway.
      if (heap.size > 0 && this.hostTimerDue <= due && due - this.hostTimerDue <= EARLY_FIRE_MS) return;
      this.config.clock.clearTimer(this.hostTimer);
      this.hostTimer = undefined;
      this.hostTimerDue = Infinity;
    }
    if (heap.size === 0) return;
    this.hostTimerDue = due;
    this.hostTimer = this.config.clock.setTimer(this.onHostTimer, due - this.config.clock.now());
  }

  private fire(): void {
    this.hostTimer = undefined;
    this.hostTimerDue = Infinity;
    if (this.stopped) return;
    const now = this.config.clock.now();
    const heap = this.heap;
    const lateMs = heap.size === 0 ? 0 : now - heap.peekDue();
    if (lateMs > this.stallThresholdMs) {
      this.config.metrics.increment(METRIC.loopStalls);
      this.config.logger.debug({ lateMs }, 'event loop stalled; holding failure timers for a grace window');
      this.step((t, fx) => this.core.noteStall(t, lateMs, fx));
    }
    for (let i = 0; i < MAX_TIMERS_PER_TICK; i++) {
      // Host timers work in whole ms on the loop's cached time and may fire up to ~1 ms before
      // `due` by our clock. Treating those entries as due saves a wake-up that would only re-arm.
      if (heap.size === 0 || heap.peekDue() > now + EARLY_FIRE_MS || this.stopped) break;
      const timer = heap.peekValue()!;
      heap.drop();
      if (this.core.isTimerStale(timer)) continue;
      if (timer.type === 'gossip-tick' && this.messages.enabled) {
        // memberlist times each gossip round (`memberlist.gossip`); the clock is the node's own.
        const began = this.config.clock.now();
        this.step((t, fx) => this.core.handleTimer(t, timer, fx));
        this.config.metrics.observe(METRIC.gossipDurationSeconds, (this.config.clock.now() - began) / 1000);
      } else this.step((t, fx) => this.core.handleTimer(t, timer, fx));
    }
    this.arm();
  }

  // ---- streams ------------------------------------------------------------------------------

  /**
   * One outbound stream exchange: dial, send `request`, read one reply (none for a user
   * message). Rejects with `TimeoutError`, `AbortError`, `TransportError` or `RemoteError`.
   */
  exchange(to: string, request: StreamMessage, timeoutMs: number, signal?: AbortSignal): Promise<StreamMessage | undefined> {
    // A push/pull leaves the core with empty user state: ours goes in now, just before it is written.
    return this.streams.exchange(to, this.hooks.withLocalState(request), timeoutMs, signal);
  }

  /**
   * One inbound stream request, served by a core step. For a push/pull our user state is taken
   * *before* the step, which merges theirs and hands it to the hook: memberlist's order (reply
   * built, then merge), so `local()` never echoes what `merge()` just took in.
   */
  private serveStream(from: string, request: StreamMessage): StreamMessage | undefined {
    const local = request.type === 'push-pull' ? this.hooks.localState(request.join) : undefined;
    const reply = this.step((now, fx) => this.core.handleStream(now, from, request, fx));
    return reply?.type === 'push-pull' && local !== undefined ? { ...reply, userState: local } : reply;
  }

  private runCoreStream(to: string, id: number, request: StreamMessage, timeoutMs: number): void {
    this.exchange(to, request, timeoutMs).then(
      (reply) => this.step((now, fx) => this.core.handleStreamResult(now, id, reply ?? new RemoteError('no reply'), fx)),
      (error: unknown) => {
        const err = error instanceof Error ? error : new Error(String(error));
        this.step((now, fx) => this.core.handleStreamResult(now, id, err, fx));
      },
    );
  }

  /** Serves one inbound stream exchange (push/pull, fallback ping, reliable user message). Never throws. */
  handleStream(conn: StreamConnection): void {
    if (this.stopped) conn.destroy();
    else this.streams.serve(conn);
  }
}
