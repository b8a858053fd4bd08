/**
 * The public `Hearsay` class: lifecycle, typed events, metadata and user messages.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { randomInt } from 'node:crypto';
import { ipToBytes, parseHostPort } from './address.js';
import { Core, type CoreConfig } from './core/core.js';
import type { CoreEvent } from './core/effects.js';
import { seededRandom } from './core/random.js';
import { AbortError, PayloadTooLargeError, StateError, TimeoutError, TransportError, type SeedFailure } from './errors.js';
import type { HearsayEvents, MemberSnapshot } from './events.js';
import { encodeMetadata } from './metadata.js';
import { noopLogger, noopMetrics, type Logger } from './observability.js';
import { resolveOptions, type HearsayOptions, type Metadata, type ResolvedOptions } from './options.js';
import { chooseAdvertiseAddress } from './runtime/advertise.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { deferred, type Deferred } from './runtime/deferred.js';
import { Driver } from './runtime/driver.js';
import { joinSeeds } from './runtime/join.js';
import { nodeInternals, type NodeRuntime } from './runtime/node-runtime.js';
import type { Transport } from './transport/transport.js';
import { UdpTransport } from './transport/udp.js';
import { encryptionOverhead, type Keyring } from './wire/keyring.js';

/** Lifecycle of a {@link Hearsay} node. */
export type NodeStatus = 'created' | 'starting' | 'running' | 'left' | 'shutdown';

/** What `join()` resolves with. */
export interface JoinResult {
  /** Seeds that completed a push/pull state exchange. */
  readonly contacted: number;
  /** Seeds that did not, with why. */
  readonly failures: readonly SeedFailure[];
}

/** Options common to the async methods. */
export interface SignalOptions {
  /** Cancels the operation (rejects with `AbortError`). Shutdown cancels it too. */
  readonly signal?: AbortSignal;
}

/** Default time `leave()` waits for its broadcast to go out, ms (serf's `BroadcastTimeout`). */
export const DEFAULT_LEAVE_TIMEOUT_MS = 5000;

/**
 * A gossip-membership node.
 *
 * ```ts
 * const node = await Hearsay.start({ name: 'api-1', bind: '127.0.0.1:7946' });
 * node.on('join', ({ member }) => console.log('joined', member.name));
 * await node.join(['127.0.0.1:7947']);
 * ```
 * Events arrive in order, after the state change they describe, once per transition. The
 * constructor does no I/O; `start()` binds sockets. `shutdown()` is idempotent, and
 * `await using node = …` leaves (bounded) then shuts down.
 */
export class Hearsay extends EventEmitter<HearsayEvents> {
  /** The validated options in force. */
  readonly options: ResolvedOptions;
  /** Resolves when the node stops: `undefined` after `shutdown()`, the error after a fatal transport failure. Never rejects. */
  readonly closed: Promise<Error | undefined>;

  private statusValue: NodeStatus = 'created';
  private readonly logger: Logger;
  private readonly metaBytes: Uint8Array;
  private readonly lifetime = new AbortController();
  private readonly closedDeferred: Deferred<Error | undefined> = deferred();
  private readonly broadcastWaiters = new Map<number, () => void>();
  private nextCompletionId = 1;
  private transport: Transport | undefined;
  private driver: Driver | undefined;
  private core: Core | undefined;
  private boundPort = 0;
  private readonly clock: Clock;

  /**
   * Validates options; does no I/O.
   * @param runtime internal: the simulator's virtual clock (host apps leave it out).
   * @throws {InvalidOptionsError} for a bad option. @throws {MetadataTooLargeError} for metadata over 512 bytes.
   */
  constructor(
    options: HearsayOptions,
    private readonly runtime: NodeRuntime = {},
  ) {
    super();
    this.clock = runtime.clock ?? systemClock;
    this.options = resolveOptions(options);
    this.logger = this.options.logger ?? noopLogger;
    this.metaBytes = encodeMetadata(this.options.metadata);
    this.closed = this.closedDeferred.promise;
  }

  /** Creates a node and starts it: `new Hearsay(options)` then `start()`. */
  static async start(options: HearsayOptions & SignalOptions): Promise<Hearsay> {
    const node = new Hearsay(options);
    await node.start(options.signal ? { signal: options.signal } : {});
    return node;
  }

  /** Where the node is in its life. */
  get status(): NodeStatus {
    return this.statusValue;
  }

  /**
   * Binds the transport and starts probing and gossip.
   * @throws {StateError} if already started. Rejects with `TransportError` if binding fails.
   */
  async start(options: SignalOptions = {}): Promise<void> {
    if (this.statusValue !== 'created') throw new StateError(`start() called on a node that is ${this.statusValue}`);
    this.statusValue = 'starting';
    const o = this.options;
    const transport = o.transport ?? new UdpTransport({ bind: o.bind, ...(o.advertise ? { advertise: o.advertise } : {}) });
    this.transport = transport;
    try {
      // The core needs the real port before it exists, so the driver is wired after binding.
      let driver: Driver | undefined;
      await transport.start(
        {
          onDatagram: (from, bytes) => driver?.handleDatagram(from, bytes),
          onStream: (conn) => (driver ? driver.handleStream(conn) : conn.destroy()),
          onError: (error) => this.fail(error),
        },
        options.signal ? { signal: options.signal } : {},
      );
      const advertise = chooseAdvertiseAddress(transport.localAddress, o.advertise);
      const hp = parseHostPort(advertise);
      const addrBytes = hp && ipToBytes(hp.host);
      if (!hp || !addrBytes) throw new TransportError(`cannot advertise ${advertise}: not an IP address`);
      this.boundPort = parseHostPort(transport.localAddress)?.port ?? hp.port;
      const core = new Core(this.coreConfig(addrBytes, hp.port), seededRandom(o.randomSeed ?? randomInt(2 ** 31)));
      this.core = core;
      driver = new Driver(core, {
        options: o,
        transport,
        clock: this.clock,
        logger: this.logger,
        metrics: o.metrics ?? noopMetrics,
        onEvent: (event) => this.onCoreEvent(event),
        onFatal: (error) => this.fail(error),
        ...(this.runtime.stallDetection === false ? { stallDetection: false } : {}),
      });
      this.driver = driver;
      nodeInternals.set(this, { driver, core });
      driver.begin();
      this.statusValue = 'running';
    } catch (error) {
      this.statusValue = 'shutdown';
      await transport.close().catch(() => {});
      this.closedDeferred.resolve(error instanceof Error ? error : new Error(String(error)));
      throw error instanceof TransportError ? error : new TransportError('failed to start transport', { cause: error });
    }
  }

  private coreConfig(addr: Uint8Array, port: number): CoreConfig {
    const o = this.options;
    const d = o.delegateProtocol;
    return {
      probeIntervalMs: o.probeIntervalMs,
      probeTimeoutMs: o.probeTimeoutMs,
      indirectChecks: o.indirectChecks,
      retransmitMult: o.retransmitMult,
      suspicionMult: o.suspicionMult,
      suspicionMaxTimeoutMult: o.suspicionMaxTimeoutMult,
      pushPullIntervalMs: o.pushPullIntervalMs,
      gossipIntervalMs: o.gossipIntervalMs,
      gossipNodes: o.gossipNodes,
      gossipToTheDeadMs: o.gossipToTheDeadMs,
      awarenessMaxMultiplier: o.awarenessMaxMultiplier,
      tcpTimeoutMs: o.tcpTimeoutMs,
      disableTcpPings: o.disableTcpPings,
      packetBudgetBytes: o.packetBudgetBytes,
      packetOverheadBytes: packetOverhead(o),
      deadNodeReclaimMs: o.deadNodeReclaimMs,
      name: o.name,
      advertiseAddr: addr,
      advertisePort: port,
      meta: this.metaBytes,
      vsn: Uint8Array.of(1, 5, o.protocolVersion, d.min, d.max, d.version),
      protocolVersion: o.protocolVersion,
    };
  }

  private running(method: string): { driver: Driver; core: Core } {
    if (this.statusValue !== 'running' && this.statusValue !== 'left') {
      throw new StateError(`${method}() needs a started node; this one is ${this.statusValue}`);
    }
    return { driver: this.driver!, core: this.core! };
  }

  /**
   * Joins a cluster through seed addresses (`host:port`, `[v6]:port`, or a DNS name with an
   * optional port; the default port is our own). Runs a push/pull state exchange with every seed
   * at once and resolves when all have answered or failed.
   * @throws {StateError} before `start()` or after shutdown.
   * Rejects with `JoinError` (one failure per seed) only if no seed answered, as memberlist.
   */
  async join(seeds: string | readonly string[], options: SignalOptions = {}): Promise<JoinResult> {
    const { driver, core } = this.running('join');
    const list = typeof seeds === 'string' ? [seeds] : [...seeds];
    const signal = this.withLifetime(options.signal);
    const context = { driver, core, logger: this.logger, defaultPort: this.boundPort, timeoutMs: this.options.tcpTimeoutMs };
    return joinSeeds(context, list, signal);
  }

  /**
   * Leaves the cluster gracefully: gossips a "dead" about ourselves sent by ourselves, which
   * peers record as a leave, not a failure. Resolves once that broadcast has gone out its full
   * number of times, or when `timeoutMs` (default 5000) has passed; does not reject on timeout.
   * The node keeps answering probes until `shutdown()`.
   */
  async leave(options: SignalOptions & { readonly timeoutMs?: number } = {}): Promise<void> {
    const { driver, core } = this.running('leave');
    if (this.statusValue === 'left') return;
    this.statusValue = 'left';
    // The waiter exists before the step: the completion may come within it (no live peers).
    const id = this.nextCompletionId++;
    const timeoutMs = options.timeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS;
    const done = this.waitForBroadcast(id, timeoutMs, options.signal);
    if (!driver.step((now, fx) => (core.leave(now, fx, id), true))) this.broadcastWaiters.get(id)?.();
    try {
      await done;
    } catch (error) {
      if (error instanceof TimeoutError) {
        this.logger.warn({ timeoutMs }, 'leave broadcast not fully sent before the timeout');
        return;
      }
      throw error;
    }
  }

  /**
   * Replaces this node's metadata: bumps our incarnation and gossips the new value. Validates
   * synchronously; the promise resolves once the update has been sent its full number of times
   * (at once when we have no live peers) and rejects with `TimeoutError` after `timeoutMs`
   * (default: `tcpTimeoutMs`) — the change stands either way and keeps spreading.
   * @throws {MetadataTooLargeError} when the encoding is over 512 bytes (nothing changes).
   */
  setMetadata(metadata: Metadata, options: SignalOptions & { readonly timeoutMs?: number } = {}): Promise<void> {
    const bytes = encodeMetadata(metadata);
    const { driver, core } = this.running('setMetadata');
    const id = this.nextCompletionId++;
    const done = this.waitForBroadcast(id, options.timeoutMs ?? this.options.tcpTimeoutMs, options.signal);
    if (!driver.step((now, fx) => (core.setMetadata(now, bytes, fx, id), true))) this.broadcastWaiters.get(id)?.();
    return done;
  }

  /**
   * Gossips `payload` to the cluster, piggybacked on protocol traffic, as memberlist's delegate
   * broadcasts are: it is sent `retransmitMult × ⌈log10(n+1)⌉` times to random members and
   * receivers do not relay it, so a peer may get it once, more than once, or (in large clusters)
   * not at all. Carry your own id in the payload to deduplicate; use `sendReliable()` for
   * delivery to one member. At most 1024 wait in the queue (the oldest is dropped beyond that).
   * @throws {PayloadTooLargeError} if it cannot fit one gossip packet (over `packetBudgetBytes` − 5, 1395 bytes with the presets).
   * @throws {StateError} if the node is not running.
   */
  broadcast(payload: Uint8Array): void {
    const { driver, core } = this.running('broadcast');
    if (driver.step((now, fx) => core.broadcastUser(now, payload, fx)) === false) {
      throw new PayloadTooLargeError('broadcast payload', payload.length, core.maxUserBroadcastBytes, 'gossip carries one packet per message; use sendReliable() for larger payloads');
    }
  }

  /**
   * Sends `payload` to one member in a single datagram, best effort (no retry, no ack).
   * Resolves once handed to the socket. Rejects with `PayloadTooLargeError` if the sealed
   * datagram would exceed UDP's 65,507 bytes, and with `StateError` if the node is not running
   * or `to` is neither a member nor an `ip:port`.
   */
  async send(to: MemberSnapshot | string, payload: Uint8Array): Promise<void> {
    const { driver, core } = this.running('send');
    const { address, crc } = this.target(core, to);
    driver.sendUserDatagram(address, payload, crc);
  }

  /** Sends `payload` to one member over a TCP stream; resolves once written. Rejects with `TransportError`, `TimeoutError` or `AbortError`. */
  async sendReliable(to: MemberSnapshot | string, payload: Uint8Array, options: SignalOptions = {}): Promise<void> {
    const { driver, core } = this.running('sendReliable');
    await driver.exchange(this.target(core, to).address, { type: 'user', payload }, this.options.tcpTimeoutMs, this.withLifetime(options.signal));
  }

  private target(core: Core, to: MemberSnapshot | string): { address: string; crc: boolean } {
    // A snapshot of a member since reaped still names its address.
    const target = typeof to === 'string' ? core.userTarget(to) : (core.userTarget(to.name) ?? core.userTarget(to.address));
    if (target === undefined) throw new StateError(`unknown member or address "${typeof to === 'string' ? to : to.name}"`);
    return target;
  }

  /** Every known member (self included) as frozen snapshots, in no particular order. */
  members(): readonly MemberSnapshot[] {
    return Object.freeze([...(this.core?.members() ?? [])]);
  }

  /** This node's own snapshot. @throws {StateError} before `start()`. */
  get localMember(): MemberSnapshot {
    if (!this.core) throw new StateError('localMember needs a started node');
    return this.core.localMember;
  }

  /** Number of members alive or suspect, self included (0 before start). */
  get size(): number {
    return this.core?.size ?? 0;
  }

  /** Lifeguard local-health score: 0 healthy … awarenessMaxMultiplier−1; probe waits scale by (score+1). */
  get healthScore(): number {
    return this.core?.healthScore ?? 0;
  }

  /** The AES-GCM keyring when encryption is on: `addKey` / `useKey` / `removeKey` rotate keys at run time. */
  get keyring(): Keyring | undefined {
    return this.driver?.keyring;
  }

  /** Stops at once: closes sockets, broadcasts nothing. Pending operations reject with `AbortError`. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.statusValue === 'shutdown') return this.closed.then(() => undefined);
    this.statusValue = 'shutdown';
    this.lifetime.abort(new AbortError('node shut down'));
    this.driver?.stop();
    await this.transport?.close().catch(() => {});
    this.closedDeferred.resolve(undefined);
  }

  /** `await using`: a bounded leave (1 s) when running, then shutdown. Idempotent. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.statusValue === 'running') await this.leave({ timeoutMs: 1000 }).catch(() => {});
    await this.shutdown();
  }

  private fail(error: Error): void {
    if (this.statusValue === 'shutdown') return;
    this.logger.error({ err: error }, 'transport failed; node stopped');
    this.statusValue = 'shutdown';
    this.lifetime.abort(new AbortError('node stopped after a transport failure', { cause: error }));
    this.driver?.stop();
    void this.transport?.close().catch(() => {});
    this.closedDeferred.resolve(error);
  }

  private withLifetime(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal;
  }

  private waitForBroadcast(id: number, timeoutMs: number, callerSignal: AbortSignal | undefined): Promise<void> {
    const done = deferred<void>();
    const signal = this.withLifetime(callerSignal);
    const timer = this.clock.setTimer(() => finish(new TimeoutError(`broadcast not sent within ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => finish(new AbortError('aborted while waiting for broadcast', { cause: signal.reason }));
    const finish = (error?: Error): void => {
      this.clock.clearTimer(timer);
      signal.removeEventListener('abort', onAbort);
      this.broadcastWaiters.delete(id);
      if (error) done.reject(error);
      else done.resolve();
    };
    if (signal.aborted) onAbort();
    else {
      signal.addEventListener('abort', onAbort, { once: true });
      this.broadcastWaiters.set(id, () => finish());
    }
    return done.promise;
  }

  private onCoreEvent(event: CoreEvent): void {
    switch (event.type) {
      case 'broadcast-done':
        this.broadcastWaiters.get(event.id)?.();
        return;
      case 'update':
        return this.deliver('update', { member: event.member, previous: event.previous });
      case 'join':
      case 'suspect':
      case 'alive':
      case 'fail':
      case 'leave':
        return this.deliver(event.type, { member: event.member });
      case 'message':
        return this.deliver('message', { from: event.from, payload: event.payload });
      case 'self:health':
        if (event.score > event.previous) this.logger.warn({ score: event.score }, 'local health degraded');
        return this.deliver('self:health', { score: event.score, previous: event.previous });
      case 'self:refute':
        this.logger.warn({ incarnation: event.incarnation, accuser: event.accuser }, 'refuted a suspicion of this node');
        return this.deliver('self:refute', { incarnation: event.incarnation, accuser: event.accuser, accusation: event.accusation });
      case 'self:isolated':
        this.logger.info({ durationMs: event.durationMs }, 'cut off from the cluster and back: held suspicions are re-checked, not declared failed');
        return this.deliver('self:isolated', { startedAt: event.startedAt, endedAt: event.endedAt, durationMs: event.durationMs });
    }
  }

  /** Emits one event; a throwing listener is logged and cannot reach protocol code. */
  private deliver<K extends keyof HearsayEvents>(name: K, payload: Parameters<HearsayEvents[K]>[0]): void {
    try {
      (this.emit as (n: K, p: typeof payload) => boolean)(name, payload);
    } catch (error) {
      this.logger.error({ err: error, event: name }, 'an event listener threw');
    }
  }
}

/**
 * Bytes the driver adds to a gossip datagram after the core packed it, as memberlist subtracts
 * them from `UDPBufferSize` before packing (`net.go`, `state.go`): the label (`F4 len label`) and
 * the encryption envelope (version 1: 29 bytes). The CRC header (5 bytes) is not counted, as in
 * memberlist, whose datagrams can be `UDPBufferSize` + 5 bytes.
 */
export function packetOverhead(o: ResolvedOptions): number {
  const label = o.label === undefined ? 0 : 2 + new TextEncoder().encode(o.label).length;
  return label + (o.secretKeys.length > 0 ? encryptionOverhead(1) : 0);
}
