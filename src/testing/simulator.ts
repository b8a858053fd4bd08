/**
 * A deterministic cluster simulator that runs the node we ship: every simulated node is a real
 * `Hearsay` (options, driver, packet sealing, stream framing, join orchestration, stall rule)
 * on a virtual {@link SimClock} over a simulated {@link SimTransport}. Only time and the network
 * are replaced, as in FoundationDB's and TigerBeetle's simulators.
 *
 * Every timer, datagram and stream segment is an entry in one (time, seq)-ordered queue, and
 * every random choice (latency, loss, the nodes' own randomness) comes from seeds, so one seed
 * gives one trace. Faults: latency, loss (global, per link, one-way, per-node inbound),
 * duplication, reordering (from latency spread), partitions that heal, crashes, restarts, pauses
 * (a frozen event loop: inputs wait, then overdue timers run before the queued packets, as in
 * Node) and CPU-starved nodes.
 *
 * Nodes run async code (stream conversations, joins); after each input that may settle a
 * promise, the simulator lets the microtask queue drain before virtual time moves on, so
 * {@link Simulator.runFor} and {@link Simulator.runUntil} are async.
 * @module
 */
import type { Core } from '../core/core.js';
import { seededRandom, type Random } from '../core/random.js';
import type { MemberSnapshot } from '../events.js';
import { Hearsay } from '../hearsay.js';
import type { HearsayOptions, Metadata, ProtocolOptions } from '../options.js';
import { nodeInternals, type NodeInternals } from '../runtime/node-runtime.js';
import { convergeNodes } from './sim-bootstrap.js';
import { SimFabric } from './sim-fabric.js';
import { SimNetwork, type LinkFaults } from './sim-network.js';
import { EVENT_NAMES, SimNode, type SimEvent, type SimLogEntry, type SimNodeInfo } from './sim-node.js';
import { SimClock, SimTransport, type SimInputKind } from './sim-transport.js';

export type { SimEvent, SimLogEntry, SimNodeInfo } from './sim-node.js';

/** Options for a {@link Simulator}. */
export interface SimulatorOptions {
  /** Seed of every random choice. Same seed, same trace. */
  readonly seed: number;
  /** Protocol timing for every node (default: memberlist LAN). */
  readonly protocol?: Partial<ProtocolOptions>;
  /**
   * `Hearsay.start` options for every node (per-node ones go to {@link Simulator.addNode}):
   * `secretKeys`, `label`, `compression`, `metadata`, hooks. Compression defaults to **off** in
   * the simulator (LZW in JavaScript costs simulation speed); a node with encryption, a label or
   * compression seals its packets exactly like a real one.
   */
  readonly node?: Partial<HearsayOptions>;
  /** Network faults applied to every link (default: 1–5 ms latency, no loss). */
  readonly network?: Partial<LinkFaults>;
  /**
   * Lifeguard on (default) or off. Off = plain SWIM: no local-health multiplier, fixed suspicion
   * timeout (no confirmation decay), no stall handling; for the comparison that shows it matters.
   */
  readonly lifeguard?: boolean;
  /**
   * Keep every event in {@link Simulator.log} (default true). Long churn runs turn it off and
   * watch events through {@link Simulator.onEvent} instead, so the log cannot grow without bound.
   */
  readonly recordLog?: boolean;
}

/** Runs a whole cluster of real nodes in one process on virtual time. */
export class Simulator {
  /** Every node event, in order (unless `recordLog` is false). */
  readonly log: SimLogEntry[] = [];
  /** The simulated network: faults and counters. */
  readonly network: SimNetwork;
  private readonly fabric: SimFabric;
  private readonly nodes = new Map<string, SimNode>();
  private readonly random: Random;
  private readonly protocol: Partial<ProtocolOptions>;
  private readonly lifeguard: boolean;
  private nextAddress = 1;
  private listeners: ((entry: SimLogEntry) => void)[] = [];
  /** Events are dropped, not logged (during {@link bootstrapConverged}). */
  private muted = false;

  constructor(readonly options: SimulatorOptions) {
    this.random = seededRandom(options.seed);
    this.lifeguard = options.lifeguard ?? true;
    const p = options.protocol ?? {};
    // Plain SWIM: health never scales waits, suspicion timeouts never decay from a maximum.
    this.protocol = this.lifeguard ? p : { ...p, awarenessMaxMultiplier: 1, suspicionMaxTimeoutMult: 1 };
    this.network = new SimNetwork(seededRandom(options.seed ^ 0x5eed), options.network ?? {});
    this.fabric = new SimFabric(this.network);
  }

  /** Virtual now, ms. */
  get now(): number {
    return this.fabric.now;
  }

  /**
   * What the node is handling while it emits an event (read it in an {@link onEvent} listener):
   * a due `timer`, a `packet` (gossip, probes), or `stream` traffic (a push/pull or join
   * exchange, served or answered); `undefined` for host calls.
   */
  get input(): SimInputKind | undefined {
    return this.fabric.handling;
  }

  /**
   * Adds and starts a node: a real `Hearsay` with the simulator's and these options. Its address
   * is a virtual 127.x.y.z:7946 unless given. Resolves with the running node. `name` is the
   * simulator's key for it and its member name, unless `options.name` gives another member name
   * (to run two processes configured with one name).
   */
  async addNode(name: string, options: { metadata?: Metadata; address?: string; options?: Partial<HearsayOptions> } = {}): Promise<Hearsay> {
    if (this.nodes.has(name)) throw new Error(`node ${name} exists`);
    const address = options.address ?? this.allocateAddress();
    const nodeOptions = { ...options.options, ...(options.metadata !== undefined ? { metadata: options.metadata } : {}) };
    const node = new SimNode(name, address, nodeOptions);
    this.nodes.set(name, node);
    await this.boot(node);
    return node.hearsay!;
  }

  private allocateAddress(): string {
    const i = this.nextAddress++;
    return `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`;
  }

  private async boot(node: SimNode): Promise<void> {
    node.gen++;
    node.running = true;
    node.pausedUntil = -1;
    node.held = [];
    this.fabric.byAddress.set(node.address, node);
    const clock = new SimClock(this.fabric.host, node);
    const options: HearsayOptions = {
      compression: false,
      ...this.protocol,
      ...this.options.node,
      ...node.options,
      // A node may run under another member name than its key: two processes given one name.
      name: node.options.name ?? node.name,
      bind: node.address,
      transport: new SimTransport(this.fabric.host, node, clock),
      randomSeed: Math.floor(this.random.next() * 2 ** 31),
    };
    const hearsay = new Hearsay(options, { clock, stallDetection: this.lifeguard });
    node.encrypted = hearsay.options.secretKeys.length > 0;
    node.hearsay = hearsay;
    for (const name of EVENT_NAMES) {
      hearsay.on(name, (payload: object) => this.record(node, { type: name, ...payload } as SimEvent));
    }
    await hearsay.start();
  }

  private get(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node named ${name}`);
    return node;
  }

  /** The running `Hearsay` named `name`: use its public API (members, events, leave, …). */
  node(name: string): Hearsay {
    const hearsay = this.get(name).hearsay;
    if (!hearsay) throw new Error(`node ${name} has not started`);
    return hearsay;
  }

  /** A node's driver and core, for assertions and the converged bootstrap. */
  private internals(name: string): NodeInternals {
    const internals = nodeInternals.get(this.node(name));
    if (!internals) throw new Error(`node ${name} is not running`);
    return internals;
  }

  /** Starts `name`'s `join()` through `seed`'s address (its outcome is in the members' views and events). */
  join(name: string, seed: string): void {
    this.node(name).join([this.get(seed).address]).catch(() => {});
  }

  /**
   * Fast bootstrap: puts the named nodes (default: every running node) straight into the state a
   * cluster of them settles into after a join storm, without simulating the storm (see
   * `convergeNodes` in sim-bootstrap.ts). The `join` events go neither to `log` nor to listeners. Virtual time
   * does not advance.
   */
  bootstrapConverged(names: readonly string[] = this.runningNames()): void {
    const mute = this.muted;
    this.muted = true;
    try {
      convergeNodes(names.map((name) => ({ name, ...this.internals(name) })));
    } finally {
      this.muted = mute;
    }
  }

  /** Gracefully leaves: the node gossips its own death (peers record a leave) and keeps answering until crashed. */
  leave(name: string): void {
    this.node(name).leave().catch(() => {});
  }

  /** Changes a node's metadata (incarnation bump + alive broadcast). */
  setMetadata(name: string, metadata: Metadata): void {
    this.get(name).options = { ...this.get(name).options, metadata };
    this.node(name).setMetadata(metadata).catch(() => {});
  }

  /** Queues a user broadcast at a node. */
  broadcast(name: string, payload: Uint8Array): void {
    this.node(name).broadcast(payload);
  }

  /** Crashes a node (`kill -9`): it stops at once, sends nothing, answers nothing; its streams are reset. */
  crash(name: string): void {
    const node = this.get(name);
    node.running = false;
    node.gen++;
    node.held = [];
    node.handlers = undefined;
    for (const s of [...node.streams]) s.destroy();
  }

  /** Crashes a node and forgets it entirely (churn: its name is never used again). */
  remove(name: string): void {
    const node = this.get(name);
    this.crash(name);
    this.nodes.delete(name);
    if (this.fabric.byAddress.get(node.address) === node) this.fabric.byAddress.delete(node.address);
  }

  /**
   * Restarts a crashed (or running) node under the same name with fresh state (incarnation
   * starts over), optionally at a new address, and joins it through `seed` once started.
   */
  restart(name: string, seed: string, options: { newAddress?: boolean } = {}): void {
    const node = this.get(name);
    this.crash(name);
    this.fabric.byAddress.delete(node.address);
    if (options.newAddress) node.address = this.allocateAddress();
    this.boot(node).then(
      () => this.join(name, seed),
      () => {},
    );
  }

  /** Freezes a node for `ms`, like a blocked event loop: inputs wait, then overdue timers run before the queued packets. */
  pause(name: string, ms: number): void {
    const node = this.get(name);
    node.pausedUntil = Math.max(node.pausedUntil, this.now + ms);
    const gen = node.gen;
    this.at(this.now + ms, () => this.fabric.resume(node, gen));
  }

  /** Slows a node's handling of every input by `ms` (a CPU-starved process); 0 restores it. */
  starve(name: string, ms: number): void {
    this.get(name).slowMs = ms;
  }

  /** Runs `fn` at virtual time `time`. */
  at(time: number, fn: () => void): void {
    this.fabric.at(time, fn);
  }

  /** Advances virtual time by `ms`, processing everything due. */
  async runFor(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  /**
   * Advances until `done()` holds or `maxMs` passes; returns whether it held. `done` is checked
   * after every step, or — when `checkEveryMs` > 0 — at most once per that much virtual time, for
   * predicates too costly to run after each of millions of steps.
   */
  async runUntil(done: () => boolean, maxMs: number, checkEveryMs = 0): Promise<boolean> {
    return this.fabric.runUntil(done, maxMs, checkEveryMs);
  }

  /** Runs virtual time until `promise` settles (or `maxMs` passes: then rejects), and returns its value. */
  async until<T>(promise: Promise<T>, maxMs: number): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => (settled = true));
    watched.catch(() => {});
    if (!(await this.runUntil(() => settled, maxMs))) throw new Error(`not settled within ${maxMs} ms of virtual time`);
    return watched;
  }

  /** Whether every running node counts exactly `n` live members (alive or suspect, itself included). O(nodes). */
  allSee(n: number): boolean {
    for (const node of this.nodes.values()) if (node.running && node.hearsay!.size !== n) return false;
    return true;
  }

  /** Subscribes to the event log as it grows. Returns the unsubscribe function. */
  onEvent(listener: (entry: SimLogEntry) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** A node's view: every member it knows, in its table's order. */
  view(name: string): readonly MemberSnapshot[] {
    return this.internals(name).core.members();
  }

  /** The core of a node (for assertions on protocol state the public API does not show). */
  core(name: string): Core {
    return this.internals(name).core;
  }

  /** Every node the simulator knows. */
  nodeInfo(): SimNodeInfo[] {
    return [...this.nodes.values()].map((n) => ({ name: n.name, address: n.address, running: n.running, paused: n.pausedUntil > this.now }));
  }

  /** Names of running nodes. */
  runningNames(): string[] {
    return [...this.nodes.values()].filter((n) => n.running).map((n) => n.name);
  }

  private record(node: SimNode, event: SimEvent): void {
    if (this.muted) return;
    const entry = { time: this.now, node: node.name, event };
    if (this.options.recordLog !== false) this.log.push(entry);
    for (const l of this.listeners) l(entry);
  }
}
