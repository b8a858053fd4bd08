/**
 * `node.state`: the host-facing side of the cluster state.
 * @module
 */
import { AbortError, InvalidArgumentError, PayloadTooLargeError, StateError } from './errors.js';
import type { StateEvent } from './events.js';
import type { ResolvedStateOptions } from './state/limits.js';
import { utf8Length, valueLength, type StateValue } from './state/replica.js';
import type { StateRunner } from './runtime/state-runner.js';

/** Options of {@link ClusterState.set}. */
export interface SetOptions {
  /** Delete the key this many ms after the write (checked every sync interval, so up to that much later). */
  readonly ttlMs?: number;
}

/** Events a {@link ClusterState.watch} iterator may hold unread before it fails, so a stalled reader cannot grow memory without bound. */
export const WATCH_BUFFER = 10_000;

/**
 * Replicated per-node key/value state. Each node writes only its own keys and reads everyone's.
 * A write bumps this node's version and reaches every capable hearsay peer by gossip, then
 * anti-entropy; each peer applies an owner's changes in version order (`state` events). Values
 * read back as written: strings as strings, bytes as bytes (copied on write).
 *
 * Every method throws `StateError` before `start()` and after shutdown.
 */
export class ClusterState {
  private readonly listeners = new Set<(c: StateEvent) => void>();

  /**
   * Made by `Hearsay`; host apps use `node.state`.
   * @param runner the node's runner once it runs, else the reason it does not.
   * @internal
   */
  constructor(
    private readonly runner: () => StateRunner | string,
    private readonly limits: ResolvedStateOptions | false,
  ) {}

  private get r(): StateRunner {
    const r = this.runner();
    if (typeof r === 'string') throw new StateError(r);
    return r;
  }

  /**
   * Sets one of this node's keys.
   * @throws {InvalidArgumentError} for a key that is not a non-empty string, a value that is neither a
   *   string nor a `Uint8Array`, or a bad `ttlMs`. @throws {PayloadTooLargeError} for a key over
   *   `state.maxKeyBytes` (128) UTF-8 bytes, a value over `state.maxValueBytes` (4,096), or a write
   *   that would take this node's state over `state.maxNodeBytes` (65,536). Nothing changed then.
   */
  set(key: string, value: StateValue, options: SetOptions = {}): void {
    const r = this.r;
    const lim = this.checkKey('set', key);
    if (typeof value !== 'string' && !(value instanceof Uint8Array)) throw new InvalidArgumentError('state.set', 'value', 'must be a string or a Uint8Array');
    const ttl = options?.ttlMs;
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl <= 0)) throw new InvalidArgumentError('state.set', 'ttlMs', 'must be a positive number of ms');
    const n = valueLength(value);
    if (n > lim.maxValueBytes) throw new PayloadTooLargeError('state value', n, lim.maxValueBytes, 'raise the state.maxValueBytes option or store less');
    const total = r.engine.store.own.liveCostWith(key, value);
    if (total > lim.maxNodeBytes) throw new PayloadTooLargeError("this node's state", total, lim.maxNodeBytes, 'delete keys first, or raise the state.maxNodeBytes option (each key costs key + value + 16 bytes)');
    r.write(key, typeof value === 'string' ? value : value.slice(), ttl);
  }

  /** Deletes one of this node's keys (a tombstone spreads the delete). No-op for a missing key. */
  delete(key: string): void {
    const r = this.r;
    this.checkKey('delete', key);
    r.write(key, undefined, undefined);
  }

  /** The value of `key` on `member` (default: this node), or undefined. */
  get(key: string, member?: string): StateValue | undefined {
    return this.r.engine.store.replica(member ?? this.r.engine.self)?.get(key);
  }

  /** Every live key of `member` (default: this node) with its value. */
  entries(member?: string): [string, StateValue][] {
    const rep = this.r.engine.store.replica(member ?? this.r.engine.self);
    return rep === undefined ? [] : [...rep.live()];
  }

  /** Names of the members (this node included) that hold `key`, or with `{ prefix }` any key starting with it. */
  members(match: string | { readonly prefix: string }): string[] {
    const out: string[] = [];
    const prefix = typeof match === 'string' ? undefined : match.prefix;
    for (const [name, rep] of this.r.engine.store.members()) {
      if (prefix === undefined) {
        if (rep.get(match as string) !== undefined) out.push(name);
      } else {
        for (const [k] of rep.live()) if (k.startsWith(prefix)) {
          out.push(name);
          break;
        }
      }
    }
    return out;
  }

  /**
   * Publishes a cluster-wide event (also `node.publish`): every hearsay node running the state
   * layer, this one first (synchronously), emits `event` `{ name, payload, from, lamport }` once,
   * in this node's publishing order. Relayed epidemically, and offered by anti-entropy for
   * `state.eventWindowMs` (30 s) to nodes that missed it.
   * @throws {InvalidArgumentError} for a name that is not a non-empty string or a payload that is not
   *   a `Uint8Array`. @throws {PayloadTooLargeError} for a name over `state.maxKeyBytes` or a payload
   *   that does not fit one packet with its header (about 1,300 bytes with the defaults).
   */
  publish(name: string, payload: Uint8Array): void {
    const r = this.r;
    this.checkKey('publish', name);
    if (!(payload instanceof Uint8Array)) throw new InvalidArgumentError('publish', 'payload', 'must be a Uint8Array');
    const max = r.engine.events.maxPayload(name);
    if (payload.length > max) throw new PayloadTooLargeError('event payload', payload.length, max, 'an event must fit one packet; put large data in node.state or send it by stream');
    r.publish(name, payload.slice());
  }

  /**
   * Changes whose key starts with `prefix` ('' for all), from now on, as an async iterator; ends
   * when `signal` aborts (the pending `next()` rejects with `AbortError`). It fails with
   * `StateError` if more than {@link WATCH_BUFFER} changes wait unread.
   */
  watch(prefix: string, options: { readonly signal?: AbortSignal } = {}): AsyncIterableIterator<StateEvent> {
    this.r; // eslint-disable-line @typescript-eslint/no-unused-expressions -- throws when not running
    const queue: StateEvent[] = [];
    let waiting: { resolve: (r: IteratorResult<StateEvent>) => void; reject: (e: unknown) => void } | undefined;
    let failure: unknown;
    let done = false;
    const finish = (error?: unknown): void => {
      if (done) return;
      done = true;
      failure = error;
      this.listeners.delete(listener);
      options.signal?.removeEventListener('abort', onAbort);
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        if (error === undefined) w.resolve({ value: undefined, done: true });
        else w.reject(error);
      }
    };
    const listener = (c: StateEvent): void => {
      if (!c.key.startsWith(prefix) || done) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w.resolve({ value: c, done: false });
      } else if (queue.length >= WATCH_BUFFER) finish(new StateError(`state.watch(): the reader fell ${WATCH_BUFFER} changes behind`));
      else queue.push(c);
    };
    const onAbort = (): void => finish(new AbortError('watch aborted', { cause: options.signal?.reason }));
    if (options.signal?.aborted) onAbort();
    else {
      this.listeners.add(listener);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    }
    const it: AsyncIterableIterator<StateEvent> = {
      next: () => {
        if (queue.length > 0) return Promise.resolve({ value: queue.shift()!, done: false });
        if (done) return failure === undefined ? Promise.resolve({ value: undefined, done: true }) : Promise.reject(failure);
        return new Promise((resolve, reject) => (waiting = { resolve, reject }));
      },
      return: () => {
        finish();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /**
   * Hands one change to the watchers (the node emits the `state` event itself).
   * @internal
   */
  notify(change: StateEvent): void {
    for (const l of this.listeners) l(change);
  }

  private checkKey(method: string, key: string): ResolvedStateOptions {
    const lim = this.limits;
    if (lim === false) throw new StateError('the cluster state is off (option state: false)');
    if (typeof key !== 'string' || key.length === 0) throw new InvalidArgumentError(`state.${method}`, 'key', 'must be a non-empty string');
    const n = utf8Length(key);
    if (n > lim.maxKeyBytes) throw new PayloadTooLargeError('state key', n, lim.maxKeyBytes, 'use a shorter key or raise the state.maxKeyBytes option');
    return lim;
  }
}
