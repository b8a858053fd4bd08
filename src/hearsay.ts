/**
 * The public `Hearsay` class: lifecycle, typed events, metadata and user messages.
 * @module
 */
import { EventEmitter } from 'eventemitter3';
import { randomInt } from 'node:crypto';
import { ipToBytes, parseHostPort } from './address.js';
import { Core } from './core/core.js';
import { seededRandom } from './core/random.js';
import { AbortError, HearsayError, PayloadTooLargeError, StateError, TimeoutError, TransportError, type SeedFailure } from './errors.js';
import type { HearsayEvents, MemberSnapshot, MembersFilter } from './events.js';
import { checkCallOptions, checkMetadata, checkPayload, checkSeeds, checkTarget, memberFilter } from './inputs.js';
import { routeCoreEvent, type EventSink } from './event-routing.js';
import { encodeMetadata } from './metadata.js';
import { withMetricLabels } from './metrics-labels.js';
import { noopLogger, noopMetrics, type Logger } from './observability.js';
import { resolveOptions, type HearsayOptions, type Metadata, type ResolvedOptions } from './options.js';
import { admissionPredicate } from './runtime/admission-hook.js';
import { chooseAdvertiseAddress, isOwnAddress } from './runtime/advertise.js';
import { systemClock, type Clock } from './runtime/clock.js';
import { Completions } from './runtime/completions.js';
import { coreConfig, packetOverhead } from './runtime/core-config.js';
import { deferred, type Deferred } from './runtime/deferred.js';
import { Driver } from './runtime/driver.js';
import { joinSeeds } from './runtime/join.js';
import { leaveCluster } from './runtime/leave.js';
import { nodeInternals, type NodeRuntime } from './runtime/node-runtime.js';
import { ClusterState } from './cluster-state.js';
import { createStateRunner, type StateRunner } from './runtime/state-runner.js';
import type { Transport } from './transport/transport.js';
import { UdpTransport } from './transport/udp.js';
import { SerfIntents, isSerfDelegate } from './serf/intents.js';
import type { Keyring } from './wire/keyring.js';

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
 *
 * Misuse throws synchronously from every method, before anything changes: a bad argument
 * (`InvalidArgumentError`, naming the parameter), a bad option (`InvalidOptionsError`), the wrong
 * lifecycle state (`StateError`), a payload or metadata that can never be sent
 * (`PayloadTooLargeError`, `MetadataTooLargeError`). Returned promises reject only for I/O
 * (`TransportError`, `RemoteError`, `JoinError`), timeouts and aborts.
 */
export class Hearsay extends EventEmitter<HearsayEvents> {
  /** The validated options in force. */
  readonly options: ResolvedOptions;
  /** Resolves when the node stops: `undefined` after `shutdown()`, the error after a fatal transport failure. Never rejects. */
  readonly closed: Promise<Error | undefined>;
  /** The replicated per-node key/value state (`set`, `get`, `watch`, …); see {@link ClusterState}. */
  readonly state: ClusterState;

  private statusValue: NodeStatus = 'created';
  private readonly logger: Logger;
  private readonly metaBytes: Uint8Array;
  private readonly lifetime = new AbortController();
  private readonly closedDeferred: Deferred<Error | undefined> = deferred();
  private transport: Transport | undefined;
  private driver: Driver | undefined;
  private core: Core | undefined;
  private stateRunner: StateRunner | undefined;
  private boundPort = 0;
  private readonly clock: Clock;
  private readonly completions: Completions;
  /** serf's leave and join intents, with serf's delegate versions set (`delegateProtocol: 'serf'`). */
  private readonly serf: SerfIntents | undefined;
  private readonly eventSink: EventSink;

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
    this.completions = new Completions(this.clock);
    this.serf = isSerfDelegate(this.options.delegateProtocol) ? new SerfIntents(this.options.name) : undefined;
    this.eventSink = {
      deliver: (name, payload) => this.deliver(name, payload),
      logger: this.logger,
      completed: (id) => this.completions.done(id),
      healthCeiling: this.options.awarenessMaxMultiplier - 1,
      serf: this.serf,
    };
    const up = (): boolean => this.statusValue === 'running' || this.statusValue === 'left';
    this.state = new ClusterState(() => (up() && this.stateRunner) || `node.state needs a started node; this one is ${this.statusValue}`, this.options.state);
  }

  /**
   * Creates a node and starts it: `new Hearsay(options)` then `start({ signal })`.
   * @throws {InvalidOptionsError} synchronously, as the constructor.
   */
  static start(options: HearsayOptions & SignalOptions): Promise<Hearsay> {
    if (typeof options !== 'object' || options === null) resolveOptions(options); // throws, naming `options`
    const { signal, ...nodeOptions } = options; // `signal` is start()'s: node options refuse unknown keys
    const node = new Hearsay(nodeOptions as HearsayOptions);
    return node.start(signal ? { signal } : {}).then(() => node);
  }

  /** Where the node is in its life. */
  get status(): NodeStatus {
    return this.statusValue;
  }

  /**
   * Binds the transport and starts probing and gossip.
   * @throws {StateError} if already started. @throws {InvalidOptionsError} naming `advertise`, before
   *   binding, when `bind` is a wildcard and the host has no private IPv4 address to advertise
   *   (memberlist: "No private IP address found, and explicit IP not provided").
   * Rejects with `TransportError` if binding fails, `AbortError` if `signal` aborts.
   */
  start(options: SignalOptions = {}): Promise<void> {
    if (this.statusValue !== 'created') throw new StateError(`start() called on a node that is ${this.statusValue}`);
    checkCallOptions('start', options, false);
    const o = this.options;
    const transport = o.transport ?? new UdpTransport({ bind: o.bind, ...(o.advertise ? { advertise: o.advertise } : {}) });
    // Only the host matters here, and it is known before binding: fail before touching a socket.
    chooseAdvertiseAddress(transport.localAddress, o.advertise, this.runtime.interfaces);
    this.statusValue = 'starting';
    this.transport = transport;
    return this.open(transport, options);
  }

  private async open(transport: Transport, options: SignalOptions): Promise<void> {
    const o = this.options;
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
      const advertise = chooseAdvertiseAddress(transport.localAddress, o.advertise, this.runtime.interfaces);
      const hp = parseHostPort(advertise);
      const addrBytes = hp && ipToBytes(hp.host);
      if (!hp || !addrBytes) throw new TransportError(`cannot advertise ${advertise}: not an IP address`);
      this.boundPort = parseHostPort(transport.localAddress)?.port ?? hp.port;
      const metrics = withMetricLabels(o.metrics ?? noopMetrics, o.metricLabels);
      const admit = admissionPredicate(o.admission, this.logger, metrics);
      const config = { ...coreConfig(o, this.metaBytes, addrBytes, hp.port), ...(admit ? { admit } : {}) };
      const core = new Core(config, seededRandom(o.randomSeed ?? randomInt(2 ** 31)));
      this.core = core;
      driver = new Driver(core, {
        options: o,
        transport,
        clock: this.clock,
        logger: this.logger,
        metrics,
        onEvent: (event) => routeCoreEvent(event, this.eventSink),
        onFatal: (error) => this.fail(error),
        ...(this.runtime.stallDetection === false ? { stallDetection: false } : {}),
        onStateDatagram: (from, payload) => this.stateRunner?.handleDatagram(from, payload),
      });
      this.driver = driver;
      if (o.state !== false) this.startState(o.state, core, driver);
      nodeInternals.set(this, { driver, core, ...(this.stateRunner ? { state: this.stateRunner } : {}) });

      driver.begin();
      this.statusValue = 'running';
    } catch (error) {
      this.statusValue = 'shutdown';
      await transport.close().catch(() => {});
      this.closedDeferred.resolve(error instanceof Error ? error : new Error(String(error)));
      throw error instanceof HearsayError ? error : new TransportError('failed to start transport', { cause: error });
    }
  }

  private startState(state: Exclude<ResolvedOptions['state'], false>, core: Core, driver: Driver): void {
    const o = this.options;
    this.stateRunner = createStateRunner({ ...o, state }, {
      virtualTime: this.runtime.clock !== undefined,
      seed: randomInt(2 ** 31),
      budgetBytes: o.packetBudgetBytes - packetOverhead(o),
      clock: this.clock,
      core,
      driver,
      logger: this.logger,
      metrics: withMetricLabels(o.metrics ?? noopMetrics, o.metricLabels),
      deliver: (change) => (this.state.notify(change), this.deliver('state', change)),
      deliverEvent: (e) => this.deliver('event', { name: e.name, payload: e.payload, from: e.origin, lamport: e.lamport }),
    });
  }

  /**
   * Publishes a cluster-wide event: every hearsay node running the state layer, this one first,
   * emits `event` `{ name, payload, from, lamport }` exactly once, in this node's publishing order
   * (serf's user events). See `node.state.publish` for the limits and errors.
   */
  publish(name: string, payload: Uint8Array): void {
    this.state.publish(name, payload);
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
   * at once and resolves when all have answered or failed. A seed that is this node's own address
   * counts as a failure. After `leave()`, `join()` comes back: the node is alive again at a higher
   * incarnation (peers emit `join`) and probes again, then the seeds are contacted.
   * @throws {StateError} before `start()` or after shutdown. @throws {InvalidArgumentError} for
   *   seeds that are not a string or a non-empty array of strings.
   * Rejects with `JoinError` (one failure per seed) only if no seed answered, as memberlist.
   */
  join(seeds: string | readonly string[], options: SignalOptions = {}): Promise<JoinResult> {
    const { driver, core } = this.running('join');
    const list = checkSeeds(seeds);
    checkCallOptions('join', options, false);
    if (this.statusValue === 'left') {
      driver.step((now, fx) => core.rejoin(now, fx));
      if (core.isLeaving) throw new StateError('join() after leave(): cannot come back, the incarnation is exhausted (2^32-1); restart under a new name');
      this.statusValue = 'running';
      // serf agents that got our leave intent but not our leave yet hold us *leaving*: tell them we are back.
      if (this.serf) driver.step((now, fx) => core.broadcastUser(now, this.serf!.joinIntent(), fx));
    }
    const own = { advertised: core.localMember.address, bound: this.transport!.localAddress };
    const isSelf = (address: string): boolean => isOwnAddress(address, own, this.runtime.interfaces);
    const context = { driver, core, logger: this.logger, defaultPort: this.boundPort, timeoutMs: this.options.tcpTimeoutMs, isSelf, holderCheckMs: this.options.probeIntervalMs };
    return joinSeeds(context, list, this.withLifetime(options.signal));
  }

  /**
   * Leaves the cluster gracefully: gossips a "dead" about ourselves sent by ourselves, which
   * peers record as a leave, not a failure. With serf's delegate versions (`delegateProtocol:
   * 'serf'`) and a live peer, serf's own leave intent is gossiped first, and the "dead" follows once
   * it has gone out, so serf agents show the node `left`, not `failed`. Resolves once the
   * broadcasts have gone out their full number of times, or when `timeoutMs` (default 5000) has
   * passed; does not reject on timeout.
   * The node keeps answering probes until `shutdown()`, and `join()` brings it back.
   * @throws {StateError} before `start()` or after shutdown. @throws {InvalidArgumentError} for a bad `timeoutMs` or `signal`.
   */
  leave(options: SignalOptions & { readonly timeoutMs?: number } = {}): Promise<void> {
    const { driver, core } = this.running('leave');
    checkCallOptions('leave', options, true);
    if (this.statusValue === 'left') return Promise.resolve();
    this.statusValue = 'left';
    const timeoutMs = options.timeoutMs ?? DEFAULT_LEAVE_TIMEOUT_MS;
    // As serf's Leave, the intent goes out only when another member is alive to hear it.
    const first = this.serf && core.size > 1 ? this.serf.leaveIntent() : undefined;
    const context = { driver, core, completions: this.completions, clock: this.clock, first, stillLeaving: () => this.statusValue === 'left' };
    return leaveCluster(context, timeoutMs, this.withLifetime(options.signal)).catch((error: unknown) => {
      if (!(error instanceof TimeoutError)) throw error;
      // Not a warning: the leave keeps spreading, and there is nothing for the host to do.
      this.logger.info({ timeoutMs }, 'leave broadcast not fully sent before the timeout');
    });
  }

  /**
   * Replaces this node's metadata: bumps our incarnation and gossips the new value. Validates
   * synchronously; the promise resolves once the update has been sent its full number of times
   * (at once when we have no live peers, or have left: then the value is announced on the next
   * `join()`) and rejects with `TimeoutError` after `timeoutMs` (default: `tcpTimeoutMs`) — the
   * change stands either way and keeps spreading.
   * @throws {MetadataTooLargeError} when the encoding is over 512 bytes (nothing changes).
   * @throws {InvalidArgumentError} for metadata that is neither string tags nor a `Uint8Array`.
   * @throws {StateError} before `start()` or after shutdown. @throws {InvalidArgumentError} for a bad `timeoutMs` or `signal`.
   */
  setMetadata(metadata: Metadata, options: SignalOptions & { readonly timeoutMs?: number } = {}): Promise<void> {
    const { driver, core } = this.running('setMetadata');
    const bytes = encodeMetadata(checkMetadata(metadata));
    checkCallOptions('setMetadata', options, true);
    const { id, done } = this.completions.wait(options.timeoutMs ?? this.options.tcpTimeoutMs, this.withLifetime(options.signal));
    if (!driver.step((now, fx) => (core.setMetadata(now, bytes, fx, id), true))) this.completions.done(id);
    return done;
  }

  /**
   * Gossips `payload` to the cluster, piggybacked on protocol traffic, as memberlist's delegate
   * broadcasts are: it is sent `retransmitMult × ⌈log10(n+1)⌉` times to random members and
   * receivers do not relay it, so a peer may get it once, more than once, or (in large clusters)
   * not at all. Carry your own id in the payload to deduplicate; use `sendReliable()` for
   * delivery to one member. At most 1024 wait in the queue (the oldest is dropped beyond that).
   * @throws {InvalidArgumentError} if `payload` is not a `Uint8Array`.
   * @throws {PayloadTooLargeError} if it cannot fit one gossip packet (over `packetBudgetBytes` − 5, 1395 bytes with the presets).
   * @throws {StateError} if the node is not running, or has left (`join()` again first).
   */
  broadcast(payload: Uint8Array): void {
    const { driver, core } = this.running('broadcast');
    checkPayload('broadcast', payload);
    if (this.statusValue === 'left') throw new StateError('broadcast() after leave(): this node has left the cluster; join() again first');
    if (driver.step((now, fx) => core.broadcastUser(now, payload, fx)) === false) {
      throw new PayloadTooLargeError('broadcast payload', payload.length, core.maxUserBroadcastBytes, 'gossip carries one packet per message; use sendReliable() for larger payloads');
    }
  }

  /**
   * Sends `payload` to one member in a single datagram, best effort (no retry, no ack); resolves once handed to the socket.
   * @throws {InvalidArgumentError} if `to` is neither a member (name or snapshot) nor an `ip:port`, or `payload` is not a `Uint8Array`.
   * @throws {PayloadTooLargeError} if the sealed datagram would exceed UDP's 65,507 bytes. @throws {StateError} if not running.
   */
  send(to: MemberSnapshot | string, payload: Uint8Array): Promise<void> {
    const { driver, core } = this.running('send');
    const { address, crc } = checkTarget('send', to, core);
    driver.sendUserDatagram(address, checkPayload('send', payload), crc);
    return Promise.resolve();
  }

  /**
   * Sends `payload` to one member over a TCP stream; resolves once written. Throws as `send()`;
   * rejects with `TransportError`, `TimeoutError` (after `tcpTimeoutMs`) or `AbortError`.
   */
  sendReliable(to: MemberSnapshot | string, payload: Uint8Array, options: SignalOptions = {}): Promise<void> {
    const { driver, core } = this.running('sendReliable');
    const { address } = checkTarget('sendReliable', to, core);
    const bytes = checkPayload('sendReliable', payload);
    checkCallOptions('sendReliable', options, false);
    return driver.exchange(address, { type: 'user', payload: bytes }, this.options.tcpTimeoutMs, this.withLifetime(options.signal)).then(() => undefined);
  }

  /**
   * Members as frozen snapshots, in no particular order: alive and suspect ones (self included), as
   * memberlist's `Members()`, unless `filter.state` asks for others (`'all'` adds dead and left
   * ones not yet reaped); `filter.tags` keeps members whose tags include every given pair.
   * @throws {InvalidArgumentError} for a malformed filter.
   */
  members(filter?: MembersFilter): readonly MemberSnapshot[] {
    const keep = memberFilter(filter);
    return Object.freeze((this.core?.members() ?? []).filter(keep));
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
    this.stateRunner?.stop();
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
    this.stateRunner?.stop();
    void this.transport?.close().catch(() => {});
    this.closedDeferred.resolve(error);
  }

  private withLifetime(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.lifetime.signal]) : this.lifetime.signal;
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
