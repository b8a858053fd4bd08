/**
 * hearsay nodes for the interop tests: started on loopback with the shared timings, every event
 * and counter recorded, and deadline waits that fail with the node's event log.
 * @module
 */
// Types only at load time: hearsay itself is imported lazily in startHearsay(), so the Go-only
// baseline tests (and the harness) still load while hearsay's internals do not build.
import type { Hearsay, HearsayEvents, HearsayOptions, MemberSnapshot, Metrics, MetricLabels } from '../../src/index.js';
import { hex } from './go-peer.js';
import { trackNode } from './processes.js';
import { FAST, STEP_MS } from './timing.js';

type EventName = keyof HearsayEvents;
/** One recorded hearsay event. */
export interface Recorded {
  readonly type: EventName;
  readonly payload: Parameters<HearsayEvents[EventName]>[0];
  readonly at: number;
}

/** A metrics sink that keeps every counter, keyed by `name{k=v,…}` (labels sorted). */
export class RecordingMetrics implements Metrics {
  readonly counters = new Map<string, number>();
  readonly gauges = new Map<string, number>();
  static key(name: string, labels?: MetricLabels): string {
    const l = labels ? Object.keys(labels).sort().map((k) => `${k}=${labels[k]}`) : [];
    return l.length ? `${name}{${l.join(',')}}` : name;
  }
  increment(name: string, by = 1, labels?: MetricLabels): void {
    const k = RecordingMetrics.key(name, labels);
    this.counters.set(k, (this.counters.get(k) ?? 0) + by);
  }
  gauge(name: string, value: number, labels?: MetricLabels): void {
    this.gauges.set(RecordingMetrics.key(name, labels), value);
  }
  observe(): void {}
  counter(name: string, labels?: MetricLabels): number {
    return this.counters.get(RecordingMetrics.key(name, labels)) ?? 0;
  }
  /** Every counter whose key starts with `prefix`, for failure messages. */
  dump(prefix = ''): string {
    return [...this.counters].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => `${k}=${v}`).join(', ');
  }
}

/** A hearsay node with everything it emitted. */
export interface HearsayHandle {
  readonly name: string;
  readonly node: Hearsay;
  readonly events: Recorded[];
  readonly metrics: RecordingMetrics;
  /** `127.0.0.1:port` it advertises. */
  readonly addr: string;
  /** Debug log lines (when started with `log: true`). */
  readonly logs: string[];
}

const ALL_EVENTS: EventName[] = ['join', 'update', 'suspect', 'alive', 'fail', 'leave', 'message', 'self:refute', 'self:health'];

/** Options for {@link startHearsay}: hearsay options minus `name`'s optionality, plus `log`. */
export type StartHearsayOptions = Partial<HearsayOptions> & { readonly name: string; readonly log?: boolean };

/**
 * `Hearsay.start({ name, bind: '127.0.0.1:0', preset: 'local', ...FAST, ...opts })` with an event
 * recorder attached before start and a {@link RecordingMetrics} sink (unless `opts.metrics` is given).
 * Registered for {@link cleanupAll}.
 */
export async function startHearsay(opts: StartHearsayOptions): Promise<HearsayHandle> {
  const metrics = opts.metrics instanceof RecordingMetrics ? opts.metrics : new RecordingMetrics();
  const logs: string[] = [];
  const { log, ...rest } = opts;
  const logger = log
    ? {
        debug: (f: object, m: string) => logs.push(`debug ${m} ${safeJson(f)}`),
        info: (f: object, m: string) => logs.push(`info ${m} ${safeJson(f)}`),
        warn: (f: object, m: string) => logs.push(`warn ${m} ${safeJson(f)}`),
        error: (f: object, m: string) => logs.push(`error ${m} ${safeJson(f)}`),
      }
    : undefined;
  const { Hearsay } = await import('../../src/index.js');
  const node = new Hearsay({
    bind: '127.0.0.1:0',
    preset: 'local',
    ...FAST,
    ...(logger ? { logger } : {}),
    ...rest,
    metrics: opts.metrics ?? metrics,
  });
  const events: Recorded[] = [];
  const on = node.on.bind(node) as (type: EventName, listener: (payload: Recorded['payload']) => void) => unknown;
  for (const type of ALL_EVENTS) on(type, (payload) => events.push({ type, payload, at: Date.now() }));
  trackNode(node);
  await node.start();
  return { name: opts.name, node, events, metrics, addr: node.localMember.address, logs };
}

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (x instanceof Uint8Array ? hex(x) : x instanceof Error ? x.message : x));
  } catch {
    return String(v);
  }
}

/** Short description of a recorded event, for failure messages. */
export function describeEvent(e: Recorded): string {
  const p = e.payload as { member?: MemberSnapshot };
  if (p.member) return `${e.type} ${p.member.name} ${p.member.state} inc=${p.member.incarnation} meta=${hex(p.member.metadata)}`;
  return `${e.type} ${safeJson(e.payload)}`;
}

/** The hearsay node's events so far, for failure messages. */
export function hearsayTail(h: HearsayHandle, n = 40): string {
  return h.events
    .slice(-n)
    .map((e) => `  [${h.name}] ${describeEvent(e)}`)
    .join('\n');
}

/**
 * Resolves with the first recorded event of `type` (at index ≥ `from`) whose payload matches
 * `pred`; rejects at the deadline with the node's event log, members and drop counters.
 */
export function waitForEvent<K extends EventName>(
  h: HearsayHandle,
  type: K,
  pred: (payload: Parameters<HearsayEvents[K]>[0]) => boolean = () => true,
  timeoutMs = STEP_MS,
  from = 0,
): Promise<Parameters<HearsayEvents[K]>[0]> {
  type P = Parameters<HearsayEvents[K]>[0];
  for (let i = from; i < h.events.length; i++) {
    const e = h.events[i]!;
    if (e.type === type && pred(e.payload as P)) return Promise.resolve(e.payload as P);
  }
  return new Promise((resolve, reject) => {
    const listener = (payload: P): void => {
      if (!pred(payload)) return;
      clearTimeout(timer);
      h.node.off(type, listener as never);
      resolve(payload);
    };
    const timer = setTimeout(() => {
      h.node.off(type, listener as never);
      reject(
        new Error(
          `hearsay ${h.name}: timed out after ${timeoutMs} ms waiting for "${type}"\n` +
            `members: ${describeMembers(h.node.members({ state: 'all' }))}\n` +
            `drops: ${h.metrics.dump('hearsay_packets_dropped_total') || 'none'}\n${hearsayTail(h)}`,
        ),
      );
    }, timeoutMs);
    h.node.on(type, listener as never);
  });
}

/** `waitForEvent` for a membership event about the member named `name`. */
export function waitForMemberEvent(
  h: HearsayHandle,
  type: 'join' | 'update' | 'suspect' | 'alive' | 'fail' | 'leave',
  name: string,
  pred: (m: MemberSnapshot) => boolean = () => true,
  timeoutMs = STEP_MS,
  from = 0,
): Promise<MemberSnapshot> {
  return waitForEvent(h, type, (p) => p.member.name === name && pred(p.member), timeoutMs, from).then((p) => p.member);
}

/** `name:state` list. */
export function describeMembers(ms: readonly { name: string; state: string | number }[]): string {
  return ms
    .map((m) => `${m.name}:${m.state}`)
    .sort()
    .join(' ');
}

/** Events of `type` about member `name` recorded so far. */
export function memberEvents(h: HearsayHandle, type: EventName, name: string): Recorded[] {
  return h.events.filter((e) => e.type === type && (e.payload as { member?: MemberSnapshot }).member?.name === name);
}
