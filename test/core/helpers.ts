/**
 * Builders for hand-stepped core tests (foca style): a {@link TestNode} wraps one `Core` with an
 * `AccumulatingEffects`, remembers the timers it scheduled so a test can fire them by type, and
 * decodes what it sent with the real wire codec.
 */
import { Core, type CoreConfig } from '../../src/core/core.js';
import { AccumulatingEffects, type AccumulatedEffects } from '../../src/core/effects.js';
import { seededRandom } from '../../src/core/random.js';
import type { Timer } from '../../src/core/timers.js';
import type { CoreEvent } from '../../src/core/effects.js';
import { lan, type ProtocolOptions } from '../../src/options.js';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';
import { decodePayload } from '../../src/wire/packet.js';
import type { AliveMessage, DeadMessage, PacketMessage, SuspectMessage } from '../../src/wire/messages.js';

/** The vsn every test node advertises: memberlist defaults, protocol 2, PMax 5. */
export const VSN = Uint8Array.of(1, 5, 2, 0, 0, 0);

/** `10.0.(i>>8).(i&255)` as raw bytes (unique for i < 65536). */
export function ip(i: number): Uint8Array {
  return Uint8Array.of(10, 0, (i >> 8) & 255, i & 255);
}

/** `10.0.(i>>8).(i&255):7946`, the address of node `i`. */
export function addr(i: number): string {
  return `10.0.${(i >> 8) & 255}.${i & 255}:7946`;
}

/** A LAN config for node `name` at 10.0.0.i. */
export function config(name: string, i: number, overrides: Partial<CoreConfig> = {}): CoreConfig {
  return {
    ...lan(),
    name,
    advertiseAddr: ip(i),
    advertisePort: 7946,
    meta: new Uint8Array(0),
    vsn: VSN,
    protocolVersion: 2,
    ...overrides,
  };
}

/** An alive message for `name` at 10.0.0.i. */
export function alive(name: string, i: number, incarnation: number, extra: Partial<AliveMessage> = {}): AliveMessage {
  return { type: 'alive', incarnation, node: name, addr: ip(i), port: 7946, meta: null, vsn: VSN, ...extra };
}
/** A suspect message. */
export function suspect(node: string, incarnation: number, from: string): SuspectMessage {
  return { type: 'suspect', incarnation, node, from };
}
/** A dead message (from === node is a leave). */
export function dead(node: string, incarnation: number, from: string): DeadMessage {
  return { type: 'dead', incarnation, node, from };
}

/** Decodes one sent datagram payload (compounds flattened) with the wire codec. */
export function decode(payload: Uint8Array): PacketMessage[] {
  const { messages, errors } = decodePayload(payload, DEFAULT_WIRE_LIMITS);
  if (errors.length > 0) throw new Error(`core sent undecodable bytes: ${JSON.stringify(errors)}`);
  return messages;
}

/** One decoded send. */
export interface Sent {
  readonly to: string;
  readonly crc: boolean;
  readonly messages: PacketMessage[];
}

/** A core under test plus its recorded effects and pending timers. */
export class TestNode {
  readonly core: Core;
  readonly fx = new AccumulatingEffects();
  /** Timers scheduled and not yet fired by the test. */
  readonly timers: { timer: Timer; afterMs: number }[] = [];
  /** Everything the core emitted, across steps. */
  readonly events: CoreEvent[] = [];
  /** The last step's effects. */
  last!: AccumulatedEffects;

  constructor(
    readonly name: string,
    readonly index: number,
    overrides: Partial<CoreConfig> = {},
    seed = index,
  ) {
    this.core = new Core(config(name, index, overrides), seededRandom(seed));
  }

  get address(): string {
    return addr(this.index);
  }

  /** Runs one step and records its effects. */
  step<T>(fn: (core: Core, fx: AccumulatingEffects) => T): T {
    const out = fn(this.core, this.fx);
    this.last = this.fx.drain();
    this.timers.push(...this.last.schedules);
    this.events.push(...this.last.events);
    return out;
  }

  start(now = 0): this {
    this.step((c, fx) => c.start(now, fx));
    return this;
  }

  /** Queues a user broadcast at `now`; false if it was refused as too large. */
  broadcastUser(payload: Uint8Array, now = 0): boolean {
    return this.step((c, fx) => c.broadcastUser(now, payload, fx));
  }

  /** Delivers `messages` as one packet from `from`. */
  receive(now: number, from: string, ...messages: PacketMessage[]): AccumulatedEffects {
    this.step((c, fx) => c.handlePacket(now, from, messages, fx));
    return this.last;
  }

  /** The pending timer of `type` scheduled last (optionally matching `pred`), removed from the pending list. */
  take(type: Timer['type'], pred: (t: Timer) => boolean = () => true): Timer {
    for (let i = this.timers.length - 1; i >= 0; i--) {
      const t = this.timers[i]!.timer;
      if (t.type === type && pred(t)) {
        this.timers.splice(i, 1);
        return t;
      }
    }
    throw new Error(`${this.name}: no pending ${type} timer`);
  }

  /** True if a timer of `type` is pending. */
  has(type: Timer['type']): boolean {
    return this.timers.some((t) => t.timer.type === type);
  }

  /** Fires the last pending timer of `type` at `now` (default: its own dueAt). */
  fire(type: Timer['type'], now?: number, pred?: (t: Timer) => boolean): AccumulatedEffects {
    const t = this.take(type, pred);
    this.step((c, fx) => c.handleTimer(now ?? t.dueAt, t, fx));
    return this.last;
  }

  /** The last step's sends, decoded. */
  sent(): Sent[] {
    return this.last.sends.map((s) => ({ to: s.to, crc: s.crc, messages: decode(s.payload) }));
  }

  /**
   * Runs a gossip round at `now` and returns what was sent, decoded. A parked ticker (both
   * queues were empty at its last tick) has no timer pending: that round sends nothing.
   */
  gossip(now: number): Sent[] {
    if (!this.has('gossip-tick')) return [];
    this.fire('gossip-tick', now);
    return this.sent();
  }

  /** Events of `type` across all steps. */
  eventsOf<T extends CoreEvent['type']>(type: T): Extract<CoreEvent, { type: T }>[] {
    return this.events.filter((e): e is Extract<CoreEvent, { type: T }> => e.type === type);
  }

  /** Dropped-packet metric reasons of the last step. */
  drops(): string[] {
    return this.last.metrics.filter((m) => m.name === 'hearsay_packets_dropped_total').map((m) => m.labels?.['reason'] ?? '');
  }
}

/** A started node that already knows `peers` (names with their indexes) as alive at incarnation 1. */
export function nodeWithPeers(name: string, index: number, peers: readonly [string, number][], overrides: Partial<CoreConfig> = {}): TestNode {
  const n = new TestNode(name, index, overrides).start(0);
  for (const [p, i] of peers) n.receive(0, addr(i), alive(p, i, 1));
  n.events.length = 0;
  return n;
}

/** Protocol options shorthand. */
export function options(overrides: Partial<ProtocolOptions> = {}): ProtocolOptions {
  return { ...lan(), ...overrides };
}
