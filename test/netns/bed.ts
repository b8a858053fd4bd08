/**
 * The network-namespace test bed: one namespace per node plus one holding the bridge, joined by
 * veth pairs, with addresses (10.213.0.0/24) that exist only inside the namespaces. Nothing is
 * created in the host's own namespace and nothing leaves the machine: the bridge has no uplink.
 *
 * ```
 *   ns hs<id>-n1: eth0 10.213.0.11 ─┐
 *   ns hs<id>-n2: eth0 10.213.0.12 ─┼─ v1, v2, … ─ br0  (ns hs<id>-br)
 *   …                               ┘
 * ```
 * Faults are applied inside a node's namespace (nftables rules, `numgen random` for loss) or to
 * its veth end in the bridge namespace (link down). {@link destroyBed} removes it all, and is
 * also run from a process `exit` hook, so a test that fails or a runner that is killed politely
 * still leaves nothing behind; {@link leftovers} checks that.
 * @module
 */
import { spawnSync } from 'node:child_process';

/** One node's namespace in the bed. */
export interface NodeSlot {
  /** Namespace name. */
  readonly ns: string;
  /** Its address on the bed's subnet. */
  readonly ip: string;
  /** Its veth end in the bridge namespace (the "switch port"). */
  readonly port: string;
}

/** A created bed. */
export interface Bed {
  /** Prefix of every namespace of this bed (`hs<id>-`). */
  readonly prefix: string;
  readonly bridgeNs: string;
  readonly nodes: readonly NodeSlot[];
  /** The host namespace's links when the bed was created (the bed must never add one). */
  readonly hostLinks: ReadonlySet<string>;
}

/** The subnet's first three octets; node i (0-based) gets `.${11 + i}`. */
const SUBNET = '10.213.0';
const live = new Set<Bed>();
let exitHook = false;

/** Runs a command to completion; throws with its stderr if it fails. */
export function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Like {@link run}, but never throws (teardown goes on past a step that fails). */
function tryRun(cmd: string, args: readonly string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
}

/**
 * Why this machine cannot host the bed (not root, no `ip` or `nft`, namespaces not permitted),
 * or `undefined` if it can. Creates and removes a probe namespace to find out.
 */
export function bedProblem(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'network namespaces need root (run as root, or in CI)';
  for (const [cmd, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
  ] as const) {
    if (spawnSync(cmd, ['-V'], { stdio: 'ignore' }).status !== 0) return `\`${cmd}\` is missing (apt-get install ${pkg})`;
  }
  const probe = `hsprobe${process.pid}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.status !== 0) return `cannot create a network namespace: ${r.stderr.trim()}`;
  try {
    run('ip', ['-n', probe, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['netns', 'exec', probe, 'nft', 'add', 'table', 'inet', 'probe']);
  } catch (error) {
    return `namespaces work but bridges or nftables do not: ${(error as Error).message}`;
  } finally {
    tryRun('ip', ['netns', 'del', probe]);
  }
  return undefined;
}

/** Creates a bed of `count` node namespaces (at most 200) on a fresh bridge. */
export function createBed(count: number): Bed {
  const prefix = `hs${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36)}-`;
  const bed: Bed = {
    prefix,
    hostLinks: new Set(hostLinks()),
    bridgeNs: `${prefix}br`,
    nodes: Array.from({ length: count }, (_, i) => ({ ns: `${prefix}n${i + 1}`, ip: `${SUBNET}.${11 + i}`, port: `v${i + 1}` })),
  };
  live.add(bed);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const b of live) destroyBed(b);
    });
  }
  try {
    run('ip', ['netns', 'add', bed.bridgeNs]);
    run('ip', ['-n', bed.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
    run('ip', ['-n', bed.bridgeNs, 'link', 'set', 'br0', 'up']);
    for (const n of bed.nodes) {
      run('ip', ['netns', 'add', n.ns]);
      // Both ends are created inside namespaces: the pair never appears in the host's namespace.
      run('ip', ['-n', bed.bridgeNs, 'link', 'add', n.port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n.ns]);
      run('ip', ['-n', bed.bridgeNs, 'link', 'set', n.port, 'master', 'br0', 'up']);
      run('ip', ['-n', n.ns, 'addr', 'add', `${n.ip}/24`, 'dev', 'eth0']);
      run('ip', ['-n', n.ns, 'link', 'set', 'eth0', 'up']);
      run('ip', ['-n', n.ns, 'link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    destroyBed(bed);
    throw error;
  }
  return bed;
}

/**
 * Deletes every namespace of `bed` (their veths and the bridge go with them). Call it only once
 * the bed's processes have exited: a namespace outlives its name while a process is inside.
 */
export function destroyBed(bed: Bed): void {
  for (const n of bed.nodes) tryRun('ip', ['netns', 'del', n.ns]);
  tryRun('ip', ['netns', 'del', bed.bridgeNs]);
  live.delete(bed);
}

/** Names of the links in the host's (this process's) namespace. */
function hostLinks(): string[] {
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((line) => line.split(': ')[1]?.split('@')[0] ?? '')
    .filter((name) => name !== '');
}

/** What of `bed` still exists: its namespaces, and any host link that was not there before it (empty when all is gone). */
export function leftovers(bed: Bed): string[] {
  const found: string[] = [];
  for (const line of run('ip', ['netns', 'list']).split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (name.startsWith(bed.prefix)) found.push(`namespace ${name}`);
  }
  for (const name of hostLinks()) if (!bed.hostLinks.has(name)) found.push(`host link ${name}`);
  return found;
}

// ---- faults ---------------------------------------------------------------------------------

const TABLE = 'hearsay_fault';

/** Replaces node `n`'s fault rules with `rules` (nft statements for its inbound chain on eth0). */
function setInbound(n: NodeSlot, rules: readonly string[]): void {
  clearFaults(n);
  const body = rules.map((r) => `    iifname "eth0" ${r}`).join('\n');
  run('ip', ['netns', 'exec', n.ns, 'nft', '-f', '-'], `table inet ${TABLE} {\n  chain input {\n    type filter hook input priority 0; policy accept;\n${body}\n  }\n}\n`);
}

/** Drops `percent` % of everything arriving on node `n`'s link, at random (nft `numgen random`). */
export function inboundLoss(n: NodeSlot, percent: number): void {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new RangeError(`loss must be an integer percentage, got ${percent}`);
  setInbound(n, percent === 100 ? ['counter drop'] : [`numgen random mod 100 < ${percent} counter drop`]);
}

/** Node `n` no longer receives anything from `from` (so `from` cannot reach it; replies to it are lost too). */
export function dropFrom(n: NodeSlot, from: NodeSlot): void {
  setInbound(n, [`ip saddr ${from.ip} counter drop`]);
}

/** Packets node `n`'s fault rules have dropped so far (0 when it has none): proof that a fault was in effect. */
export function droppedPackets(n: NodeSlot): number {
  const r = spawnSync('ip', ['netns', 'exec', n.ns, 'nft', 'list', 'table', 'inet', TABLE], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return 0;
  return [...r.stdout.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** Removes node `n`'s fault rules (idempotent). */
export function clearFaults(n: NodeSlot): void {
  tryRun('ip', ['netns', 'exec', n.ns, 'nft', 'delete', 'table', 'inet', TABLE]);
}

/** Unplugs (`false`) or replugs (`true`) node `n`'s cable: its switch port in the bridge namespace goes down or up. */
export function setLink(bed: Bed, n: NodeSlot, up: boolean): void {
  run('ip', ['-n', bed.bridgeNs, 'link', 'set', n.port, up ? 'up' : 'down']);
}
