/**
 * Runs the pure state engine on a node: its two timers, its datagrams and the membership view.
 *
 * Like the driver for the core, it is the only state code with timers and I/O: it asks the
 * driver to seal and send state datagrams, gets state datagrams from the driver before the
 * memberlist decoder sees them, and reads membership (who is in the table, who announced the
 * state feature) from the core.
 * @module
 */
import type { Core } from '../core/core.js';
import { seededRandom, type Random } from '../core/random.js';
import type { Logger, Metrics } from '../observability.js';
import { METRIC } from '../observability.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Driver } from './driver.js';
import { decodeStateMessage, STATE_FEATURE } from '../state/codec.js';
import { StateEngine, type StateContext } from '../state/engine.js';
import type { ResolvedStateOptions } from '../state/limits.js';
import type { ClusterEvent } from '../state/event-log.js';
import type { StateValue } from '../state/replica.js';
import type { MemberKeyChange } from '../state/store.js';


/** What a {@link StateRunner} runs on. */
export interface StateRunnerDeps {
  readonly name: string;
  /** Above any earlier run of this name: wall-clock ms on a real node, virtual ms in the simulator. */
  readonly generation: number;
  readonly options: ResolvedStateOptions;
  /** Most bytes of one state message (the packet budget less what sealing adds). */
  readonly budgetBytes: number;
  readonly clock: Clock;
  readonly core: Core;
  readonly driver: Driver;
  readonly seed: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** Delivers one `state` event to the host (never throws). */
  readonly deliver: (change: MemberKeyChange) => void;
  /** Delivers one cluster-wide event to the host (never throws). */
  readonly deliverEvent: (event: ClusterEvent) => void;
}

/** One node's state layer at run time. Created by `Hearsay` once the core runs. */
export class StateRunner {
  readonly engine: StateEngine;
  private readonly random: Random;
  /** Members that spoke the state protocol to us although no `Hf` reached us (relayed by Go nodes only). */
  private readonly heard = new Set<string>();
  private capable: string[] | undefined;
  private syncTimer: TimerHandle | undefined;
  private gossipTimer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly d: StateRunnerDeps) {
    this.engine = new StateEngine(d.name, d.generation, d.options, d.budgetBytes);
    this.random = seededRandom(d.seed);
  }

  /** Stops both timers. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.syncTimer !== undefined) this.d.clock.clearTimer(this.syncTimer);
    if (this.gossipTimer !== undefined) this.d.clock.clearTimer(this.gossipTimer);
    this.syncTimer = this.gossipTimer = undefined;
  }

  /** Writes (or deletes, `value` undefined) one own key; the facade checked the arguments. */
  write(key: string, value: StateValue | undefined, ttlMs: number | undefined): void {
    this.step((ctx) => this.engine.write(ctx, key, value, ttlMs));
  }

  /** Publishes one cluster-wide event; the facade checked name and size. */
  publish(name: string, payload: Uint8Array): void {
    this.step((ctx) => this.engine.events.publish(ctx, name, payload));
  }

  /** A state datagram the driver peeled (label, encryption, CRC). Counted and dropped when bad; never throws. */
  handleDatagram(from: string, bytes: Uint8Array): void {
    const decoded = decodeStateMessage(bytes);
    if (!decoded.ok) {
      this.d.metrics.increment(METRIC.packetsDropped, 1, { reason: `state-${decoded.reason}` });
      this.d.logger.debug({ from, detail: decoded.detail }, 'dropped state message');
      return;
    }
    this.step((ctx) => this.engine.handle(ctx, decoded.message));
  }

  private step(fn: (ctx: StateContext) => void): void {
    if (this.stopped) return;
    const changes: MemberKeyChange[] = [];
    const events: ClusterEvent[] = [];
    const unknown = new Set<string>();
    const ctx = this.context(this.d.clock.now(), changes, events, unknown);
    try {
      fn(ctx);
    } catch (error) {
      // A bug, never input: keep the node running, as the driver does for core steps.
      this.d.logger.error({ err: error }, 'hearsay state step threw; input dropped');
    }
    this.arm();
    // Membership may lag a peer's: a member we reaped may be back (the core decides and bounds it).
    for (const name of unknown) this.d.driver.step((now, fx) => this.d.core.reconnectFailed(now, fx, name));
    for (const c of changes) this.d.deliver(c);
    for (const e of events) this.d.deliverEvent(e);
  }

  private context(now: number, changes: MemberKeyChange[], events: ClusterEvent[], unknown: Set<string>): StateContext {
    const { core, driver, metrics, logger } = this.d;
    return {
      now,
      capablePeers: () => (this.capable ??= this.listCapable()),
      isMember: (name) => core.memberFeatures(name) !== undefined,
      randomInt: (n) => this.random.int(n),
      send: (to, bytes) => {
        // Only ever to a member in our table: a name that parses as an address is not a target.
        if (core.memberFeatures(to) === undefined) return;
        const target = core.userTarget(to);
        if (target !== undefined) driver.sendState(target.address, bytes, target.crc);
      },
      noteCapable: (name) => {
        if (this.heard.has(name) || core.memberFeatures(name) === undefined) return;
        this.heard.add(name);
        this.capable = undefined;
      },
      unknownMember: (name) => unknown.add(name),
      emit: (c) => changes.push(c),
      emitEvent: (e) => events.push(e),
      drop: (reason, detail) => {
        metrics.increment(METRIC.packetsDropped, 1, { reason: `state-${reason}` });
        logger.debug({ ...detail, reason }, 'dropped state input');
      },
    };
  }

  /** Alive or suspect members other than us that announced the feature, or spoke the protocol to us. */
  private listCapable(): string[] {
    const out: string[] = [];
    for (const name of this.heard) if (this.d.core.memberFeatures(name) === undefined) this.heard.delete(name); // reaped
    for (const m of this.d.core.members()) {
      if (m.name === this.d.name || (m.state !== 'alive' && m.state !== 'suspect')) continue;
      if ((this.d.core.memberFeatures(m.name)! & STATE_FEATURE) !== 0 || this.heard.has(m.name)) out.push(m.name);
    }
    return out;
  }

  /**
   * Keeps the timers running while there is anything to do. A node that holds no state at all parks
   * its sync timer: in a cluster where nobody writes, the state layer sends nothing. Whoever holds
   * state keeps syncing, and its digests reach the others.
   */
  private arm(): void {
    if (this.stopped) return;
    const e = this.engine;
    if (this.holdsState() && this.syncTimer === undefined) {
      // A random first offset spreads the cluster's exchanges over the interval.
      this.syncTimer = this.d.clock.setTimer(() => this.onSync(), this.random.int(this.d.options.syncIntervalMs) + 1);
    }
    if (e.hasHot && this.gossipTimer === undefined) {
      this.gossipTimer = this.d.clock.setTimer(() => this.onGossip(), this.d.options.gossipIntervalMs);
    }
  }

  private holdsState(): boolean {
    return this.engine.store.own.version > 0 || this.engine.store.peerCount > 0 || this.engine.events.active;
  }

  private onSync(): void {
    this.capable = undefined; // membership changed meanwhile: list afresh once per interval
    // Keep the handle set during the step so arm() does not start a second chain.
    this.step((ctx) => this.engine.sync(ctx));
    this.syncTimer = !this.stopped && this.holdsState() ? this.d.clock.setTimer(() => this.onSync(), this.d.options.syncIntervalMs) : undefined;
  }

  private onGossip(): void {
    this.gossipTimer = undefined;
    this.step((ctx) => this.engine.gossip(ctx));
  }
}

/** Builds a node's runner from its options (`Hearsay.start` calls it once the core runs). */
export function createStateRunner(
  o: { readonly name: string; readonly randomSeed: number | undefined; readonly state: ResolvedStateOptions },
  deps: Pick<StateRunnerDeps, 'budgetBytes' | 'clock' | 'core' | 'driver' | 'logger' | 'metrics' | 'deliver' | 'deliverEvent'> & { readonly virtualTime: boolean; readonly seed: number },
): StateRunner {
  return new StateRunner({
    ...deps,
    name: o.name,
    // Above any earlier run under this name: wall-clock ms (virtual ms in the simulator, where time only moves on).
    generation: deps.virtualTime ? Math.floor(deps.clock.now()) + 1 : Date.now(),
    options: o.state,
    seed: (o.randomSeed ?? deps.seed) + 1,
  });
}
