/**
 * Argument checks for the host-facing methods of `Hearsay`: each throws
 * {@link InvalidArgumentError} synchronously, naming the method and the parameter, before any state
 * changes. Plain JavaScript callers are the reason: TypeScript's types vanish at run time, and a
 * string passed as a payload would otherwise go out as NUL bytes of the same length.
 * @module
 */
import type { Core, UserTarget } from './core/core.js';
import { InvalidArgumentError } from './errors.js';
import type { MemberSnapshot, MemberState, MembersFilter } from './events.js';
import type { Metadata } from './options.js';

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

/** What a value is, for an error message: `string`, `null`, `Array`, `ArrayBuffer`, … */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
}

/** A user payload must be bytes (a `Buffer` is a `Uint8Array` and passes). */
export function checkPayload(method: string, payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  const hint = typeof payload === 'string' ? '; encode text first, e.g. new TextEncoder().encode(text)' : '';
  throw new InvalidArgumentError(method, 'payload', `must be a Uint8Array, got ${describeValue(payload)}${hint}`);
}

/** `setMetadata()`'s value: string tags or raw bytes (its size is checked when it is encoded). */
export function checkMetadata(metadata: unknown): Metadata {
  if (metadata instanceof Uint8Array) return metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidArgumentError('setMetadata', 'metadata', `must be a map of tag names to strings or a Uint8Array, got ${describeValue(metadata)}`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new InvalidArgumentError('setMetadata', `metadata.${k}`, `tag values must be strings, got ${describeValue(v)}`);
  }
  return metadata as Metadata;
}

/** `join()` seeds: one address or a non-empty array of them. */
export function checkSeeds(seeds: unknown): string[] {
  if (typeof seeds === 'string') seeds = [seeds];
  if (!Array.isArray(seeds)) throw new InvalidArgumentError('join', 'seeds', `must be a "host:port" string or an array of them, got ${describeValue(seeds)}`);
  if (seeds.length === 0) throw new InvalidArgumentError('join', 'seeds', 'needs at least one seed address');
  seeds.forEach((seed: unknown, i) => {
    if (typeof seed !== 'string' || seed.length === 0) {
      throw new InvalidArgumentError('join', `seeds[${i}]`, `must be a non-empty "host:port" string, got ${describeValue(seed)}`);
    }
  });
  return [...(seeds as string[])];
}

/**
 * Where the `to` of `send()` / `sendReliable()` goes: a member name, an `ip:port`, or a member
 * snapshot (one of a member since reaped still names its address).
 */
export function checkTarget(method: string, to: unknown, core: Pick<Core, 'userTarget'>): UserTarget {
  let target: UserTarget | undefined;
  if (typeof to === 'string' && to.length > 0) target = core.userTarget(to);
  else if (typeof to === 'object' && to !== null && typeof (to as MemberSnapshot).name === 'string' && typeof (to as MemberSnapshot).address === 'string') {
    target = core.userTarget((to as MemberSnapshot).name) ?? core.userTarget((to as MemberSnapshot).address);
  } else {
    throw new InvalidArgumentError(method, 'to', `must be a member name, an "ip:port" or a member snapshot, got ${describeValue(to)}`);
  }
  if (target === undefined) throw new InvalidArgumentError(method, 'to', `no member is named "${typeof to === 'string' ? to : (to as MemberSnapshot).name}" and it is not an "ip:port"`);
  return target;
}

/** The trailing options object of an async method: `{ signal?, timeoutMs? }` when given. */
export function checkCallOptions(method: string, options: unknown, allowTimeout: boolean): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(method, 'options', `must be an object, got ${describeValue(options)}`);
  const { signal, timeoutMs } = options as { signal?: unknown; timeoutMs?: unknown };
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new InvalidArgumentError(method, 'options.signal', `must be an AbortSignal, got ${describeValue(signal)}`);
  }
  if (allowTimeout && timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0)) {
    throw new InvalidArgumentError(method, 'options.timeoutMs', `must be a finite number of ms ≥ 0, got ${String(timeoutMs)}`);
  }
}

/**
 * The predicate of a `members()` filter. Without `state`, alive and suspect members pass, as
 * memberlist's `Members()` lists them; `'all'` adds dead and left members not yet reaped.
 */
export function memberFilter(filter: MembersFilter | undefined): (m: MemberSnapshot) => boolean {
  if (filter === undefined) return (m) => m.state === 'alive' || m.state === 'suspect';
  if (typeof filter !== 'object' || filter === null) throw new InvalidArgumentError('members', 'filter', `must be an object, got ${describeValue(filter)}`);
  const states = stateSet(filter.state);
  const tags = filter.tags === undefined ? [] : Object.entries(checkTags(filter.tags));
  return (m) => states.has(m.state) && tags.every(([k, v]) => m.tags?.[k] === v);
}

function stateSet(state: MembersFilter['state']): ReadonlySet<MemberState> {
  if (state === undefined) return new Set(['alive', 'suspect']);
  if (state === 'all') return new Set(STATES);
  const list: unknown[] = Array.isArray(state) ? state : [state];
  for (const s of list) {
    if (!STATES.includes(s as MemberState)) {
      throw new InvalidArgumentError('members', 'filter.state', `must be 'all', a state or a list of states (${STATES.join(', ')}), got ${String(s)}`);
    }
  }
  return new Set(list as MemberState[]);
}

function checkTags(tags: unknown): Readonly<Record<string, string>> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) {
    throw new InvalidArgumentError('members', 'filter.tags', `must be a map of tag names to string values, got ${describeValue(tags)}`);
  }
  for (const [k, v] of Object.entries(tags)) {
    if (typeof v !== 'string') throw new InvalidArgumentError('members', `filter.tags.${k}`, `must be a string, got ${describeValue(v)}`);
  }
  return tags as Readonly<Record<string, string>>;
}
