/**
 * A tiny deterministic cluster for core tests: N `Core`s, a virtual clock and one priority queue
 * of timers, datagrams and stream exchanges ordered by (time, insertion). Datagrams travel as the
 * bytes the core produced and are decoded with the real wire decoder, so what the cores send must
 * be valid memberlist. Stream messages are passed as objects (the stream codec is tested elsewhere).
 * The full `Simulator` (src/testing) supersedes this; it stays small on purpose.
 */
import { Core, type CoreConfig } from '../../src/core/core.js';
import { AccumulatingEffects, type AccumulatedEffects, type CoreEvent } from '../../src/core/effects.js';
import { seededRandom, type Random } from '../../src/core/random.js';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import type { PushPullMessage, StreamMessage } from '../../src/wire/messages.js';
import { decodePayload } from '../../src/wire/packet.js';
import { addr, config } from './helpers.js';

/** One node of the mini cluster. */
export interface MiniNode {
  readonly name: string;
  readonly address: string;
  readonly core: Core;
  /** A crashed node processes nothing (timers, packets, streams) and answers nothing. */
  crashed: boolean;
  readonly events: { readonly at: number; readonly event: CoreEvent }[];
}

interface Item {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

/** Runs cores against each other in virtual time. */
export class MiniCluster {
  now = 0;
  private readonly heap: Item[] = [];
  private seq = 0;
  readonly nodes = new Map<string, MiniNode>();
  private readonly byAddress = new Map<string, MiniNode>();
  /** Problems a test should fail on: undecodable datagrams, internal errors in the core. */
  readonly problems: string[] = [];

  private readonly lossRandom: Random;

  /**
   * @param lossRate fraction of datagrams silently lost (seeded; streams are never lost).
   */
  constructor(
    private readonly overrides: Partial<CoreConfig> = {},
    private readonly seed = 1,
    private readonly latencyMs = 1,
    private readonly lossRate = 0,
  ) {
    this.lossRandom = seededRandom(seed ^ 0x1055);
  }

  /** Adds and starts a node named `name` at 10.0.0.(count+1). */
  add(name: string): MiniNode {
    const index = this.nodes.size + 1;
    const node: MiniNode = {
      name,
      address: addr(index),
      core: new Core(config(name, index, this.overrides), seededRandom(this.seed * 1000 + index)),
      crashed: false,
      events: [],
    };
    this.nodes.set(name, node);
    this.byAddress.set(node.address, node);
    this.step(node, (c, fx) => c.start(this.now, fx));
    return node;
  }

  get(name: string): MiniNode {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** `name` joins through `seed`: a push/pull with join = true, the reply merged (what the driver's join does). */
  join(name: string, seed: string): void {
    const node = this.get(name);
    const target = this.get(seed);
    const request = node.core.localState(true);
    this.at(this.now + this.latencyMs, () => {
      if (target.crashed) return;
      const reply = this.step(target, (c, fx) => c.handleStream(this.now, node.address, request, fx));
      this.at(this.now + this.latencyMs, () => {
        if (node.crashed || reply?.type !== 'push-pull') return;
        this.step(node, (c, fx) => c.mergeRemoteState(this.now, reply as PushPullMessage, fx));
      });
    });
  }

  /** Runs a host command on `name` now. */
  command<T>(name: string, fn: (core: Core, fx: AccumulatingEffects) => T): T {
    return this.step(this.get(name), fn);
  }

  /** Stops `name` dead: it processes nothing from now on. */
  crash(name: string): void {
    this.get(name).crashed = true;
  }

  /** Processes everything due up to and including `until`, then sets the clock to `until`. */
  runUntil(until: number): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.at > until) break;
      this.pop();
      this.now = top.at;
      top.run();
    }
    this.now = until;
  }

  /** Events `observer` emitted about member `about`, as their types, in order. */
  eventsAbout(observer: string, about: string): string[] {
    return this.get(observer)
      .events.filter((e) => 'member' in e.event && e.event.member.name === about)
      .map((e) => e.event.type);
  }

  private step<T>(node: MiniNode, fn: (core: Core, fx: AccumulatingEffects) => T): T {
    const fx = new AccumulatingEffects({ logs: false });
    const out = fn(node.core, fx);
    this.dispatch(node, fx.drain());
    return out;
  }

  private dispatch(node: MiniNode, fx: AccumulatedEffects): void {
    for (const m of fx.metrics) {
      if (m.labels?.['reason'] === 'internal-error') this.problems.push(`${node.name}: internal error at ${this.now}`);
    }
    for (const e of fx.events) node.events.push({ at: this.now, event: e });
    for (const s of fx.sends) {
      const { messages, errors } = decodePayload(s.payload, DEFAULT_WIRE_LIMITS);
      if (errors.length > 0) this.problems.push(`${node.name} sent undecodable bytes: ${JSON.stringify(errors)}`);
      if (this.lossRate > 0 && this.lossRandom.next() < this.lossRate) continue;
      this.at(this.now + this.latencyMs, () => {
        const target = this.byAddress.get(s.to);
        if (target === undefined || target.crashed || node.crashed) return;
        this.step(target, (c, fx2) => c.handlePacket(this.now, node.address, messages, fx2));
      });
    }
    for (const s of fx.streams) this.stream(node, s.to, s.id, s.request, s.timeoutMs);
    for (const s of fx.schedules) {
      this.at(this.now + s.afterMs, () => {
        if (!node.crashed) this.step(node, (c, fx2) => c.handleTimer(this.now, s.timer, fx2));
      });
    }
  }

  private stream(node: MiniNode, to: string, id: number, request: StreamMessage, timeoutMs: number): void {
    const target = this.byAddress.get(to);
    const fail = (at: number, why: string): void =>
      this.at(at, () => {
        if (!node.crashed) this.step(node, (c, fx) => c.handleStreamResult(this.now, id, new Error(why), fx));
      });
    if (target === undefined) return fail(this.now + this.latencyMs, 'connection refused');
    this.at(this.now + this.latencyMs, () => {
      if (target.crashed) return fail(this.now + timeoutMs, 'timeout');
      const reply = this.step(target, (c, fx) => c.handleStream(this.now, node.address, request, fx));
      this.at(this.now + this.latencyMs, () => {
        if (node.crashed) return;
        this.step(node, (c, fx) => c.handleStreamResult(this.now, id, reply ?? new Error('no reply'), fx));
      });
    });
  }

  private at(at: number, run: () => void): void {
    const item: Item = { at, seq: this.seq++, run };
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && less(h[l]!, h[m]!)) m = l;
      if (r < h.length && less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

function less(a: Item, b: Item): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
