/**
 * The protocol side of cluster-wide events: epidemic relay of fresh events, and their repair by
 * anti-entropy (the digest carries a hash of each node's event positions; when they differ the
 * nodes swap positions and send each other the recent events the other lacks). Pure.
 * @module
 */
import { encodeStateMessage, type StateMessage } from './codec.js';
import { hash32 } from './digest.js';
import { EventLog, type ClusterEvent, type EventPosition } from './event-log.js';
import type { StateContext } from './engine.js';
import { utf8Length } from './replica.js';

/** Bytes an event costs in a datagram besides its name and payload (numbers, lengths). */
export const EVENT_OVERHEAD_BYTES = 48;
/** Most recent events a node keeps for anti-entropy, whatever the window. */
const MAX_RECENT = 4096;
/** Most events being relayed at once; the oldest stop early beyond it (anti-entropy still offers them). */
const MAX_HOT = 1024;
/** Most event datagrams one exchange step sends. */
const MAX_DATAGRAMS_PER_STEP = 16;

/** Relay and repair of cluster-wide events. */
export class EventGossip {
  readonly log: EventLog;
  private hot: { ev: ClusterEvent; left: number }[] = [];

  constructor(
    private readonly self: string,
    generation: number,
    windowMs: number,
    private readonly budgetBytes: number,
    private readonly fanout: number,
  ) {
    this.log = new EventLog(self, generation, windowMs, MAX_RECENT);
  }

  /** Bytes of the largest payload an event named `name` may carry: one datagram with its header. */
  maxPayload(name: string): number {
    return this.budgetBytes - EVENT_OVERHEAD_BYTES - 2 * utf8Length(this.self) - utf8Length(name) - 16;
  }

  /** Publishes one event: delivered here at once, then relayed. */
  publish(ctx: StateContext, name: string, payload: Uint8Array): void {
    const ev = this.log.publish(ctx.now, name, payload);
    ctx.emitEvent(ev);
    this.heat(ctx, ev);
  }

  /** Counted contents, for {@link StateEngine.sizes}. */
  sizes(): { eventsRecent: number; eventOrigins: number; eventsHeld: number; eventsHot: number } {
    const s = this.log.streamSizes;
    return { eventsRecent: this.log.recentCount, eventOrigins: s.origins, eventsHeld: s.held, eventsHot: this.hot.length };
  }

  /** Whether anything is being relayed. */
  get hasHot(): boolean {
    return this.hot.length > 0;
  }

  /** Whether this node knows any origin's events (then it keeps syncing). */
  get active(): boolean {
    return this.log.positions().length > 0;
  }

  /** Hash of our positions, for the digest: equal when two nodes have delivered the same. */
  root(): number {
    let h = 0;
    for (const p of this.log.positions()) h = (h + hash32(p.origin, p.generation, p.next)) >>> 0;
    return h;
  }

  /** One relay round: every hot event to `fanout` random capable peers. */
  gossip(ctx: StateContext, peers: readonly string[]): void {
    if (this.hot.length === 0 || peers.length === 0) return;
    const batch = this.hot.map((h) => h.ev);
    for (const h of this.hot) h.left--;
    this.hot = this.hot.filter((h) => h.left > 0);
    const datagrams = this.pack(batch, Infinity);
    const targets = new Set<number>();
    while (targets.size < Math.min(this.fanout, peers.length)) targets.add(ctx.randomInt(peers.length));
    for (const i of targets) for (const d of datagrams) ctx.send(peers[i]!, d);
  }

  /** Ages the buffer and delivers what a skipped gap released. */
  expire(ctx: StateContext): void {
    for (const ev of this.log.expire(ctx.now, (m) => ctx.isMember(m))) ctx.emitEvent(ev);
  }

  /** The peer's digest carried `theirRoot`: when it differs, start the position exchange. */
  onDigest(ctx: StateContext, from: string, theirRoot: number): void {
    if (theirRoot !== this.root()) this.sendPositions(ctx, from, true);
  }

  /** Handles an `events` or `event-positions` message. */
  handle(ctx: StateContext, m: Extract<StateMessage, { kind: 'events' | 'event-positions' }>): void {
    if (m.kind === 'event-positions') {
      for (const d of this.pack(this.log.missing(m.positions), MAX_DATAGRAMS_PER_STEP)) ctx.send(m.from, d);
      if (m.wantReply && this.log.behind(m.positions)) this.sendPositions(ctx, m.from, false);
      return;
    }
    for (const ev of m.events) {
      if (!ctx.isMember(ev.origin) && ev.origin !== this.self) {
        ctx.drop('event-not-member', { origin: ev.origin });
        continue;
      }
      const { deliver, fresh } = this.log.receive(ctx.now, ev);
      for (const d of deliver) ctx.emitEvent(d);
      if (fresh) this.heat(ctx, ev);
    }
  }

  private sendPositions(ctx: StateContext, to: string, wantReply: boolean): void {
    // Positions of every origin we know fit one datagram up to ~50 origins; beyond, the rest wait a round.
    const positions: EventPosition[] = [];
    let used = 64;
    for (const p of this.log.positions()) {
      used += utf8Length(p.origin) + 20;
      if (used > this.budgetBytes) break;
      positions.push(p);
    }
    ctx.send(to, encodeStateMessage({ kind: 'event-positions', from: this.self, wantReply, positions }));
  }

  private heat(ctx: StateContext, ev: ClusterEvent): void {
    const n = ctx.capablePeers().length;
    // memberlist's transmit limit (4 × ⌈log10(n + 1)⌉ sends per node), spread over rounds of `fanout`.
    const sends = 4 * Math.max(1, Math.ceil(Math.log10(n + 2)));
    this.hot.push({ ev, left: Math.ceil(sends / Math.max(1, this.fanout)) });
    if (this.hot.length > MAX_HOT) this.hot.shift();
  }

  /** Events packed into datagrams within the budget, at most `max` datagrams. */
  private pack(events: readonly ClusterEvent[], max: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    let batch: ClusterEvent[] = [];
    let used = 32 + utf8Length(this.self);
    for (const ev of events) {
      const cost = EVENT_OVERHEAD_BYTES + utf8Length(ev.origin) + utf8Length(ev.name) + ev.payload.length;
      if (batch.length > 0 && used + cost > this.budgetBytes) {
        out.push(encodeStateMessage({ kind: 'events', from: this.self, events: batch }));
        if (out.length >= max) return out;
        batch = [];
        used = 32 + utf8Length(this.self);
      }
      batch.push(ev);
      used += cost;
    }
    if (batch.length > 0) out.push(encodeStateMessage({ kind: 'events', from: this.self, events: batch }));
    return out;
  }
}
