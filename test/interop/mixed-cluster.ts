/**
 * Mixed clusters: hearsay nodes and Go peers on loopback, joined across implementations, and the
 * convergence wait over both kinds of node.
 * @module
 */
import type { HearsayOptions } from '../../src/index.js';
import { waitUntil } from '../../src/testing/wait.js';
import { GoPeer, GoState, startGoPeer } from './go-peer.js';
import { startHearsay, type HearsayHandle } from './hearsay-node.js';
import { STEP_MS } from './timing.js';

/** A cluster of hearsay nodes and Go peers on loopback. */
export interface MixedCluster {
  readonly hearsay: HearsayHandle[];
  readonly go: GoPeer[];
  /** Every node name. */
  readonly names: string[];
}

/** Options shared by every node of a {@link startMixedCluster} cluster. */
export interface MixedClusterOptions {
  /** Name prefix so parallel clusters never mix (names are `${prefix}-h1`, `${prefix}-g1`, …). */
  readonly prefix: string;
  readonly hearsayCount?: number;
  readonly goCount?: number;
  /** Shared keyring (raw keys; first = primary). */
  readonly keys?: readonly Uint8Array[];
  readonly hearsayCompression?: boolean;
  readonly goCompression?: boolean;
  /** Extra hearsay options (metrics are always a RecordingMetrics). */
  readonly hearsayOptions?: Partial<HearsayOptions>;
  readonly hearsayLog?: boolean;
  readonly goVerbose?: boolean;
}

/** The metadata the cluster starts with: serf tags for hearsay nodes, raw bytes for Go peers. */
export const initialGoMeta = (name: string): Uint8Array => new TextEncoder().encode(`go:${name}`);
export const initialHearsayTags = (name: string): Record<string, string> => ({ impl: 'hearsay', name });

/**
 * Starts `hearsayCount` hearsay nodes and `goCount` Go peers (default 3 + 3) and joins them in a
 * chain that crosses implementations in both directions — h1 ← g1 (Go joins through a hearsay
 * seed) ← h2 (hearsay joins through a Go seed) ← g2 ← h3 ← g3 … — then waits until every node
 * lists every other as alive. Rejects (with each node's view) if that takes longer than `STEP_MS`.
 */
export async function startMixedCluster(opts: MixedClusterOptions): Promise<MixedCluster> {
  const nh = opts.hearsayCount ?? 3;
  const ng = opts.goCount ?? 3;
  const hearsay: HearsayHandle[] = [];
  const go: GoPeer[] = [];
  const startH = (i: number): Promise<HearsayHandle> => {
    const name = `${opts.prefix}-h${i}`;
    return startHearsay({
      name,
      metadata: initialHearsayTags(name),
      ...(opts.keys ? { secretKeys: opts.keys } : {}),
      ...(opts.hearsayCompression !== undefined ? { compression: opts.hearsayCompression } : {}),
      ...(opts.hearsayLog ? { log: true } : {}),
      ...(opts.hearsayOptions ?? {}),
    });
  };
  const startG = (i: number): Promise<GoPeer> => {
    const name = `${opts.prefix}-g${i}`;
    return startGoPeer({
      name,
      meta: initialGoMeta(name),
      ...(opts.keys ? { keys: opts.keys } : {}),
      ...(opts.goCompression !== undefined ? { compression: opts.goCompression } : {}),
      ...(opts.goVerbose ? { verbose: true } : {}),
    });
  };
  for (let i = 1; i <= nh; i++) hearsay.push(await startH(i));
  for (let i = 1; i <= ng; i++) go.push(await startG(i));

  // The chain: alternate implementations, each joining through the previous node.
  const chain: (HearsayHandle | GoPeer)[] = [];
  for (let i = 0; i < Math.max(nh, ng); i++) {
    if (i < nh) chain.push(hearsay[i]!);
    if (i < ng) chain.push(go[i]!);
  }
  for (let i = 1; i < chain.length; i++) {
    const joiner = chain[i]!;
    const seed = chain[i - 1]!.addr;
    if (joiner instanceof GoPeer) {
      const contacted = await joiner.join([seed]);
      if (contacted !== 1) throw new Error(`Go peer ${joiner.name} contacted ${contacted} seeds joining ${seed}`);
    } else {
      const r = await joiner.node.join([seed]);
      if (r.contacted !== 1) throw new Error(`hearsay ${joiner.name} contacted ${r.contacted} seeds joining ${seed}`);
    }
  }
  const cluster: MixedCluster = { hearsay, go, names: [...hearsay.map((h) => h.name), ...go.map((g) => g.name)] };
  await waitConverged(cluster, cluster.names, STEP_MS);
  return cluster;
}

/**
 * Waits until every running node of `cluster` (hearsay nodes that are running, Go peers that
 * are running and passed in `cluster.go`) lists exactly `expected` as alive (Go: state 0 in
 * Members(); hearsay: state 'alive'), and nothing else as alive.
 */
export async function waitConverged(cluster: MixedCluster, expected: readonly string[], timeoutMs: number): Promise<void> {
  const want = [...expected].sort().join(' ');
  const views = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const h of cluster.hearsay) {
      if (h.node.status !== 'running') continue;
      const alive = h.node.members().filter((m) => m.state === 'alive').map((m) => m.name);
      out.push(`${h.name}: ${alive.sort().join(' ')}`);
    }
    for (const g of cluster.go) {
      if (!g.running) continue;
      const alive = (await g.members()).filter((m) => m.state === GoState.alive).map((m) => m.name);
      out.push(`${g.name}: ${alive.sort().join(' ')}`);
    }
    return out;
  };
  await waitUntil(
    async () => (await views()).every((v) => v.slice(v.indexOf(': ') + 2) === want),
    timeoutMs,
    async () => `cluster did not converge on [${want}]; views:\n  ${(await views()).join('\n  ')}`,
    { pollMs: 100 },
  );
}

/** Random AES key. */
export function randomKey(bytes: 16 | 24 | 32 = 32): Uint8Array {
  const k = new Uint8Array(bytes);
  crypto.getRandomValues(k);
  return k;
}

/** Running hearsay nodes of the cluster, minus `except`. */
export function runningHearsay(c: MixedCluster, ...except: (HearsayHandle | undefined)[]): HearsayHandle[] {
  return c.hearsay.filter((h) => h.node.status === 'running' && !except.includes(h));
}
/** Running Go peers of the cluster, minus `except`. */
export function runningGo(c: MixedCluster, ...except: (GoPeer | undefined)[]): GoPeer[] {
  return c.go.filter((g) => g.running && !except.includes(g));
}
