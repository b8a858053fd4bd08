/**
 * What a simulated node runs on: a {@link SimClock} on the simulator's virtual time and a
 * {@link SimTransport} over its network. Both hand every callback to the simulator as an input
 * of the node, so a paused, starved or crashed node's inputs wait, slow down or vanish exactly
 * as its real counterpart's would, while the node's own code is the code that runs on sockets.
 * @module
 */
import { AbortError, StateError, TimeoutError, TransportError } from '../errors.js';
import type { Clock, TimerHandle } from '../runtime/clock.js';
import type { DialOptions, StreamConnection, Transport, TransportHandlers } from '../transport/transport.js';
import { MemoryStream } from './memory-stream.js';

/** Largest datagram the simulated network carries (UDP over IPv4). */
const SIM_MTU = 65_507;

/** The kinds of input a simulated node receives; `stream` covers segments, handshakes and accepts. */
export type SimInputKind = 'timer' | 'packet' | 'stream';

/** What the clock and transport need from the simulator. */
export interface SimHost {
  /** Virtual now, ms. */
  readonly now: number;
  /**
   * Queues `run` as an input of `node` at `now + delayMs` (held while paused, dropped after a crash).
   * Returns the queued input: setting its `cancelled` skips it (a cleared timer).
   */
  input(node: SimEndpoint, kind: 'timer' | 'stream', delayMs: number, run: () => void): SimInput;
  /** Queues `run` at `now + delayMs`, bound to no node (the kernel's part of TCP). */
  later(delayMs: number, run: () => void): void;
  /** Sends one datagram through the network. */
  datagram(from: SimEndpoint, to: string, bytes: Uint8Array): void;
  /** One-way latency draw, ms. */
  latency(): number;
  /** Whether a stream can get from `from` to `to` now. */
  streamLinkUp(from: string, to: string): boolean;
  /** The endpoint bound at `address`, if any. */
  endpoint(address: string): SimEndpoint | undefined;
  /** Pairs two stream ends over the simulated network. */
  pair(client: string, server: string, onDone: (s: MemoryStream) => void): [MemoryStream, MemoryStream];
  /** Counts operations whose promises the simulator must let settle (dials in progress). */
  asyncOps: number;
}

/** A node as the transport sees it: its address, its life, and where inbound traffic goes. */
export interface SimEndpoint {
  readonly name: string;
  readonly address: string;
  /** Incremented at every crash: inputs queued for an older generation are dropped. */
  readonly gen: number;
  readonly running: boolean;
  /** Handlers of the node's started transport. */
  handlers: TransportHandlers | undefined;
  /** Whether the node encrypts its datagrams (the counters then cannot read their type). */
  encrypted: boolean;
}

/** A queued input of a node as its clock holds it: the handle of a {@link SimClock} timer. */
export interface SimInput {
  /** Set by `clearTimer`: the input stays queued and is skipped when due, running nothing. */
  cancelled: boolean;
}

/** One node's clock: the simulator's virtual time; timers are inputs of the node. */
export class SimClock implements Clock {
  constructor(
    private readonly host: SimHost,
    private readonly node: SimEndpoint,
  ) {}

  now(): number {
    return this.host.now;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    // The queued input is the handle: no wrapper closure or handle object per timer.
    return this.host.input(this.node, 'timer', Math.max(0, delayMs), fn);
  }

  clearTimer(handle: TimerHandle): void {
    (handle as SimInput).cancelled = true;
  }
}

/**
 * One node's transport on the simulated network. Datagrams travel with the network's latency,
 * loss and duplication; streams are {@link MemoryStream}s (ordered, reliable, stalled while their
 * link is cut). A dial to an address where no process runs is refused after a round trip (the
 * host answers with a reset); a dial across a cut link times out.
 */
export class SimTransport implements Transport {
  private phase: 'new' | 'running' | 'closed' = 'new';
  private readonly streams = new Set<MemoryStream>();

  constructor(
    private readonly host: SimHost,
    private readonly node: SimEndpoint,
    private readonly clock: Clock,
  ) {}

  get localAddress(): string {
    return this.node.address;
  }

  get mtu(): number {
    return SIM_MTU;
  }

  start(handlers: TransportHandlers): Promise<void> {
    if (this.phase !== 'new') return Promise.reject(new StateError('transport already started'));
    this.phase = 'running';
    this.node.handlers = handlers;
    return Promise.resolve();
  }

  send(to: string, bytes: Uint8Array): Promise<void> {
    if (this.phase !== 'running') return Promise.reject(new TransportError('transport is closed'));
    this.host.datagram(this.node, to, bytes);
    return SENT;
  }

  dial(to: string, options: DialOptions): Promise<StreamConnection> {
    if (this.phase !== 'running') return Promise.reject(new TransportError('transport is closed'));
    const { signal, timeoutMs } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(`dial ${to} aborted`, { cause: signal.reason }));
    const host = this.host;
    const me = this.node;
    const gen = me.gen;
    return new Promise((resolve, reject) => {
      let settled = false;
      host.asyncOps++;
      const settle = (error?: Error, conn?: MemoryStream): boolean => {
        if (settled) return false;
        settled = true;
        host.asyncOps--;
        this.clock.clearTimer(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else if (conn) resolve(conn);
        return true;
      };
      const timer = this.clock.setTimer(() => settle(new TimeoutError(`dial ${to} timed out after ${timeoutMs} ms`)), timeoutMs);
      const onAbort = (): void => void settle(new AbortError(`dial ${to} aborted`, { cause: signal?.reason }));
      signal?.addEventListener('abort', onAbort, { once: true });
      // SYN: lost on a cut link (the dial then times out), else the server's kernel answers.
      if (!host.streamLinkUp(me.address, to)) return;
      host.later(host.latency(), () => {
        if (!host.streamLinkUp(me.address, to)) return;
        const server = host.endpoint(to);
        const back = (fn: () => void): void => void host.input(me, 'stream', host.latency(), () => (me.gen === gen ? fn() : undefined));
        if (server === undefined || !server.running || server.handlers === undefined) {
          back(() => void settle(new TransportError(`dial ${to}: connection refused`, { refused: true })));
          return;
        }
        const [mine, theirs] = host.pair(me.address, to, (s) => this.streams.delete(s));
        // The server process accepts when it next runs (a paused one later; the kernel already answered).
        const serverGen = server.gen;
        host.input(server, 'stream', 0, () => {
          if (server.gen === serverGen && server.handlers) server.handlers.onStream(theirs);
          else theirs.destroy();
        });
        back(() => {
          if (settle(undefined, mine)) this.streams.add(mine);
          else mine.destroy();
        });
      });
    });
  }

  close(): Promise<void> {
    if (this.phase === 'closed') return RESOLVED;
    this.phase = 'closed';
    this.node.handlers = undefined;
    for (const s of [...this.streams]) s.destroy();
    return RESOLVED;
  }
}

const RESOLVED = Promise.resolve();

/**
 * A fulfilled promise whose `catch` adds nothing. The driver puts a `catch` on every datagram send;
 * on a fulfilled promise its handler can never run, yet each call still costs a derived promise and
 * a queued reaction job, and the simulator drains microtasks only when an input may have settled a
 * promise, so over a long run without streams these no-op jobs piled up by the million (about
 * 100 bytes per datagram sent) until the next drain. `then` (so `await`) is the native one.
 */
class SentPromise extends Promise<void> {
  /** Promises derived with `then` are ordinary ones (a rejection in their chain must reach its `catch`). */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }
  override catch(): Promise<void> {
    return this;
  }
}
const SENT: Promise<void> = new SentPromise((resolve) => resolve());
