/**
 * The simulator's engine room: virtual time, the one (time, seq)-ordered queue of every node's
 * inputs, and the plumbing clocks and transports use (datagrams through the {@link SimNetwork},
 * streams as {@link MemoryStream}s whose segments are inputs of the receiving node).
 *
 * Node code is async where it talks over streams; after each input that may settle a promise,
 * the fabric lets the microtask queue drain (one `setImmediate`) before time moves on, so a
 * conversation's continuations run at the virtual instant their input arrived.
 * @module
 */
import { TimerHeap } from '../runtime/timer-heap.js';
import { MemoryStream, type Pipe, type PipeEnv, type Segment } from './memory-stream.js';
import { TYPE_NAMES } from '../wire/messages.js';
import type { SimNetwork } from './sim-network.js';
import { QueueEntry, type InputEntry, type SimNode } from './sim-node.js';
import type { SimHost, SimInput, SimInputKind } from './sim-transport.js';

/** Virtual time, the input queue and the network plumbing of one {@link Simulator}. */
export class SimFabric {
  /** Virtual now, ms. */
  now = 0;
  /** What is being handled right now (see `Simulator.input`). */
  handling: SimInputKind | undefined;
  /** Nodes by address, for routing. */
  readonly byAddress = new Map<string, SimNode>();
  /** What clocks and transports call. */
  readonly host: SimHost;
  private readonly queue = new TimerHeap<QueueEntry>();
  private readonly liveStreams = new Set<MemoryStream>();
  private readonly stalled = new Set<Pipe>();
  private readonly streamKinds = new WeakMap<Pipe, string>();
  private readonly pipeEnv: PipeEnv;

  constructor(private readonly network: SimNetwork) {
    network.onChange = () => this.resumeStalledStreams();
    const fabric = this;
    this.host = {
      get now() {
        return fabric.now;
      },
      asyncOps: 0,
      input: (node, kind, delayMs, run) => this.enqueue(node as SimNode, kind, delayMs, run),
      later: (delayMs, run) => this.later(delayMs, run),
      datagram: (from, to, bytes) => this.datagram(from as SimNode, to, bytes),
      latency: () => network.latency(),
      streamLinkUp: (from, to) => network.streamLinkUp(from, to),
      endpoint: (address) => this.byAddress.get(address),
      pair: (client, server, onDone) => this.pair(client, server, onDone),
    };
    this.pipeEnv = {
      schedule: (fn, delayMs, to) => {
        const node = this.byAddress.get(to);
        if (node) this.enqueue(node, 'stream', delayMs, fn);
        else this.later(delayMs, fn);
      },
      latency: () => network.latency(),
      isLinkUp: (from, to) => network.streamLinkUp(from, to),
      stall: (pipe) => this.stalled.add(pipe),
      sent: (pipe, segment) => this.countSegment(pipe, segment),
    };
  }

  /** Queues `run` as an input of `node`, `delayMs` from now; returns the entry (a timer's handle). */
  enqueue(node: SimNode, kind: 'timer' | 'stream', delayMs: number, run: () => void): SimInput {
    const due = this.now + delayMs;
    const entry = new QueueEntry(kind, node, node.gen, due, run, undefined, undefined);
    this.queue.push(due, entry);
    return entry;
  }

  /** Queues `run`, bound to no node, `delayMs` from now. */
  later(delayMs: number, run: () => void): void {
    const due = this.now + delayMs;
    this.queue.push(due, new QueueEntry('action', undefined, 0, due, run, undefined, undefined));
  }

  /** Queues `run` at virtual time `time` (now if past). */
  at(time: number, run: () => void): void {
    const due = Math.max(time, this.now);
    this.queue.push(due, new QueueEntry('action', undefined, 0, due, run, undefined, undefined));
  }

  /** Advances until `done()` holds or `maxMs` passes (see `Simulator.runUntil`). */
  async runUntil(done: () => boolean, maxMs: number, checkEveryMs: number): Promise<boolean> {
    const until = this.now + maxMs;
    await this.settle();
    if (done()) return true;
    let nextCheck = this.now + checkEveryMs;
    const queue = this.queue;
    for (;;) {
      const due = queue.peekDue();
      if (queue.size === 0 || due > until) break;
      const entry = queue.peekValue()!;
      queue.drop();
      this.now = due;
      if (this.dispatch(entry)) await this.settle();
      if (this.now >= nextCheck) {
        if (done()) return true;
        nextCheck = this.now + checkEveryMs;
      }
    }
    this.now = until;
    return done();
  }

  /** Node runs overdue timers before it polls sockets: replay held timers first, then the rest. */
  resume(node: SimNode, gen: number): void {
    if (node.gen !== gen || node.pausedUntil > this.now || !node.running) return;
    const held = node.held;
    node.held = [];
    // Array.prototype.sort is stable: timers due together replay in the order they were held.
    const timers = held.filter((e) => e.kind === 'timer').sort((a, b) => a.due - b.due);
    for (const t of timers) if (node.gen === gen) this.handle(t);
    for (const e of held) if (e.kind !== 'timer' && node.gen === gen) this.handle(e);
  }

  private datagram(from: SimNode, to: string, bytes: Uint8Array): void {
    const dest = this.byAddress.get(to);
    const delays = this.network.deliver(from.address, to, bytes, dest !== undefined && dest.running, from.encrypted);
    for (const delay of delays) {
      const due = this.now + delay;
      this.queue.push(due, new QueueEntry('packet', dest, dest!.gen, due, undefined, from.address, bytes));
    }
  }

  private pair(client: string, server: string, onDone: (s: MemoryStream) => void): [MemoryStream, MemoryStream] {
    const clientNode = this.byAddress.get(client);
    const serverNode = this.byAddress.get(server);
    const done = (node: SimNode | undefined) => (s: MemoryStream) => {
      this.liveStreams.delete(s);
      node?.streams.delete(s);
      if (node === clientNode) onDone(s);
    };
    const [c, s] = MemoryStream.pair(this.pipeEnv, client, server, done(clientNode), done(serverNode));
    for (const [end, node] of [[c, clientNode], [s, serverNode]] as const) {
      this.liveStreams.add(end);
      node?.streams.add(end);
    }
    return [c, s];
  }

  /** Streams type their traffic by the first message of each direction (`stream:push-pull`, …). */
  private countSegment(pipe: Pipe, segment: Segment): void {
    if (segment.kind !== 'data') return;
    let kind = this.streamKinds.get(pipe);
    if (kind === undefined) {
      const b = segment.bytes;
      const at = b[0] === 0xf4 ? 2 + (b[1] ?? 0) : 0;
      kind = TYPE_NAMES[b[at] ?? -1] ?? `type-${b[at]}`;
      this.streamKinds.set(pipe, kind);
    }
    this.network.countStream(kind, segment.bytes.length);
  }

  private resumeStalledStreams(): void {
    const pipes = [...this.stalled];
    this.stalled.clear();
    for (const pipe of pipes) this.later(0, () => pipe.flush());
  }

  /** Lets every promise the last input settled run its continuations before time moves on. */
  private async settle(): Promise<void> {
    const previous = this.handling;
    this.handling = 'stream';
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.handling = previous;
  }

  /** Handles one queue entry; returns whether promises may now wait to run (then the caller settles them). */
  private dispatch(entry: QueueEntry): boolean {
    if (entry.kind === 'action') {
      entry.run!();
      return true;
    }
    // A cleared timer runs nothing, so it cannot settle a promise either.
    if (entry.cancelled) return false;
    const node = entry.node!;
    if (!node.running || entry.gen !== node.gen) return false;
    if (node.pausedUntil > this.now) {
      node.held.push(entry as InputEntry);
      return false;
    }
    if (node.slowMs > 0 && !entry.slowed) {
      // Queued again, the same entry (a timer's handle must still cancel it), keeping its first due.
      entry.slowed = true;
      this.queue.push(this.now + node.slowMs, entry);
      return false;
    }
    this.handle(entry as InputEntry);
    // Packets never settle promises; timers do only while a conversation or dial is open
    // (deadlines), and stream traffic always may.
    return entry.kind === 'stream' || (entry.kind === 'timer' && (this.host.asyncOps > 0 || this.liveStreams.size > 0));
  }

  private handle(entry: InputEntry): void {
    if (entry.cancelled) return;
    this.handling = entry.kind as SimInputKind;
    try {
      if (entry.kind === 'packet') entry.node.handlers?.onDatagram(entry.from!, entry.bytes!);
      else entry.run!();
    } finally {
      this.handling = undefined;
    }
  }
}
