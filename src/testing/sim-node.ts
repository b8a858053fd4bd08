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

/**
 * One entry of the simulator's queue: an input of a node (a timer, a datagram, stream traffic), or an
 * `action` bound to no node. One class for every kind, so the loop that pops millions of them reads
 * one object layout; a datagram is kept as data (`from`, `bytes`) rather than a closure, since it is
 * the most frequent input. A timer's entry is also its {@link SimClock} handle: clearing the timer
 * marks it `cancelled`, and the fabric then skips it without running anything (`SimClock`).
 */
export class QueueEntry {
  /** Set once a starved node's input was delayed (it is delayed once, not again at its new time). */
  slowed = false;
  /** A cleared timer: skipped when due. */
  cancelled = false;
  constructor(
    readonly kind: 'timer' | 'stream' | 'packet' | 'action',
    /** The node whose input this is (`undefined` for actions). */
    readonly node: SimNode | undefined,
    /** The node's generation when queued: a crash makes older inputs void. */
    readonly gen: number,
    /** When it was first due, ms (a delayed input keeps it: held timers replay in this order). */
    readonly due: number,
    /** What a timer, stream input or action runs. */
    readonly run: (() => void) | undefined,
    /** A datagram's sender address. */
    readonly from: string | undefined,
    /** A datagram's bytes. */
    readonly bytes: Uint8Array | undefined,
  ) {}
}
/** An input of a node: a queue entry whose `kind` is not `action` (its `node` is set). */
export type InputEntry = QueueEntry & { readonly node: SimNode };

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

