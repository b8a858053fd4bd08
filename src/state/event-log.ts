/**
 * Cluster-wide events (serf's user events): who published what, what each node has delivered,
 * and the recent events it can offer peers that missed one.
 *
 * An event is identified by (origin, generation, sequence): the origin numbers its events 1, 2, …
 * within its generation. A receiver delivers an origin's events in sequence order, each once:
 * a duplicate (sequence below the next expected) is dropped, an early one is held until the
 * gap is filled. A gap that anti-entropy cannot fill within the window (the event has left every
 * recent buffer) is skipped, so one lost event cannot hold an origin back for ever. Pure.
 * @module
 */

/** One event as it travels. */
export interface ClusterEvent {
  readonly origin: string;
  readonly generation: number;
  readonly seq: number;
  /** Lamport time at the origin when it published. */
  readonly lamport: number;
  readonly name: string;
  readonly payload: Uint8Array;
  /** The origin's oldest sequence still in its recent buffer: a receiver new to the origin starts here. */
  readonly floor: number;
}

/** Where a node stands with one origin: the next sequence it will deliver. */
export interface EventPosition {
  readonly origin: string;
  readonly generation: number;
  readonly next: number;
}

interface Stream {
  generation: number;
  next: number;
  /** Early events waiting for the gap before them, by sequence. */
  readonly held: Map<number, { ev: ClusterEvent; at: number }>;
}

/** Most early events held per origin; beyond it the gap is skipped. */
const MAX_HELD = 1024;

/** Delivery state and recent-event buffer of one node. */
export class EventLog {
  private seq = 0;
  private lamportClock = 0;
  private readonly streams = new Map<string, Stream>();
  /** Recent events (ours and relayed), oldest first, for anti-entropy; bounded by count and age. */
  private readonly recent = new Map<string, { ev: ClusterEvent; at: number }>();

  constructor(
    readonly self: string,
    readonly generation: number,
    private readonly windowMs: number,
    private readonly maxRecent: number,
  ) {}

  /** The node's Lamport clock. */
  get lamport(): number {
    return this.lamportClock;
  }

  /** Creates our next event and delivers it to ourselves first. */
  publish(now: number, name: string, payload: Uint8Array): ClusterEvent {
    const ev: ClusterEvent = { origin: this.self, generation: this.generation, seq: ++this.seq, lamport: ++this.lamportClock, name, payload, floor: this.floorOf(this.self) };
    this.remember(now, ev);
    this.streams.set(this.self, { generation: this.generation, next: this.seq + 1, held: new Map() });
    return ev;
  }

  /**
   * Takes one event from the network. Returns the events now deliverable, in order (possibly
   * none: a duplicate, or an early one now held), and whether this one was new (to relay).
   */
  receive(now: number, ev: ClusterEvent): { deliver: ClusterEvent[]; fresh: boolean } {
    if (ev.origin === this.self) return { deliver: [], fresh: false };
    let s = this.streams.get(ev.origin);
    if (s !== undefined && ev.generation < s.generation) return { deliver: [], fresh: false };
    if (s === undefined || ev.generation > s.generation) {
      s = { generation: ev.generation, next: Math.max(1, Math.min(ev.floor, ev.seq)), held: new Map() };
      this.streams.set(ev.origin, s);
    }
    if (ev.seq < s.next || s.held.has(ev.seq)) return { deliver: [], fresh: false };
    if (ev.lamport > this.lamportClock) this.lamportClock = ev.lamport;
    this.remember(now, ev);
    s.held.set(ev.seq, { ev, at: now });
    if (s.held.size > MAX_HELD) s.next = Math.min(...s.held.keys());
    return { deliver: this.drain(s), fresh: true };
  }

  private drain(s: Stream): ClusterEvent[] {
    const out: ClusterEvent[] = [];
    for (let h = s.held.get(s.next); h !== undefined; h = s.held.get(s.next)) {
      s.held.delete(s.next);
      s.next++;
      out.push(h.ev);
    }
    return out;
  }

  /**
   * Ages the recent buffer, forgets reaped origins, and skips gaps older than the window: the
   * events after them are delivered. Returns what became deliverable.
   */
  expire(now: number, isMember: (name: string) => boolean): ClusterEvent[] {
    for (const [k, r] of this.recent) {
      if (now - r.at <= this.windowMs && this.recent.size <= this.maxRecent) break;
      this.recent.delete(k);
    }
    const out: ClusterEvent[] = [];
    for (const [origin, s] of this.streams) {
      if (origin !== this.self && !isMember(origin)) {
        this.streams.delete(origin);
        continue;
      }
      while (s.held.size > 0) {
        const first = Math.min(...s.held.keys());
        if (now - s.held.get(first)!.at <= this.windowMs) break;
        s.next = first;
        out.push(...this.drain(s));
      }
    }
    return out;
  }

  /** Where we stand with every origin we know. */
  positions(): EventPosition[] {
    return [...this.streams].map(([origin, s]) => ({ origin, generation: s.generation, next: s.next }));
  }

  /** Recent events a peer at `theirs` lacks, oldest first. */
  missing(theirs: readonly EventPosition[]): ClusterEvent[] {
    const at = new Map(theirs.map((p) => [p.origin, p] as const));
    const out: ClusterEvent[] = [];
    for (const { ev } of this.recent.values()) {
      const p = at.get(ev.origin);
      if (p === undefined || p.generation < ev.generation || (p.generation === ev.generation && ev.seq >= p.next)) out.push(ev);
    }
    return out;
  }

  /** Whether a peer at `theirs` holds something we lack (an origin we do not know, or one it is further along). */
  behind(theirs: readonly EventPosition[]): boolean {
    for (const p of theirs) {
      if (p.origin === this.self) continue;
      const s = this.streams.get(p.origin);
      if (s === undefined || p.generation > s.generation || (p.generation === s.generation && p.next > s.next)) return true;
    }
    return false;
  }

  /** Origins with a delivery position, and early events held over all of them (for bounds tests and gauges). */
  get streamSizes(): { origins: number; held: number } {
    let held = 0;
    for (const s of this.streams.values()) held += s.held.size;
    return { origins: this.streams.size, held };
  }

  /** Events held in the recent buffer (for bounds tests and gauges). */
  get recentCount(): number {
    return this.recent.size;
  }

  private remember(now: number, ev: ClusterEvent): void {
    this.recent.set(`${ev.origin}\u0000${ev.generation}\u0000${ev.seq}`, { ev, at: now });
    if (this.recent.size > this.maxRecent) this.recent.delete(this.recent.keys().next().value!);
  }

  private floorOf(origin: string): number {
    for (const { ev } of this.recent.values()) if (ev.origin === origin && ev.generation === this.generation) return ev.seq;
    return this.seq + 1;
  }
}
