/**
 * The fuzz driver: starts the 3-node target cluster in this process, forks the attacker
 * (`attacker.ts`), paces its datagrams, and then judges the run: no crash, no unhandled
 * rejection, nothing escaping a handler, every drop counted, every stream reaped and released,
 * member tables unchanged, RSS growth under the bound.
 * @module
 */
import { fork } from 'node:child_process';
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dropDelta, dropsByReason, memberTable, startTarget, stopTarget, type TargetNode } from './target.js';
import { REAP_SLACK_MS, type AttackConfig, type AttackerMessage, type AttackReport, type DriverMessage } from './protocol.js';

/** What to run. */
export interface FuzzOptions {
  readonly datagrams: number;
  readonly streams: number;
  readonly seed: number;
  /**
   * Fail if RSS (after a full GC, when `--expose-gc` is on) grew by more than this, MiB. It has
   * to allow for the allocator: the decompression caps let a bomb allocate 40 MiB for a moment,
   * and glibc keeps such freed pages mapped, so RSS rises to a plateau on the first bombs and
   * stays there (see `heapBoundMiB` for the tight check).
   */
  readonly rssBoundMiB: number;
  /** Fail if the JS heap in use after a full GC grew by more than this, MiB (checked only with `--expose-gc`). */
  readonly heapBoundMiB: number;
  /** The target's stream deadline, ms. */
  readonly tcpTimeoutMs: number;
  readonly streamConcurrency: number;
  readonly craftedEvery: number;
  /** Self-check: one forged phantom alive must make the run fail (see `AttackConfig.canary`). */
  readonly canary?: boolean;
  /** Progress lines (default: none). */
  readonly progress?: (line: string) => void;
}

/** The run's figures and verdict. */
export interface FuzzResult {
  readonly options: FuzzOptions;
  /** Why the run failed; empty when it passed. */
  readonly failures: string[];
  readonly attack: AttackReport | undefined;
  /** Drops per reason the three nodes counted during the run (metric `hearsay_packets_dropped_total`). */
  readonly drops: Record<string, number>;
  /** RSS before, after a tenth of the datagrams (`warmMiB`), after, and the highest sampled. */
  readonly rss: { readonly beforeMiB: number; readonly warmMiB: number; readonly afterMiB: number; readonly peakMiB: number };
  readonly heapUsed: { readonly beforeMiB: number; readonly afterMiB: number };
  readonly gcExposed: boolean;
  /** Datagrams the nodes read from the attacker. */
  readonly datagramsRead: number;
  /** Inbound streams the nodes accepted (attacker and cluster). */
  readonly streamsAccepted: number;
  /** `message` events: fuzz user payloads that decoded and were delivered. */
  readonly messagesDelivered: number;
  /** `self:health` changes: the nodes noticed they were slow (load, not a fault). */
  readonly healthChanges: number;
  readonly elapsedMs: number;
}

const MiB = 2 ** 20;
const gc = (globalThis as { gc?: () => void }).gc;
const attackerPath = fileURLToPath(new URL('./attacker.ts', import.meta.url));

/** RSS and heap in use, after two full GCs when `--expose-gc` is on. */
function settle(): { rss: number; heap: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/** Runs one fuzz campaign; never throws for a finding (it is in `failures`), only for a broken setup. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const failures: string[] = [];
  const faults: string[] = [];
  const onFault = (error: unknown): void => {
    faults.push(error instanceof Error ? (error.stack ?? error.message) : String(error));
  };
  process.on('unhandledRejection', onFault);
  process.on('uncaughtException', onFault);
  const key = cryptoRandomBytes(32);
  const settings = { key, label: 'fuzz', tcpTimeoutMs: options.tcpTimeoutMs };
  const nodes = await startTarget(`fz${options.seed % 1000}`, settings);
  try {
    const tablesBefore = nodes.map(memberTable);
    const eventsBefore = nodes.map((t) => t.events.length);
    const dropsBefore = dropsByReason(nodes);
    const before = settle();
    let peak = before.rss;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 250);

    let attackerUdp = '';
    const read = (): number[] => nodes.map((t) => t.transport.datagramsFrom.get(attackerUdp) ?? 0);
    const config: AttackConfig = {
      seed: options.seed,
      datagrams: options.datagrams,
      streams: options.streams,
      targets: nodes.map((t) => t.transport.localAddress),
      real: nodes.map((t) => t.name),
      key: key.toString('base64'),
      label: settings.label,
      allowUnencrypted: true,
      tcpTimeoutMs: options.tcpTimeoutMs,
      streamConcurrency: options.streamConcurrency,
      craftedEvery: options.craftedEvery,
      canary: options.canary === true,
    };
    const child = fork(attackerPath, [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let lastProgress = 0;
    let warm = 0;
    const attack = await new Promise<AttackReport | undefined>((resolve) => {
      let report: AttackReport | undefined;
      child.on('message', (m: AttackerMessage) => {
        if (m.type === 'ready') attackerUdp = m.udp;
        else if (m.type === 'done') report = m.report;
        else if (m.type === 'sent') {
          void waitForReads(read, m.perTarget).then((perTarget) => {
            if (child.connected) child.send({ type: 'read', perTarget } satisfies DriverMessage);
            const total = m.perTarget.reduce((a, b) => a + b, 0);
            if (warm === 0 && total >= options.datagrams / 10) warm = process.memoryUsage().rss;
            if (options.progress && Date.now() - lastProgress > 5000) {
              lastProgress = Date.now();
              options.progress(`fuzz: ${total} datagrams sent, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`);
            }
          });
        }
      });
      child.on('exit', (code, signal) => {
        if (code !== 0) failures.push(`the attacker exited with ${signal ?? `code ${code}`}`);
        resolve(report);
      });
    });
    if (attack === undefined) failures.push('the attacker sent no report');

    // Every stream the attacker opened must be released by its node, on its deadline.
    await until(() => nodes.every((t) => t.transport.openStreams === 0), options.tcpTimeoutMs + REAP_SLACK_MS);
    clearInterval(sampler);
    const after = settle();
    const drops = dropDelta(dropsByReason(nodes), dropsBefore);
    judge(failures, { nodes, tablesBefore, eventsBefore, drops, attack, faults });
    const growthMiB = (after.rss - before.rss) / MiB;
    if (growthMiB > options.rssBoundMiB) failures.push(`RSS grew by ${growthMiB.toFixed(1)} MiB (bound ${options.rssBoundMiB} MiB)`);
    const heapGrowthMiB = (after.heap - before.heap) / MiB;
    if (gc !== undefined && heapGrowthMiB > options.heapBoundMiB) failures.push(`heap used after GC grew by ${heapGrowthMiB.toFixed(1)} MiB (bound ${options.heapBoundMiB} MiB)`);
    return {
      options,
      failures,
      attack,
      drops: Object.fromEntries([...drops].sort((a, b) => b[1] - a[1])),
      rss: { beforeMiB: before.rss / MiB, warmMiB: (warm || after.rss) / MiB, afterMiB: after.rss / MiB, peakMiB: peak / MiB },
      heapUsed: { beforeMiB: before.heap / MiB, afterMiB: after.heap / MiB },
      gcExposed: gc !== undefined,
      datagramsRead: read().reduce((a, b) => a + b, 0),
      streamsAccepted: nodes.reduce((n, t) => n + t.transport.streamsAccepted, 0),
      messagesDelivered: nodes.reduce((n, t) => n + t.messages, 0),
      healthChanges: nodes.reduce((n, t) => n + t.healthChanges, 0),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await stopTarget(nodes);
    process.off('unhandledRejection', onFault);
    process.off('uncaughtException', onFault);
  }
}

/** Everything about the nodes that must hold after the attack; adds a line to `failures` per violation. */
function judge(
  failures: string[],
  r: {
    nodes: readonly TargetNode[];
    tablesBefore: readonly string[][];
    eventsBefore: readonly number[];
    drops: ReadonlyMap<string, number>;
    attack: AttackReport | undefined;
    faults: readonly string[];
  },
): void {
  for (const f of r.faults) failures.push(`unhandled rejection / uncaught exception: ${f}`);
  for (const [i, t] of r.nodes.entries()) {
    if (t.node.status !== 'running') failures.push(`${t.name} is ${t.node.status}`);
    for (const e of t.transport.handlerThrows) failures.push(`${t.name}: a transport handler threw: ${String(e)}`);
    for (const line of t.log.errors) failures.push(`${t.name}: logger.error: ${line}`);
    const table = memberTable(t);
    if (table.join('\n') !== r.tablesBefore[i]!.join('\n')) failures.push(`${t.name}: member table changed from [${r.tablesBefore[i]!.join('; ')}] to [${table.join('; ')}]`);
    const events = t.events.slice(r.eventsBefore[i]);
    if (events.length > 0) failures.push(`${t.name}: member events during the run: ${events.join(', ')}`);
    if (t.transport.openStreams > 0) failures.push(`${t.name}: ${t.transport.openStreams} inbound streams never released`);
  }
  if ((r.drops.get('internal-error') ?? 0) > 0) failures.push(`internal-error drops: ${r.drops.get('internal-error')}`);
  if (r.attack === undefined) return;
  const { lost, expectedDrops } = r.attack.datagrams;
  // Each drop the wire decoder reports for the bytes sent must have been counted by a node,
  // under its reason (less any datagram that never arrived).
  for (const [reason, n] of Object.entries(expectedDrops)) {
    const got = r.drops.get(reason) ?? 0;
    if (got < n - lost) failures.push(`drops{reason=${reason}}: counted ${got}, the decoder reports ${n} for the bytes sent (${lost} lost)`);
  }
  for (const [kind, s] of Object.entries(r.attack.streams.byKind)) {
    if (s.notClosed > 0) failures.push(`${s.notClosed} ${kind} streams were not closed by their node within tcpTimeoutMs + ${REAP_SLACK_MS} ms`);
  }
}

/** Resolves once each target has read `want[i]` datagrams, or after 10 s without progress; with what was read. */
async function waitForReads(read: () => number[], want: readonly number[]): Promise<number[]> {
  let last = read();
  let progressAt = Date.now();
  while (!last.every((n, i) => n >= want[i]!)) {
    await new Promise((r) => setTimeout(r, 1));
    const now = read();
    if (now.some((n, i) => n > last[i]!)) progressAt = Date.now();
    last = now;
    if (Date.now() - progressAt > 10_000) break;
  }
  return last;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
