/**
 * Pure engines wired by hand (foca-style step tests): a queue of datagrams between named engines,
 * no runtime, no simulator. Each test decides what is delivered, dropped or delayed.
 */
import { seededRandom } from '../../src/core/random.js';
import { decodeStateMessage } from '../../src/state/codec.js';
import { StateEngine, type StateContext } from '../../src/state/engine.js';
import { STATE_DEFAULTS, type ResolvedStateOptions } from '../../src/state/limits.js';
import type { ClusterEvent } from '../../src/state/event-log.js';
import type { StateValue } from '../../src/state/replica.js';
import type { MemberKeyChange } from '../../src/state/store.js';

export interface Datagram {
  readonly from: string;
  readonly to: string;
  readonly bytes: Uint8Array;
}

/** A set of engines and the datagrams in flight between them. */
export class Bench {
  readonly engines = new Map<string, StateEngine>();
  readonly events = new Map<string, MemberKeyChange[]>();
  /** Cluster-wide events delivered at each node, in order. */
  readonly delivered = new Map<string, ClusterEvent[]>();
  readonly members = new Set<string>();
  /** Nodes cut off: every datagram to or from them is lost. */
  readonly away = new Set<string>();
  inflight: Datagram[] = [];
  now = 0;
  sentBytes = 0;
  sentCount = 0;
  /** Largest datagram any engine sent. */
  maxDatagram = 0;
  drops: string[] = [];
  /** Members a peer sent state about that were not in the receiver's table, as `receiver:member`. */
  unknown: string[] = [];
  private readonly random;

  constructor(
    names: readonly string[],
    readonly opts: ResolvedStateOptions = STATE_DEFAULTS,
    seed = 1,
    readonly budget = 1400,
  ) {
    this.random = seededRandom(seed);
    for (const n of names) this.add(n);
  }

  add(name: string, generation = this.now + 1): StateEngine {
    const e = new StateEngine(name, generation, this.opts, this.budget);
    this.engines.set(name, e);
    this.events.set(name, []);
    this.delivered.set(name, []);
    this.members.add(name);
    return e;
  }

  engine(name: string): StateEngine {
    return this.engines.get(name)!;
  }

  ctx(name: string): StateContext {
    return {
      now: this.now,
      capablePeers: () => [...this.members].filter((m) => m !== name && this.engines.has(m)),
      isMember: (m) => this.members.has(m),
      randomInt: (n) => this.random.int(n),
      send: (to, bytes) => {
        this.sentBytes += bytes.length;
        this.sentCount++;
        this.maxDatagram = Math.max(this.maxDatagram, bytes.length);
        this.inflight.push({ from: name, to, bytes });
      },
      noteCapable: () => {},
      emit: (c) => this.events.get(name)!.push(c),
      emitEvent: (e) => this.delivered.get(name)!.push(e),
      drop: (reason) => this.drops.push(`${name}:${reason}`),
      unknownMember: (m) => this.unknown.push(`${name}:${m}`),
    };
  }

  set(name: string, key: string, value: StateValue | undefined, ttlMs?: number): void {
    this.engine(name).write(this.ctx(name), key, value, ttlMs);
  }

  /** Delivers every datagram in flight (and those they cause), dropping each with probability `loss`. */
  deliverAll(loss = 0, maxRounds = 1000): void {
    for (let i = 0; i < maxRounds && this.inflight.length > 0; i++) {
      const batch = this.inflight;
      this.inflight = [];
      for (const d of batch) {
        if (this.away.has(d.from) || this.away.has(d.to)) continue;
        if (loss > 0 && this.random.next() < loss) continue;
        const e = this.engines.get(d.to);
        if (e === undefined) continue;
        const m = decodeStateMessage(d.bytes);
        if (!m.ok) throw new Error(`undecodable datagram: ${m.detail}`);
        e.handle(this.ctx(d.to), m.message);
      }
    }
  }

  /** One anti-entropy tick on every engine, then delivery. */
  syncRound(loss = 0): void {
    for (const n of this.engines.keys()) this.engine(n).sync(this.ctx(n));
    this.deliverAll(loss);
  }

  /** One gossip tick on every engine, then delivery. */
  gossipRound(loss = 0): void {
    for (const n of this.engines.keys()) this.engine(n).gossip(this.ctx(n));
    this.deliverAll(loss);
  }

  /** `member`'s live keys as `viewer` holds them. */
  view(viewer: string, member: string): Record<string, StateValue> {
    return Object.fromEntries(this.engine(viewer).store.replica(member)?.live() ?? []);
  }

  /** Whether every engine holds every member's own state exactly. */
  converged(): boolean {
    for (const owner of this.engines.keys()) {
      const truth = JSON.stringify(sorted(this.view(owner, owner)));
      for (const viewer of this.engines.keys()) if (JSON.stringify(sorted(this.view(viewer, owner))) !== truth) return false;
    }
    return true;
  }
}

function sorted(o: Record<string, StateValue>): [string, string][] {
  return Object.entries(o)
    .map(([k, v]) => [k, typeof v === 'string' ? `s:${v}` : `b:${[...v].join(',')}`] as [string, string])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}
