/**
 * A simulated node's bookkeeping (its endpoint, inputs held while paused, open streams) and the
 * simulator's event and queue types.
 * @module
 */
import type { HearsayEvents } from '../events.js';
import type { Hearsay } from '../hearsay.js';
import type { HearsayOptions } from '../options.js';
import type { TransportHandlers } from '../transport/transport.js';
import type { MemoryStream } from './memory-stream.js';
import type { SimEndpoint } from './sim-transport.js';

/**
 * A node's public event as the simulator records it: the event's name as `type`, then its payload.
 * The log leaves out `state` and `event` events: they are many; tests listen to the nodes for them.
 */
export type SimEvent = { [K in Exclude<keyof HearsayEvents, 'state' | 'event'>]: { readonly type: K } & Parameters<HearsayEvents[K]>[0] }[Exclude<keyof HearsayEvents, 'state' | 'event'>];

/** One entry of the simulator's event log. */
export interface SimLogEntry {
  readonly time: number;
  /** Node that emitted the event. */
  readonly node: string;
  readonly event: SimEvent;
}

/** A simulated node's state as the simulator tracks it. */
export interface SimNodeInfo {
  readonly name: string;
  readonly address: string;
  readonly running: boolean;
  readonly paused: boolean;
}

/** One entry of the simulator's queue: an input of a node, or an action bound to no node. */
export type QueueEntry =
  | { readonly kind: 'timer' | 'stream'; readonly node: SimNode; readonly gen: number; readonly due: number; readonly run: () => void; readonly slowed?: boolean }
  /** A datagram, kept as data rather than a closure: the simulator's most frequent input. */
  | { readonly kind: 'packet'; readonly node: SimNode; readonly gen: number; readonly due: number; readonly from: string; readonly bytes: Uint8Array; readonly slowed?: boolean }
  | { readonly kind: 'action'; readonly run: () => void };
/** An input of a node. */
export type InputEntry = Exclude<QueueEntry, { kind: 'action' }>;

/** Every public event a node emits, recorded in the simulator's log. */
export const EVENT_NAMES: readonly SimEvent['type'][] = ['join', 'update', 'suspect', 'suspicion', 'alive', 'fail', 'leave', 'message', 'self:refute', 'self:health', 'self:isolated', 'conflict'];

/** Per-node bookkeeping: the endpoint its clock and transport serve, and the running `Hearsay`. */
export class SimNode implements SimEndpoint {
  gen = 0;
  running = false;
  pausedUntil = -1;
  /** Extra handling delay per input, ms (a CPU-starved process). */
  slowMs = 0;
  held: InputEntry[] = [];
  handlers: TransportHandlers | undefined;
  encrypted = false;
  hearsay: Hearsay | undefined;
  /** This node's ends of open streams: a crash resets them, as the kernel does for a killed process. */
  readonly streams = new Set<MemoryStream>();
  constructor(
    readonly name: string,
    public address: string,
    public options: Partial<HearsayOptions>,
  ) {}
}

