/**
 * Cluster state (issue 11), on real nodes in the simulator.
 *
 * - `propagation`: a converged cluster (bootstrapConverged), 30 s of steady state, then `writes`
 *   state writes, each from a different node and each followed by 10 s of quiet, and as many
 *   metadata updates (membership gossip) the same way, for comparison. A node sees a write at its
 *   `state` event for it, an update at its `update` event.
 * - `anti-entropy`: a converged cluster whose nodes each hold `keys` keys (16-byte values) and every
 *   other node's keys, installed shared (`StateStore.share`: each node would hold equal copies; in
 *   a quiet cluster nothing writes them), then the state layer's bytes sent over `windowMs` — the
 *   cost of agreeing views — beside what one full-state exchange per node per sync interval costs.
 * - `events`: a converged cluster under `loss`, `events` published from 10 origins 100 ms apart;
 *   per node, how many it delivered, duplicates, per-origin order, and when the last node had all.
 * - `churn` (acceptance 5): `ops` writes and deletes (100 per virtual second, from the running
 *   nodes in turn; distinct keys over time, each host deleting its keys of two 10,000-op epochs ago
 *   at each epoch, every 10th write with a TTL, every 50th a 3 KiB value that travels
 *   in fragments, every 100th op also an event) while a member crashes for good and a new one joins,
 *   or a member restarts under its name (new generation), every 5,000 ops. Every `checkpoint` ops:
 *   heap after a full GC (run with `--expose-gc`) and the state layer's counted sizes summed over
 *   the running nodes (`StateEngine.sizes`).
 */
import { nodeInternals } from '../src/runtime/node-runtime.js';
import { STATE_DEFAULTS } from '../src/state/limits.js';
import { recordCost } from '../src/state/replica.js';
import { quantile, sorted, UpdateSpread } from '../src/testing/observer.js';
import type { Simulator } from '../src/testing/simulator.js';
import { bootstrappedCluster, fix, int, progress, runIfMain, setProgressLabel, stopwatch, table } from './sim-common.js';

export interface StateBenchParams {
  readonly mode: 'propagation' | 'anti-entropy' | 'events' | 'churn';
  /** churn: operations in all, and how many between checkpoints. */
  readonly ops?: number;
  readonly checkpoint?: number;
  /** churn: the nodes' `state.tombstoneGraceMs` (default 60 s, so collection shows within the run). */
  readonly tombstoneGraceMs?: number;
  readonly n: number;
  readonly loss?: number;
  readonly writes?: number;
  readonly keys?: number;
  readonly windowMs?: number;
  /** anti-entropy: virtual ms between installing the state and measuring (the writes' own gossip rounds end). */
  readonly settleMs?: number;
  readonly seed?: number;
}

export interface StateBenchResult extends StateBenchParams {
  /** propagation: per write / per update, ms to 99.9 % and 100 % (null: not within the cap). */
  readonly state999?: (number | null)[];
  readonly state100?: (number | null)[];
  readonly member999?: (number | null)[];
  readonly member100?: (number | null)[];
  /** anti-entropy: state bytes and datagrams per node per second, and a full exchange's bytes per node per second. */
  readonly bytesPerNodeSecond?: number;
  readonly packetsPerNodeSecond?: number;
  readonly fullExchangeBytesPerNodeSecond?: number;
  /** events: nodes that delivered every event, deliveries beyond one per node and event, nodes that saw an origin out of order, ms until the last node had all. */
  readonly nodesComplete?: number;
  readonly duplicates?: number;
  readonly outOfOrder?: number;
  readonly allDeliveredMs?: number | null;
  /** churn: one row per checkpoint. */
  readonly checkpoints?: readonly ChurnCheckpoint[];
  readonly wallSeconds: number;
}

/** One churn checkpoint: heap after GC, and the state layer's counted sizes over the running nodes. */
export interface ChurnCheckpoint {
  readonly ops: number;
  readonly virtualS: number;
  readonly heapMb: number;
  readonly nodes: number;
  /** Summed over the running nodes (StateEngine.sizes). */
  readonly replicas: number;
  readonly records: number;
  readonly tombstones: number;
  readonly kib: number;
  readonly eventsRecent: number;
  readonly eventOrigins: number;
  readonly fragments: number;
  readonly hot: number;
}

const CAP_MS = 60_000;
const STATE_TYPE = 'type-232';

function names(sim: Simulator): string[] {
  return sim.runningNames();
}

async function propagation(p: StateBenchParams): Promise<StateBenchResult> {
  const wall = stopwatch();
  const sim = await bootstrappedCluster(p.n, { seed: p.seed ?? 1, network: { loss: p.loss ?? 0 } });
  progress(`bootstrapped in ${wall().toFixed(1)} s`, true);
  await sim.runFor(30_000);
  const all = names(sim);
  const state999: (number | null)[] = [];
  const state100: (number | null)[] = [];
  const member999: (number | null)[] = [];
  const member100: (number | null)[] = [];
  const writes = p.writes ?? 20;
  const step = Math.max(1, Math.floor(p.n / writes));
  const at = (times: number[], q: number): number | null => (times.length >= Math.ceil(q * p.n) ? sorted(times)[Math.ceil(q * p.n) - 1]! : null);
  for (let w = 0; w < writes; w++) {
    const origin = `n${(1 + w * step) % p.n}`;
    const start = sim.now;
    const times: number[] = [0];
    const off: (() => void)[] = [];
    for (const name of all) {
      if (name === origin) continue;
      const node = sim.node(name);
      const listener = (e: { member: string; key: string }): void => {
        if (e.member === origin && e.key === `w${w}`) times.push(sim.now - start);
      };
      node.on('state', listener);
      off.push(() => node.off('state', listener));
    }
    sim.node(origin).state.set(`w${w}`, `value-${w}`);
    await sim.runUntil(() => times.length >= p.n, CAP_MS, 5);
    for (const f of off) f();
    state999.push(at(times, 0.999));
    state100.push(at(times, 1));
    progress(`write ${w + 1}/${writes}: 100 % after ${fix((state100.at(-1) ?? NaN) / 1000, 2)} s`);
    await sim.runFor(10_000);
    const spread = new UpdateSpread(sim, origin, p.n);
    sim.setMetadata(origin, { version: String(w + 2) });
    await sim.runUntil(() => spread.done(), CAP_MS, 5);
    spread.stop();
    member999.push(spread.timeTo(0.999) ?? null);
    member100.push(spread.timeTo(1) ?? null);
    await sim.runFor(10_000);
  }
  return { ...p, state999, state100, member999, member100, wallSeconds: wall() };
}

async function antiEntropy(p: StateBenchParams): Promise<StateBenchResult> {
  const wall = stopwatch();
  const sim = await bootstrappedCluster(p.n, { seed: p.seed ?? 1 });
  const all = names(sim);
  const keys = p.keys ?? 100;
  const value = 'v'.repeat(16);
  for (const name of all) for (let k = 0; k < keys; k++) sim.node(name).state.set(`key-${k}`, value);
  const engines = all.map((name) => nodeInternals.get(sim.node(name))!.state!.engine);
  for (const e of engines) for (const o of engines) if (o !== e) e.store.share(o.self, o.store.own);
  progress(`bootstrapped ${p.n} × ${keys} keys in ${wall().toFixed(1)} s`, true);
  // Let the fresh writes' gossip rounds end (they met equal replicas), then measure.
  await sim.runFor(p.settleMs ?? 30_000);
  const before = { ...(sim.network.sent.byType.get(STATE_TYPE) ?? { packets: 0, bytes: 0 }) };
  const windowMs = p.windowMs ?? 30_000;
  await sim.runFor(windowMs);
  const after = sim.network.sent.byType.get(STATE_TYPE) ?? { packets: 0, bytes: 0 };
  const perNodeSecond = (x: number): number => x / p.n / (windowMs / 1000);
  let ownBytes = 0;
  for (const [k, v] of engines[0]!.store.own.live()) ownBytes += recordCost(k, v);
  // Full-state exchange: each node sends its whole copy (every member's keys) to one peer per sync interval.
  const full = (ownBytes * p.n) / (STATE_DEFAULTS.syncIntervalMs / 1000);
  return { ...p, bytesPerNodeSecond: perNodeSecond(after.bytes - before.bytes), packetsPerNodeSecond: perNodeSecond(after.packets - before.packets), fullExchangeBytesPerNodeSecond: full, wallSeconds: wall() };
}

async function events(p: StateBenchParams): Promise<StateBenchResult> {
  const wall = stopwatch();
  const sim = await bootstrappedCluster(p.n, { seed: p.seed ?? 1, network: { loss: p.loss ?? 0 } });
  await sim.runFor(30_000);
  const all = names(sim);
  const count = p.writes ?? 50;
  const got = new Map<string, number[][]>(all.map((x) => [x, Array.from({ length: 10 }, () => [])]));
  for (const name of all) sim.node(name).on('event', (e) => got.get(name)![Number(e.from.slice(1)) % 10]!.push(Number(new TextDecoder().decode(e.payload))));
  const start = sim.now;
  for (let i = 0; i < count; i++) sim.at(start + i * 100, () => sim.node(`n${i % 10}`).publish('bench', new TextEncoder().encode(String(i))));
  const complete = (x: string): boolean => got.get(x)!.reduce((a, l) => a + l.length, 0) >= count;
  const done = await sim.runUntil(() => all.every(complete), CAP_MS, 10);
  const allDeliveredMs = done ? sim.now - start : null;
  await sim.runFor(35_000); // past the event window: nothing more may arrive
  let duplicates = 0;
  let outOfOrder = 0;
  for (const x of all) {
    const lists = got.get(x)!;
    const total = lists.reduce((a, l) => a + l.length, 0);
    duplicates += Math.max(0, total - count);
    if (lists.some((l) => l.some((v, i) => i > 0 && v < l[i - 1]!))) outOfOrder++;
  }
  return { ...p, nodesComplete: all.filter(complete).length, duplicates, outOfOrder, allDeliveredMs, wallSeconds: wall() };
}

async function churn(p: StateBenchParams): Promise<StateBenchResult> {
  const wall = stopwatch();
  const graceMs = p.tombstoneGraceMs ?? 60_000;
  const sim = await bootstrappedCluster(p.n, { seed: p.seed ?? 1, node: { state: { tombstoneGraceMs: graceMs } } });
  const ops = p.ops ?? 100_000;
  const every = p.checkpoint ?? 20_000;
  const big = 'x'.repeat(3072);
  const enc = new TextEncoder();
  let nextName = p.n;
  let restartNext = false;
  const checkpoints: ChurnCheckpoint[] = [];
  const gc = (globalThis as { gc?: () => void }).gc;
  const measure = (done: number): void => {
    gc?.();
    gc?.();
    const running = sim.runningNames();
    const t = { replicas: 0, records: 0, tombstones: 0, bytes: 0, eventsRecent: 0, eventOrigins: 0, fragments: 0, hot: 0 };
    for (const name of running) {
      const z = nodeInternals.get(sim.node(name))!.state!.engine.sizes();
      t.replicas += z.replicas;
      t.records += z.records;
      t.tombstones += z.tombstones;
      t.bytes += z.bytes;
      t.eventsRecent += z.eventsRecent;
      t.eventOrigins += z.eventOrigins;
      t.fragments += z.fragments;
      t.hot += z.hot;
    }
    const { bytes, ...rest } = t;
    checkpoints.push({ ops: done, virtualS: sim.now / 1000, heapMb: process.memoryUsage().heapUsed / 2 ** 20, nodes: running.length, kib: bytes / 1024, ...rest });
    progress(`${done} ops: heap ${fix(checkpoints.at(-1)!.heapMb, 1)} MB, ${t.records} records, ${t.tombstones} tombstones`, true);
  };
  await sim.runFor(5_000);
  measure(0);
  for (let i = 0; i < ops; i++) {
    const running = sim.runningNames();
    const node = sim.node(running[i % running.length]!);
    const epoch = Math.floor(i / 10_000);
    const key = `k${i % 400}-${epoch}`; // distinct keys over time: tombstones pile up unless collected
    if (i % 10_000 === 0) {
      // Each host deletes its keys of two epochs ago, as services retire old keys.
      for (const name of running) for (const [k] of sim.node(name).state.entries()) if (Number(k.split('-')[1]) < epoch - 1) sim.node(name).state.delete(k);
    }
    try {
      if (i % 7 === 3) node.state.delete(key);
      else if (i % 50 === 0) node.state.set(key, big);
      else node.state.set(key, `v${i}`, i % 10 === 1 ? { ttlMs: 5_000 } : {});
    } catch {
      node.state.delete(key); // over the node's budget: what a host would do
    }
    if (i % 100 === 0) node.publish('churn', enc.encode(String(i)));
    if (i % 5_000 === 4_999) {
      const victim = running[1 + (i % (running.length - 1))]!;
      if (restartNext) sim.restart(victim, 'n0');
      else {
        sim.remove(victim); // crashed for good: the simulator forgets it too, so its heap is the survivors'
        const fresh = `n${nextName++}`;
        await sim.addNode(fresh);
        sim.join(fresh, 'n0');
      }
      restartNext = !restartNext;
    }
    if (i % 100 === 99) await sim.runFor(1_000);
    if ((i + 1) % every === 0) measure(i + 1);
  }
  return { ...p, checkpoints, wallSeconds: wall() };
}

export async function runStateBench(p: StateBenchParams): Promise<StateBenchResult> {
  setProgressLabel(`state ${p.mode} N=${p.n}`);
  return p.mode === 'propagation' ? propagation(p) : p.mode === 'events' ? events(p) : p.mode === 'churn' ? churn(p) : antiEntropy(p);
}

/** Markdown for a set of results. */
export function renderState(results: readonly StateBenchResult[]): string {
  const out: string[] = [];
  const prop = results.filter((r) => r.mode === 'propagation');
  if (prop.length > 0) {
    const s = (xs: (number | null)[] | undefined): string => {
      const ok = sorted((xs ?? []).filter((x): x is number => x !== null));
      const missed = (xs ?? []).length - ok.length;
      return `${fix((quantile(ok, 0.5) ?? NaN) / 1000, 2)} / ${fix((ok.at(-1) ?? NaN) / 1000, 2)}${missed > 0 ? ` (${missed} not reached)` : ''}`;
    };
    out.push(
      table(
        ['N', 'loss', 'writes', 'state write → 99.9 %: s (median / max)', 'state write → 100 %: s (median / max)', 'metadata update → 99.9 %', 'metadata update → 100 %'],
        'rrrrrrr',
        prop.map((r) => [int(r.n), `${(r.loss ?? 0) * 100} %`, String(r.writes ?? 20), s(r.state999), s(r.state100), s(r.member999), s(r.member100)]),
      ),
    );
  }
  const ae = results.filter((r) => r.mode === 'anti-entropy');
  if (ae.length > 0) {
    out.push(
      table(
        ['N', 'keys per node', 'state anti-entropy: bytes / node / s', 'datagrams / node / s', 'full-state exchange: bytes / node / s'],
        'rrrrr',
        ae.map((r) => [int(r.n), String(r.keys ?? 100), fix(r.bytesPerNodeSecond, 1), fix(r.packetsPerNodeSecond, 2), int(r.fullExchangeBytesPerNodeSecond ?? 0)]),
      ),
    );
  }
  const ev = results.filter((r) => r.mode === 'events');
  if (ev.length > 0) {
    out.push(
      table(
        ['N', 'loss', 'events (10 origins)', 'nodes with every event', 'duplicate deliveries', 'nodes that saw an origin out of order', 'all nodes had all, s after the first'],
        'rrrrrrr',
        ev.map((r) => [int(r.n), `${(r.loss ?? 0) * 100} %`, String(r.writes ?? 50), `${int(r.nodesComplete ?? 0)} of ${int(r.n)}`, String(r.duplicates ?? 0), String(r.outOfOrder ?? 0), r.allDeliveredMs == null ? 'not within 60 s' : fix(r.allDeliveredMs / 1000, 2)]),
      ),
    );
  }
  for (const r of results.filter((x) => x.mode === 'churn')) {
    out.push(
      table(
        ['ops', 'virtual s', 'heap after GC, MB', 'nodes', 'replicas', 'records', 'tombstones', 'state KiB', 'recent events', 'event origins', 'fragments in reassembly', 'hot members'],
        'rrrrrrrrrrrr',
        (r.checkpoints ?? []).map((c) => [int(c.ops), int(c.virtualS), fix(c.heapMb, 1), String(c.nodes), int(c.replicas), int(c.records), int(c.tombstones), int(c.kib), int(c.eventsRecent), int(c.eventOrigins), String(c.fragments), String(c.hot)]),
      ),
    );
  }
  return out.join('\n\n');
}

runIfMain(import.meta.url, runStateBench);
