/**
 * An in-process network for tests and the simulator: transports that exchange datagrams and
 * TCP-like streams through one {@link MemoryNetwork}, with seeded loss, latency, duplication,
 * partitions and blocked (crashed) nodes.
 *
 * Every random choice comes from one seeded PRNG, drawn in the order traffic is sent, so a seed
 * plus the same sequence of calls replays the same drops and delays. Time is whatever the
 * scheduler says it is: real timers by default, a virtual clock when the simulator injects one.
 * @module
 */
import { formatHostPort, parseHostPort } from '../address.js';
import { seededRandom, type Random } from '../core/random.js';
import { AbortError, InvalidOptionsError, StateError, TimeoutError, TransportError } from '../errors.js';
import type { DialOptions, StreamConnection, Transport, TransportHandlers } from '../transport/transport.js';
import { MemoryStream, type Pipe, type PipeEnv } from './memory-stream.js';

/** Runs `fn` once, `delayMs` (≥ 0) from now, in real or virtual time. Calls due at the same time must run in call order. */
export type Scheduler = (fn: () => void, delayMs: number) => void;

/** Options for {@link MemoryNetwork}. All rates are probabilities in [0, 1]. */
export interface MemoryNetworkOptions {
  /** PRNG seed (a 32-bit integer). Default 1. */
  readonly seed?: number;
  /** One-way delay per datagram or stream segment, ms: fixed, or uniform in `[min, max]`. Default 0. */
  readonly latencyMs?: number | { readonly min: number; readonly max: number };
  /** Chance that a datagram is dropped, on every link without its own {@link MemoryNetwork.setLoss} rate. Streams never lose data. Default 0. */
  readonly loss?: number;
  /** Chance that a delivered datagram is delivered a second time (with its own delay). Default 0. */
  readonly duplicate?: number;
  /** Largest datagram delivered, bytes; larger ones are dropped, as on a path with that MTU. Default 65507 (UDP over IPv4). */
  readonly mtu?: number;
  /**
   * Where delays run. Default: real time (`setImmediate` for 0 ms, which unlike a microtask lets
   * I/O and timers run between two nodes answering each other; `setTimeout` otherwise).
   */
  readonly scheduler?: Scheduler;
}

/** Datagram counters of a {@link MemoryNetwork}, since it was created. */
export interface MemoryNetworkStats {
  /** `send()` calls that reached the network. */
  readonly sent: number;
  /** Copies handed to a receiving transport (duplicates included). */
  readonly delivered: number;
  /** Dropped: over the MTU, lost, cut by a fault, or no transport bound at the destination. */
  readonly dropped: number;
  /** Extra copies made by `duplicate`. */
  readonly duplicated: number;
}

const DEFAULT_MTU = 65_507;
const FIRST_EPHEMERAL_PORT = 49_152;
const kReceive = Symbol('receive');
const kAccept = Symbol('accept');
const kUntrack = Symbol('untrack');

/**
 * An in-process network. Create transports with {@link transport}; inject faults with
 * {@link partition}, {@link setLoss} and {@link block}. Faults apply to traffic sent after the
 * call and to datagrams still in flight; a stream whose link is cut stalls and resumes on repair.
 */
export class MemoryNetwork {
  private readonly fabric: Fabric;

  /** @throws {InvalidOptionsError} on a rate outside [0, 1], a negative or inverted latency, or a bad MTU. */
  constructor(options: MemoryNetworkOptions = {}) {
    this.fabric = new Fabric(options);
  }

  /** Largest datagram delivered, bytes. */
  get mtu(): number {
    return this.fabric.mtu;
  }

  /** A snapshot of the datagram counters. */
  get stats(): MemoryNetworkStats {
    return { ...this.fabric.stats };
  }

  /**
   * A new, unstarted transport at `address` (`host:port`; port 0 picks a free port at `start`).
   * Without one, assigns the next free `127.0.0.x:port`. An address frees up when its transport
   * closes, so a "restarted" node can bind it again.
   * @throws {InvalidOptionsError} if `address` is not an IP `host:port`.
   */
  transport(options: { readonly address?: string } = {}): MemoryTransport {
    let address: string;
    if (options.address === undefined) address = this.fabric.nextAddress();
    else {
      const hp = parseHostPort(options.address);
      if (!hp) throw new InvalidOptionsError('address', 'must be an IP host:port, e.g. "10.0.0.1:7946"');
      address = formatHostPort(hp.host, hp.port);
    }
    return new MemoryTransport(this.fabric, address);
  }

  /** Cuts every link between a node of `groupA` and a node of `groupB`, both ways. Partitions add up until {@link heal}. */
  partition(groupA: readonly string[], groupB: readonly string[]): void {
    this.fabric.partitions.push([new Set(groupA), new Set(groupB)]);
    this.fabric.faultsChanged();
  }

  /** Removes every partition (blocks and loss rates stay). */
  heal(): void {
    this.fabric.partitions.length = 0;
    this.fabric.faultsChanged();
  }

  /** Sets the global datagram loss rate. */
  setLoss(rate: number): void;
  /**
   * Sets the loss rate of the directed link `from` → `to`; `undefined` matches any node. The most
   * specific rule wins: exact link, then `from` → any, then any → `to`, then the global rate.
   */
  setLoss(from: string | undefined, to: string | undefined, rate: number): void;
  setLoss(...args: [number] | [string | undefined, string | undefined, number]): void {
    const [from, to, rate] = args.length === 1 ? [undefined, undefined, args[0]] : args;
    checkRate('loss', rate);
    if (from === undefined && to === undefined) this.fabric.globalLoss = rate;
    else this.fabric.linkLoss.set(linkKey(from, to), rate);
  }

  /** Drops all traffic to and from `address`, as if the node crashed or froze (its transport stays open). */
  block(address: string): void {
    this.fabric.blocked.add(address);
    this.fabric.faultsChanged();
  }

  /** Undoes {@link block}; stalled streams resume. */
  unblock(address: string): void {
    this.fabric.blocked.delete(address);
    this.fabric.faultsChanged();
  }
}

/**
 * A {@link Transport} on a {@link MemoryNetwork}; create it with {@link MemoryNetwork.transport}.
 * Handlers are called from the network's scheduler, never synchronously from `send`/`write`.
 * As with `UdpTransport`, a handler exception is swallowed (and a stream whose `onStream`
 * threw is destroyed). Streams report the dialling transport's address as `remoteAddress`.
 */
export class MemoryTransport implements Transport {
  private phase: 'new' | 'running' | 'closed' = 'new';
  private address: string;
  private handlers: TransportHandlers | undefined;
  private readonly streams = new Set<MemoryStream>();
  private readonly pendingDials = new Set<() => void>();

  /** @internal Use {@link MemoryNetwork.transport}. */
  constructor(
    private readonly fabric: Fabric,
    address: string,
  ) {
    this.address = address;
  }

  /** This transport's `host:port` (port 0 is resolved at `start`). */
  get localAddress(): string {
    return this.address;
  }

  /** The network's MTU, bytes. */
  get mtu(): number {
    return this.fabric.mtu;
  }

  /** Binds the address. Rejects with {@link TransportError} if it is taken or the transport closed, {@link AbortError}, or {@link StateError} if started twice. */
  start(handlers: TransportHandlers, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.phase === 'closed') return Promise.reject(new TransportError('transport is closed'));
    if (this.phase !== 'new') return Promise.reject(new StateError('transport already started'));
    if (options.signal?.aborted) return Promise.reject(new AbortError('start aborted', { cause: options.signal.reason }));
    try {
      this.address = this.fabric.bind(this, this.address);
    } catch (error) {
      return Promise.reject(error);
    }
    this.handlers = handlers;
    this.phase = 'running';
    return Promise.resolve();
  }

  /** Sends a copy of `bytes`; resolves at once. Rejects with {@link TransportError} when closed or `to` is malformed. Loss is silent. */
  send(to: string, bytes: Uint8Array): Promise<void> {
    if (this.phase === 'closed') return Promise.reject(new TransportError('transport is closed'));
    if (this.phase !== 'running') return Promise.reject(new StateError('transport not started'));
    const target = parseHostPort(to);
    if (!target) return Promise.reject(new TransportError(`send: "${to}" is not an IP host:port`));
    this.fabric.datagram(this.address, formatHostPort(target.host, target.port), bytes.slice());
    return Promise.resolve();
  }

  /**
   * Opens a stream after a simulated round trip. Rejects with {@link TransportError}
   * ("connection refused") when nothing is bound at `to`, {@link TimeoutError} when a fault
   * swallows the handshake (lost handshakes are not retried), {@link AbortError} on abort.
   */
  dial(to: string, options: DialOptions): Promise<StreamConnection> {
    if (this.phase === 'closed') return Promise.reject(new TransportError('transport is closed'));
    const target = parseHostPort(to);
    if (!target) return Promise.reject(new TransportError(`dial: "${to}" is not an IP host:port`));
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(`dial ${to} aborted`, { cause: signal.reason }));
    const server = formatHostPort(target.host, target.port);
    const client = this.address;
    const fabric = this.fabric;
    return new Promise((resolve, reject) => {
      let isSettled = false;
      const settle = (error?: Error): boolean => {
        if (isSettled) return false;
        isSettled = true;
        cancelTimeout();
        signal?.removeEventListener('abort', onAbort);
        this.pendingDials.delete(onClose);
        if (error) reject(error);
        return true;
      };
      const onAbort = (): void => void settle(new AbortError(`dial ${to} aborted`, { cause: signal?.reason }));
      const onClose = (): void => void settle(new TransportError(`dial ${to}: transport closed`));
      const cancelTimeout = fabric.after(
        () => settle(new TimeoutError(`dial ${to} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pendingDials.add(onClose);
      const refuse = (): void => fabric.transmit(server, client, () => settle(new TransportError(`dial ${to}: connection refused`, { refused: true })));
      fabric.transmit(client, server, () => {
        if (isSettled) return;
        const listener = fabric.bound.get(server);
        if (!listener) return refuse();
        const [mine, theirs] = MemoryStream.pair(fabric, client, server, (s) => this.streams.delete(s), (s) => listener[kUntrack](s));
        if (!listener[kAccept](theirs)) return refuse();
        fabric.transmit(server, client, () => {
          if (settle()) {
            this.streams.add(mine);
            resolve(mine);
          } else mine.destroy();
        }, () => theirs.destroy());
      });
    });
  }

  /** Unbinds, resets every open stream and rejects pending dials with {@link TransportError}. Idempotent. */
  close(): Promise<void> {
    if (this.phase === 'closed') return Promise.resolve();
    this.fabric.unbind(this);
    this.phase = 'closed';
    for (const stream of [...this.streams]) stream.destroy();
    for (const onClose of [...this.pendingDials]) onClose();
    return Promise.resolve();
  }

  /** @internal A datagram arrived. */
  [kReceive](from: string, bytes: Uint8Array): void {
    if (this.phase !== 'running' || !this.handlers) return;
    try {
      this.handlers.onDatagram(from, bytes);
    } catch {
      // Handlers must not throw; swallowing keeps one bad packet from stopping later deliveries.
    }
  }

  /** @internal An inbound stream arrived; false if we are not listening. */
  [kAccept](stream: MemoryStream): boolean {
    if (this.phase !== 'running' || !this.handlers) return false;
    this.streams.add(stream);
    try {
      this.handlers.onStream(stream);
    } catch {
      stream.destroy(); // the receiver never took ownership, so nobody would end it
    }
    return true;
  }

  /** @internal An accepted stream finished. */
  [kUntrack](stream: MemoryStream): void {
    this.streams.delete(stream);
  }
}

/** The network's shared state, kept off the public {@link MemoryNetwork} surface. */
class Fabric implements PipeEnv {
  readonly mtu: number;
  readonly stats = { sent: 0, delivered: 0, dropped: 0, duplicated: 0 };
  readonly bound = new Map<string, MemoryTransport>();
  readonly partitions: (readonly [ReadonlySet<string>, ReadonlySet<string>])[] = [];
  readonly blocked = new Set<string>();
  readonly linkLoss = new Map<string, number>();
  globalLoss: number;
  private readonly random: Random;
  private readonly latencyRange: { readonly min: number; readonly max: number };
  private readonly duplicateRate: number;
  private readonly scheduler: Scheduler | undefined;
  private readonly stalled = new Set<Pipe>();
  private readonly handedOut = new Set<string>();
  private nextHost = 0;
  private nextPort = FIRST_EPHEMERAL_PORT;

  constructor(options: MemoryNetworkOptions) {
    const latency = options.latencyMs ?? 0;
    this.latencyRange = typeof latency === 'number' ? { min: latency, max: latency } : latency;
    const { min, max } = this.latencyRange;
    if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && min <= max)) {
      throw new InvalidOptionsError('latencyMs', 'must be ≥ 0, and min ≤ max');
    }
    this.globalLoss = checkRate('loss', options.loss ?? 0);
    this.duplicateRate = checkRate('duplicate', options.duplicate ?? 0);
    this.mtu = options.mtu ?? DEFAULT_MTU;
    if (!Number.isSafeInteger(this.mtu) || this.mtu <= 0) throw new InvalidOptionsError('mtu', 'must be a positive integer');
    this.random = seededRandom(options.seed ?? 1);
    this.scheduler = options.scheduler;
  }

  schedule(fn: () => void, delayMs: number): void {
    if (this.scheduler) this.scheduler(fn, delayMs);
    else if (delayMs <= 0) setImmediate(fn);
    else setTimeout(fn, delayMs);
  }

  /** Like {@link schedule}, cancellable: real timers are cleared (so they don't hold the process open); virtual ones just go stale. */
  after(fn: () => void, delayMs: number): () => void {
    if (!this.scheduler) {
      const timer = setTimeout(fn, delayMs);
      return () => clearTimeout(timer);
    }
    let isLive = true;
    this.scheduler(() => isLive && fn(), delayMs);
    return () => (isLive = false);
  }

  latency(): number {
    const { min, max } = this.latencyRange;
    return min === max ? min : min + this.random.next() * (max - min);
  }

  isLinkUp(from: string, to: string): boolean {
    if (this.blocked.has(from) || this.blocked.has(to)) return false;
    for (const [a, b] of this.partitions) if ((a.has(from) && b.has(to)) || (b.has(from) && a.has(to))) return false;
    return true;
  }

  stall(pipe: Pipe): void {
    this.stalled.add(pipe);
  }

  /** Re-flushes stalled streams on the scheduler (not synchronously, so no handler runs inside `heal()`). */
  faultsChanged(): void {
    for (const pipe of this.stalled) this.schedule(() => pipe.flush(), 0);
    this.stalled.clear();
  }

  /** Runs `arrive` one latency later if the link is up now and then, else `lost` (a handshake segment). */
  transmit(from: string, to: string, arrive: () => void, lost?: () => void): void {
    if (!this.isLinkUp(from, to)) return lost?.();
    this.schedule(() => (this.isLinkUp(from, to) ? arrive() : lost?.()), this.latency());
  }

  datagram(from: string, to: string, bytes: Uint8Array): void {
    this.stats.sent++;
    if (bytes.byteLength > this.mtu || !this.isLinkUp(from, to) || this.random.next() < this.lossRate(from, to)) {
      this.stats.dropped++;
      return;
    }
    this.deliverLater(from, to, bytes);
    if (this.duplicateRate > 0 && this.random.next() < this.duplicateRate) {
      this.stats.duplicated++;
      this.deliverLater(from, to, bytes.slice());
    }
  }

  bind(transport: MemoryTransport, address: string): string {
    const hp = parseHostPort(address)!;
    if (hp.port === 0) {
      do address = formatHostPort(hp.host, this.nextPort++);
      while (this.bound.has(address));
    }
    if (this.bound.has(address)) throw new TransportError(`cannot bind ${address}: address in use`);
    this.bound.set(address, transport);
    this.handedOut.add(address);
    return address;
  }

  unbind(transport: MemoryTransport): void {
    if (this.bound.get(transport.localAddress) === transport) this.bound.delete(transport.localAddress);
    this.handedOut.delete(transport.localAddress);
  }

  nextAddress(): string {
    let address: string;
    do {
      const n = this.nextHost++;
      address = `127.0.0.${(n % 254) + 1}:${7946 + Math.floor(n / 254)}`;
    } while (this.handedOut.has(address) || this.bound.has(address));
    this.handedOut.add(address);
    return address;
  }

  private lossRate(from: string, to: string): number {
    const { linkLoss } = this;
    return linkLoss.get(linkKey(from, to)) ?? linkLoss.get(linkKey(from, undefined)) ?? linkLoss.get(linkKey(undefined, to)) ?? this.globalLoss;
  }

  private deliverLater(from: string, to: string, bytes: Uint8Array): void {
    this.schedule(() => {
      const target = this.bound.get(to);
      if (!target || !this.isLinkUp(from, to)) {
        this.stats.dropped++;
        return;
      }
      this.stats.delivered++;
      target[kReceive](from, bytes);
    }, this.latency());
  }
}

function linkKey(from: string | undefined, to: string | undefined): string {
  return `${from ?? '*'} ${to ?? '*'}`;
}

function checkRate(field: string, rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new InvalidOptionsError(field, 'must be a probability in [0, 1]');
  return rate;
}

