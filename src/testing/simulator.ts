/**
 * A deterministic cluster simulator: N pure cores on virtual time over a simulated network.
 *
 * Every packet, timer and stream step is an entry in one (time, seq)-ordered queue, and every
 * random choice (latency, loss, the cores' own randomness) comes from seeds, so one seed gives
 * one trace. Faults: latency, loss (global, per link, one-way, per-node inbound), duplication,
 * reordering (from latency spread), partitions that heal, crashes, restarts, pauses (a frozen
 * event loop: timers and packets wait, then timers run first as in Node) and CPU-starved nodes.
 * @module
 */
import { Core, type CoreConfig } from '../core/core.js';
import type { CoreEvent, Effects } from '../core/effects.js';
import { seededRandom, type Random } from '../core/random.js';
import type { Timer } from '../core/timers.js';
import type { MemberSnapshot } from '../events.js';
import { encodeMetadata } from '../metadata.js';
import { DEFAULT_WIRE_LIMITS, lan, type Metadata, type ProtocolOptions } from '../options.js';
import { TimerHeap } from '../runtime/timer-heap.js';
import { NodeStateNumber, type PushNodeState, type PushPullMessage, type StreamMessage } from '../wire/messages.js';
import { decodePayload } from '../wire/packet.js';
import { SimNetwork, type LinkFaults } from './sim-network.js';

/** Options for a {@link Simulator}. */
export interface SimulatorOptions {
  /** Seed of every random choice. Same seed, same trace. */
  readonly seed: number;
  /** Protocol timing for every node (default: memberlist LAN). */
  readonly protocol?: Partial<ProtocolOptions>;
  /** Network faults applied to every link (default: 1–5 ms latency, no loss). */
  readonly network?: Partial<LinkFaults>;
  /**
   * Lifeguard on (default) or off. Off = plain SWIM: no local-health multiplier, fixed suspicion
   * timeout (no confirmation decay), no stall handling; for the comparison that shows it matters.
   */
  readonly lifeguard?: boolean;
  /**
   * Keep every core event in {@link Simulator.log} (default true). Long churn runs turn it off and
   * watch events through {@link Simulator.onEvent} instead, so the log cannot grow without bound.
   */
  readonly recordLog?: boolean;
}

/** One entry of the simulator's event log. */
export interface SimLogEntry {
  readonly time: number;
  /** Node that emitted the event. */
  readonly node: string;
  readonly event: CoreEvent;
}

/** A simulated node's state as the simulator tracks it. */
export interface SimNodeInfo {
  readonly name: string;
  readonly address: string;
  readonly running: boolean;
  readonly paused: boolean;
}

/** Set once a starved node's input has waited its extra handling delay. */
interface Slowable {
  readonly slowed?: boolean;
}

type QueueEntry = Slowable &
  (
  | { readonly kind: 'timer'; readonly node: SimNode; readonly gen: number; readonly timer: Timer; readonly due: number }
  | { readonly kind: 'packet'; readonly node: SimNode; readonly gen: number; readonly from: string; readonly payload: Uint8Array }
  | { readonly kind: 'stream-in'; readonly node: SimNode; readonly gen: number; readonly from: SimNode; readonly fromGen: number; readonly id: number; readonly request: StreamMessage; readonly join: boolean }
  | { readonly kind: 'stream-out'; readonly node: SimNode; readonly gen: number; readonly id: number; readonly result: StreamMessage | Error; readonly join: boolean }
  | { readonly kind: 'action'; readonly run: () => void }
  );

/** Per-node bookkeeping; also the node's Effects sink (effects act directly: no host listeners here). */
class SimNode implements Effects {
  core!: Core;
  gen = 0;
  running = false;
  pausedUntil = -1;
  /** Extra handling delay per input, ms (a CPU-starved process). */
  slowMs = 0;
  held: QueueEntry[] = [];
  /** Join exchanges in flight: id → resolve callback. */
  readonly joins = new Map<number, (ok: boolean) => void>();
  constructor(
    readonly sim: Simulator,
    readonly name: string,
    public address: string,
    public meta: Uint8Array,
  ) {}
  send(to: string, payload: Uint8Array, _crc: boolean): void {
    this.sim.routePacket(this, to, payload);
  }
  stream(to: string, id: number, request: StreamMessage, timeoutMs: number): void {
    this.sim.routeStream(this, to, id, request, timeoutMs, false);
  }
  schedule(timer: Timer, afterMs: number): void {
    this.sim.enqueueTimer(this, timer, afterMs);
  }
  emit(event: CoreEvent): void {
    this.sim.record(this, event);
  }
  log(): void {}
  metric(): void {}
}

/** Runs a whole cluster of cores in one process on virtual time. */
export class Simulator {
  /** Virtual now, ms. */
  now = 0;
  /** Every core event, in order. */
  readonly log: SimLogEntry[] = [];
  /** The simulated network: faults and counters. */
  readonly network: SimNetwork;
  private readonly queue = new TimerHeap<QueueEntry>();
  private readonly nodes = new Map<string, SimNode>();
  private readonly byAddress = new Map<string, SimNode>();
  private readonly random: Random;
  private readonly protocol: ProtocolOptions;
  private readonly lifeguard: boolean;
  private nextAddress = 1;
  private nextJoinId = -1;
  private nextCompletionId = 1;
  private listeners: ((entry: SimLogEntry) => void)[] = [];
  /**
   * What the core is handling while it emits an event (read it in an `onEvent` listener): a due
   * `timer`, a `packet` (gossip, probes), an inbound stream (`stream-in`: a push/pull served) or a
   * stream result (`stream-out`: the reply to our push/pull or join); `undefined` for host calls.
   */
  get input(): 'timer' | 'packet' | 'stream-in' | 'stream-out' | undefined {
    return this.handling;
  }
  private handling: 'timer' | 'packet' | 'stream-in' | 'stream-out' | undefined;
  /** Events are dropped, not logged (during {@link bootstrapConverged}). */
  private muted = false;

  constructor(readonly options: SimulatorOptions) {
    this.random = seededRandom(options.seed);
    this.lifeguard = options.lifeguard ?? true;
    const p = { ...lan(), ...options.protocol };
    // Plain SWIM: health never scales waits, suspicion timeouts never decay from a maximum.
    this.protocol = this.lifeguard ? p : { ...p, awarenessMaxMultiplier: 1, suspicionMaxTimeoutMult: 1 };
    this.network = new SimNetwork(seededRandom(options.seed ^ 0x5eed), options.network ?? {});
  }

  /** Threshold above which a late timer counts as a stall: the driver's rule. */
  get stallThresholdMs(): number {
    return Math.max(50, this.protocol.probeTimeoutMs / 5);
  }

  /** Adds and starts a node. Its address is a virtual 127.x.y.z:7946 unless given. */
  addNode(name: string, options: { metadata?: Metadata; address?: string } = {}): void {
    if (this.nodes.has(name)) throw new Error(`node ${name} exists`);
    const address = options.address ?? this.allocateAddress();
    const node = new SimNode(this, name, address, encodeMetadata(options.metadata));
    this.nodes.set(name, node);
    this.boot(node);
  }

  private allocateAddress(): string {
    const i = this.nextAddress++;
    return `127.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:7946`;
  }

  private boot(node: SimNode): void {
    const [ip, port] = node.address.split(':') as [string, string];
    const config: CoreConfig = {
      ...this.protocol,
      name: node.name,
      advertiseAddr: Uint8Array.from(ip.split('.').map(Number)),
      advertisePort: Number(port),
      meta: node.meta,
      vsn: Uint8Array.of(1, 5, 2, 0, 0, 0),
      protocolVersion: 2,
    };
    node.gen++;
    node.running = true;
    node.pausedUntil = -1;
    node.held = [];
    node.core = new Core(config, seededRandom(Math.floor(this.random.next() * 2 ** 31)));
    this.byAddress.set(node.address, node);
    node.core.start(this.now, node);
  }

  private get(name: string): SimNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no node named ${name}`);
    return node;
  }

  /** Starts a push/pull join from `name` through `seed`; resolves the returned promise-like flag later in virtual time. */
  join(name: string, seed: string): void {
    const node = this.get(name);
    const target = this.get(seed);
    const id = this.nextJoinId--;
    node.joins.set(id, () => {});
    this.routeStream(node, target.address, id, node.core.localState(true), this.protocol.tcpTimeoutMs, true);
  }

  /**
   * Fast bootstrap: puts the named nodes (default: every running node) straight into the state a
   * cluster of them settles into after a join storm, without simulating the storm. For
   * steady-state measurements at large N, where 1,000 staggered joins take minutes of wall time.
   *
   * What each node gets is what the protocol itself would have produced:
   * 1. Membership: one push/pull message listing every named node's own entry, exactly as that
   *    node would send it (name, address, incarnation, metadata, versions: from its own
   *    `localState`), merged with `mergeRemoteState` — the call a join makes with the seed's
   *    reply. So every core inserts the members at random probe-order positions, creates their
   *    entries (and member snapshots, for its `join` events) and queues one alive re-broadcast per
   *    member, as after a real join.
   * 2. Gossip drained: each core's membership broadcast queue is then emptied through the queue's
   *    own selection, every message counted as sent its `retransmitLimit` times — where a real
   *    cluster is once gossip has finished spreading the joins (a minute or so at N = 1,000).
   *
   * Not reproduced: the join traffic (no packets, no counters), health-score bumps from probes
   * lost in the storm, and probe-list shuffles from wraps. Timers are untouched: each node keeps
   * the random probe, gossip and push/pull staggers it got in `addNode` (the first push/pull comes
   * 30–60 s after that, as with joins). The `join` events go neither to `log` nor to listeners.
   * Virtual time does not advance.
   */
  bootstrapConverged(names: readonly string[] = this.runningNames()): void {
    const nodes = names.map((name) => this.get(name));
    const entries: PushNodeState[] = [];
    for (const node of nodes) {
      if (!node.running) throw new Error(`node ${node.name} is not running`);
      const self = node.core.localState(false).nodes.find((e) => e.name === node.name);
      if (self === undefined || self.state !== NodeStateNumber.alive) throw new Error(`node ${node.name} is not alive in its own table`);
      entries.push(self);
    }
    const message: PushPullMessage = { type: 'push-pull', join: false, nodes: entries, userState: new Uint8Array(0) };
    const mute = this.muted;
    this.muted = true;
    try {
      for (const node of nodes) {
        const err = node.core.mergeRemoteState(this.now, message, node);
        if (err !== undefined) throw err;
        // Gossip has finished: an empty queue (none of these carry a completion id to report).
        node.core.settleGossip();
      }
    } finally {
      this.muted = mute;
    }
  }

  /** Gracefully leaves: the node gossips its own death (peers record a leave) and keeps answering until crashed or shut down. */
  leave(name: string): void {
    const node = this.get(name);
    node.core.leave(this.now, node, this.nextCompletionId++);
  }

  /** Changes a node's metadata (incarnation bump + alive broadcast). */
  setMetadata(name: string, metadata: Metadata): void {
    const node = this.get(name);
    node.meta = encodeMetadata(metadata);
    node.core.setMetadata(this.now, node.meta, node, this.nextCompletionId++);
  }

  /** Queues a user broadcast at a node. */
  broadcast(name: string, payload: Uint8Array): void {
    const node = this.get(name);
    node.core.broadcastUser(this.now, payload, node);
  }

  /** Crashes a node: it stops at once, sends nothing, answers nothing. */
  crash(name: string): void {
    const node = this.get(name);
    node.running = false;
    node.gen++;
    node.held = [];
  }

  /** Crashes a node and forgets it entirely (churn: its name is never used again). */
  remove(name: string): void {
    const node = this.get(name);
    this.crash(name);
    this.nodes.delete(name);
    if (this.byAddress.get(node.address) === node) this.byAddress.delete(node.address);
  }

  /** Restarts a crashed (or running) node under the same name with fresh state (incarnation starts over), optionally at a new address, and joins it through `seed`. */
  restart(name: string, seed: string, options: { newAddress?: boolean } = {}): void {
    const node = this.get(name);
    this.crash(name);
    this.byAddress.delete(node.address);
    if (options.newAddress) node.address = this.allocateAddress();
    this.boot(node);
    this.join(name, seed);
  }

  /** Freezes a node for `ms`, like a blocked event loop: inputs wait, then overdue timers run before the queued packets. */
  pause(name: string, ms: number): void {
    const node = this.get(name);
    node.pausedUntil = Math.max(node.pausedUntil, this.now + ms);
    const gen = node.gen;
    this.at(this.now + ms, () => this.resume(node, gen));
  }

  /** Slows a node's handling of every input by `ms` (a CPU-starved process); 0 restores it. */
  starve(name: string, ms: number): void {
    this.get(name).slowMs = ms;
  }

  /** Runs `fn` at virtual time `time`. */
  at(time: number, fn: () => void): void {
    this.queue.push(Math.max(time, this.now), { kind: 'action', run: fn });
  }

  /** Advances virtual time by `ms`, processing everything due. */
  runFor(ms: number): void {
    this.runUntil(() => false, ms);
  }

  /**
   * Advances until `done()` holds or `maxMs` passes; returns whether it held. `done` is checked
   * after every step, or — when `checkEveryMs` > 0 — at most once per that much virtual time, for
   * predicates too costly to run after each of millions of steps.
   */
  runUntil(done: () => boolean, maxMs: number, checkEveryMs = 0): boolean {
    const until = this.now + maxMs;
    if (done()) return true;
    let nextCheck = this.now + checkEveryMs;
    for (;;) {
      const top = this.queue.peek();
      if (top === undefined || top.due > until) break;
      this.queue.pop();
      this.now = top.due;
      this.dispatch(top.value);
      if (this.now >= nextCheck) {
        if (done()) return true;
        nextCheck = this.now + checkEveryMs;
      }
    }
    this.now = until;
    return done();
  }

  /** Whether every running node counts exactly `n` live members (alive or suspect, itself included). O(nodes). */
  allSee(n: number): boolean {
    for (const node of this.nodes.values()) if (node.running && node.core.size !== n) return false;
    return true;
  }

  /** Subscribes to the event log as it grows. Returns the unsubscribe function. */
  onEvent(listener: (entry: SimLogEntry) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** A node's view: every member it knows. */
  view(name: string): readonly MemberSnapshot[] {
    return this.get(name).core.members();
  }

  /** The core of a node (for assertions). */
  core(name: string): Core {
    return this.get(name).core;
  }

  /** Every node the simulator knows. */
  nodeInfo(): SimNodeInfo[] {
    return [...this.nodes.values()].map((n) => ({ name: n.name, address: n.address, running: n.running, paused: n.pausedUntil > this.now }));
  }

  /** Names of running nodes. */
  runningNames(): string[] {
    return [...this.nodes.values()].filter((n) => n.running).map((n) => n.name);
  }

  // ---- plumbing used by SimNode ------------------------------------------------------------

  /** @internal */
  record(node: SimNode, event: CoreEvent): void {
    if (this.muted) return;
    const entry = { time: this.now, node: node.name, event };
    if (this.options.recordLog !== false) this.log.push(entry);
    for (const l of this.listeners) l(entry);
  }

  /** @internal */
  enqueueTimer(node: SimNode, timer: Timer, afterMs: number): void {
    const due = this.now + afterMs;
    this.queue.push(due, { kind: 'timer', node, gen: node.gen, timer, due });
  }

  /** @internal */
  routePacket(from: SimNode, to: string, payload: Uint8Array): void {
    const dest = this.byAddress.get(to);
    const delays = this.network.deliver(from.address, to, payload, dest !== undefined && dest.running);
    for (const delay of delays) {
      this.queue.push(this.now + delay, { kind: 'packet', node: dest!, gen: dest!.gen, from: from.address, payload });
    }
  }

  /** @internal */
  routeStream(from: SimNode, to: string, id: number, request: StreamMessage, timeoutMs: number, join: boolean): void {
    const dest = this.byAddress.get(to);
    // Streams ride TCP, which retransmits through partial loss; only a cut link (partition, or a
    // member whose inbound traffic is dropped entirely) stops them.
    const reachable =
      dest !== undefined && dest.running && this.network.connected(from.address, to) && this.network.connected(to, from.address) && !this.network.isolated(to) && !this.network.isolated(from.address);
    if (!reachable) {
      this.queue.push(this.now + timeoutMs, { kind: 'stream-out', node: from, gen: from.gen, id, result: new Error(`stream to ${to} timed out`), join });
      return;
    }
    this.network.countStream(request, from.address);
    this.queue.push(this.now + this.network.latency(), { kind: 'stream-in', node: dest, gen: dest.gen, from, fromGen: from.gen, id, request, join });
  }

  private dispatch(entry: QueueEntry): void {
    if (entry.kind === 'action') return entry.run();
    const node = entry.node;
    if (!node.running || entry.gen !== node.gen) return;
    if (node.pausedUntil > this.now) {
      node.held.push(entry);
      return;
    }
    if (node.slowMs > 0 && !entry.slowed) {
      this.queue.push(this.now + node.slowMs, { ...entry, slowed: true });
      return;
    }
    this.handle(node, entry);
  }

  private handle(node: SimNode, entry: Exclude<QueueEntry, { kind: 'action' }>): void {
    this.handling = entry.kind;
    try {
      this.handleInput(node, entry);
    } finally {
      this.handling = undefined;
    }
  }

  private handleInput(node: SimNode, entry: Exclude<QueueEntry, { kind: 'action' }>): void {
    const core = node.core;
    switch (entry.kind) {
      case 'timer': {
        const late = this.now - entry.due;
        if (this.lifeguard && late > this.stallThresholdMs) core.noteStall(this.now, late, node);
        core.handleTimer(this.now, entry.timer, node);
        return;
      }
      case 'packet': {
        const { messages } = decodePayload(entry.payload, DEFAULT_WIRE_LIMITS);
        if (messages.length > 0) core.handlePacket(this.now, entry.from, messages, node);
        return;
      }
      case 'stream-in': {
        const reply = core.handleStream(this.now, entry.from.address, entry.request, node);
        if (entry.request.type === 'user') return;
        const from = entry.from;
        const back = this.network.connected(node.address, from.address);
        const result: StreamMessage | Error = reply ?? new Error('no reply');
        if (reply) this.network.countStream(reply, node.address);
        this.queue.push(this.now + (back ? this.network.latency() : this.protocol.tcpTimeoutMs), {
          kind: 'stream-out', node: from, gen: entry.fromGen, id: entry.id, result: back ? result : new Error('reply lost'), join: entry.join,
        });
        return;
      }
      case 'stream-out': {
        if (entry.join) {
          if (!(entry.result instanceof Error) && entry.result.type === 'push-pull') core.mergeRemoteState(this.now, entry.result as PushPullMessage, node);
          node.joins.get(entry.id)?.(!(entry.result instanceof Error));
          node.joins.delete(entry.id);
        } else {
          core.handleStreamResult(this.now, entry.id, entry.result, node);
        }
        return;
      }
    }
  }

  private resume(node: SimNode, gen: number): void {
    if (node.gen !== gen || node.pausedUntil > this.now || !node.running) return;
    const held = node.held;
    node.held = [];
    // Node runs overdue timers before it polls sockets: replay timers first, then packets.
    const timers = held.filter((e): e is Extract<QueueEntry, { kind: 'timer' }> => e.kind === 'timer').sort((a, b) => a.due - b.due);
    const firstLate = timers[0] ? this.now - timers[0].due : 0;
    if (this.lifeguard && firstLate > this.stallThresholdMs) node.core.noteStall(this.now, firstLate, node);
    this.handling = 'timer';
    for (const t of timers) if (node.gen === gen) node.core.handleTimer(this.now, t.timer, node);
    this.handling = undefined;
    for (const e of held) if (e.kind !== 'timer' && e.kind !== 'action' && node.gen === gen) this.handle(node, e);
  }
}
