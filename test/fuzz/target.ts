/**
 * The fuzzer's target: a live 3-node hearsay cluster on 127.0.0.1 (port 0 binds) in this
 * process, each node on a {@link WatchedTransport} with its own metrics and error log, and the
 * checks the fuzzer makes of it: drops per reason, member tables, events, streams released.
 * @module
 */
import { Hearsay, type HearsayEvents, type HearsayOptions } from '../../src/index.js';
import { ErrorLog, MetricsRecorder, WatchedTransport } from '../hostile/observe.js';

/** One node of the target cluster and everything observed about it. */
export interface TargetNode {
  readonly node: Hearsay;
  readonly name: string;
  readonly transport: WatchedTransport;
  readonly metrics: MetricsRecorder;
  readonly log: ErrorLog;
  /** Member events (everything but `message`), in order, as `event name`. */
  readonly events: string[];
  /** `message` events delivered (user payloads the fuzzer got through). */
  messages: number;
  /** `self:health` events (the node noticed it was slow: load, not a fault). */
  healthChanges: number;
}

/** The cluster's shared settings: keyring with plaintext allowed, a label, LAN timing, short stream deadline. */
export interface TargetSettings {
  readonly key: Uint8Array;
  readonly label: string;
  /** Stream deadline: short, so stalled fuzz streams are reaped quickly. */
  readonly tcpTimeoutMs: number;
}

const MEMBER_EVENTS: (keyof HearsayEvents)[] = ['join', 'update', 'suspect', 'alive', 'fail', 'leave', 'self:refute'];

/**
 * Starts three nodes with the `lan` preset (memberlist's DefaultLANConfig timing: probes every
 * 1 s, 500 ms ack timeout) plus `settings`, joins the second and third through the first, and
 * resolves once every node sees all three alive (rejects after `timeoutMs`).
 */
export async function startTarget(prefix: string, settings: TargetSettings, timeoutMs = 15_000): Promise<TargetNode[]> {
  const nodes: TargetNode[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const transport = new WatchedTransport({ keepReleased: 1000 });
      const metrics = new MetricsRecorder();
      const log = new ErrorLog();
      const name = `${prefix}-${'abc'[i]}`;
      const options: HearsayOptions = {
        name,
        preset: 'lan',
        transport,
        metrics,
        logger: log,
        secretKeys: [settings.key],
        allowUnencrypted: true,
        label: settings.label,
        tcpTimeoutMs: settings.tcpTimeoutMs,
      };
      const node = new Hearsay(options);
      const t: TargetNode = { node, name, transport, metrics, log, events: [], messages: 0, healthChanges: 0 };
      for (const event of MEMBER_EVENTS) {
        node.on(event, (payload: unknown) => {
          const member = (payload as { member?: { name: string } }).member;
          t.events.push(`${event} ${member?.name ?? ''}`.trim());
        });
      }
      node.on('message', () => {
        t.messages++;
      });
      node.on('self:health', () => {
        t.healthChanges++;
      });
      nodes.push(t);
      await node.start();
    }
    const seed = nodes[0]!.node.localMember.address;
    for (const t of nodes.slice(1)) await t.node.join([seed]);
    const want = nodes.map((t) => t.name).sort().join(',');
    const deadline = Date.now() + timeoutMs;
    while (!nodes.every((t) => aliveNames(t).join(',') === want)) {
      if (Date.now() > deadline) throw new Error(`target cluster did not converge: ${JSON.stringify(nodes.map(memberTable))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return nodes;
  } catch (error) {
    await stopTarget(nodes);
    throw error;
  }
}

/** Shuts every node down (idempotent). */
export async function stopTarget(nodes: readonly TargetNode[]): Promise<void> {
  await Promise.all(nodes.map((t) => t.node.shutdown().catch(() => {})));
}

function aliveNames(t: TargetNode): string[] {
  return t.node
    .members()
    .filter((m) => m.state === 'alive')
    .map((m) => m.name)
    .sort();
}

/** A node's member table as comparable text: `name state incarnation address`, sorted. */
export function memberTable(t: TargetNode): string[] {
  return t.node
    .members({ state: 'all' })
    .map((m) => `${m.name} ${m.state} ${m.incarnation} ${m.address}`)
    .sort();
}

/** Drops per reason summed over `nodes`. */
export function dropsByReason(nodes: readonly TargetNode[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const t of nodes) for (const [reason, n] of t.metrics.drops) sum.set(reason, (sum.get(reason) ?? 0) + n);
  return sum;
}

/** `after − before` per reason (reasons with no change left out). */
export function dropDelta(after: ReadonlyMap<string, number>, before: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [reason, n] of after) {
    const d = n - (before.get(reason) ?? 0);
    if (d !== 0) out.set(reason, d);
  }
  return out;
}
