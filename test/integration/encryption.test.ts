/**
 * Encryption without downtime on a live 4-node cluster over real sockets: memberlist's rollout
 * (`GossipVerifyIncoming` / `GossipVerifyOutgoing` as `allowUnencrypted` / `encryptOutgoing`), one
 * node restarted at a time for each of its three steps, then a cluster-wide primary key rotation
 * at run time. No member may ever be suspected or declared failed.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, type HearsayOptions } from '../../src/index.js';
import { resolveOptions } from '../../src/options.js';
import { packetOverhead } from '../../src/runtime/core-config.js';
import { aliveNames, count, startNode, waitUntil, type TestNode } from './helpers.js';

const live = new Map<string, TestNode>();
/** Every instance ever started, so events of restarted nodes still count. */
const instances: TestNode[] = [];
const extras: TestNode[] = [];
afterEach(async () => {
  await Promise.all([...live.values(), ...extras].map((t) => t.node.shutdown()));
  live.clear();
  instances.length = 0;
  extras.length = 0;
});

const NAMES = ['enc-0', 'enc-1', 'enc-2', 'enc-3'];

async function start(name: string, options: Partial<HearsayOptions>): Promise<TestNode> {
  const t = await startNode(name, options);
  live.set(name, t);
  instances.push(t);
  return t;
}

async function converged(what: string): Promise<void> {
  const nodes = [...live.values()];
  await waitUntil(() => nodes.every((t) => aliveNames(t).join() === NAMES.join()), 15_000, what, () =>
    nodes.map((t) => ({ node: t.node.options.name, members: t.node.members({ state: 'all' }).map((m) => `${m.name}@${m.address}:${m.state}`) })),
  );
}

/** Traffic flows under the current settings: a metadata change reaches every other node. */
async function gossipFlows(origin: string, value: string): Promise<void> {
  await live.get(origin)!.node.setMetadata({ step: value });
  const others = [...live.values()].filter((t) => t.node.options.name !== origin);
  await waitUntil(() => others.every((t) => t.node.members().find((m) => m.name === origin)?.tags?.step === value), 10_000, `${origin}'s metadata "${value}" everywhere`);
}

const text = (e: { payload: unknown }): string => new TextDecoder().decode((e.payload as { payload: Uint8Array }).payload);

/** Datagrams flow both ways between `name` and every other node (gossip alone could be repaired by push/pull streams). */
async function datagramsFlow(name: string, tag: string): Promise<void> {
  const self = live.get(name)!;
  const peers = [...live.values()].filter((t) => t !== self);
  for (const p of peers) {
    await self.node.send(p.node.options.name, new TextEncoder().encode(`${name}>${tag}`));
    await p.node.send(name, new TextEncoder().encode(`${p.node.options.name}>${tag}`));
  }
  const got = (t: TestNode, body: string): boolean => t.events.some((e) => e.event === 'message' && text(e) === body);
  await waitUntil(() => peers.every((p) => got(p, `${name}>${tag}`) && got(self, `${p.node.options.name}>${tag}`)), 5000, `datagrams between ${name} and its peers (${tag})`);
}

/** One rolling-restart step for `name`: leave gracefully, wait for every peer to record it, come back with `options`. */
async function restart(name: string, options: Partial<HearsayOptions>): Promise<void> {
  const old = live.get(name)!;
  const peers = [...live.values()].filter((t) => t !== old);
  const before = peers.map((t) => count(t, 'leave', name));
  await old.node.leave();
  await waitUntil(() => peers.every((t, i) => count(t, 'leave', name) > before[i]!), 10_000, `every peer to see ${name} leave`);
  await old.node.shutdown();
  const fresh = await start(name, options);
  await fresh.node.join([peers[0]!.node.localMember.address]);
  await converged(`${name} back with ${JSON.stringify(Object.keys(options))}`);
  await datagramsFlow(name, JSON.stringify(options.encryptOutgoing ?? null) + String(instances.length));
}

describe('rolling encryption out on a live cluster', () => {
  it('moves from plaintext to encrypted and rotates the primary key with no suspect or fail', { timeout: 120_000 }, async () => {
    const first = new Uint8Array(randomBytes(32));
    const second = new Uint8Array(randomBytes(32));
    for (const name of NAMES) await start(name, {});
    for (const t of [...live.values()].slice(1)) await t.node.join([live.get(NAMES[0]!)!.node.localMember.address]);
    await converged('the plaintext cluster');

    const steps: [string, Partial<HearsayOptions>][] = [
      ['keys on, both relaxed', { secretKeys: [first], encryptOutgoing: false, allowUnencrypted: true }],
      ['outgoing encrypted', { secretKeys: [first], allowUnencrypted: true }],
      ['incoming strict', { secretKeys: [first] }],
    ];
    for (const [step, options] of steps) {
      for (const name of NAMES) await restart(name, options);
      await gossipFlows(NAMES[1]!, step);
    }
    // Strict now: a plaintext node is refused.
    const outsider = await startNode('enc-plain-outsider');
    extras.push(outsider);
    await expect(outsider.node.join([live.get(NAMES[0]!)!.node.localMember.address])).rejects.toMatchObject({ code: ErrorCode.join });

    // Rotation, cluster-wide at run time: install everywhere, then use everywhere, then remove everywhere.
    for (const t of live.values()) t.node.keyring!.addKey(second);
    await gossipFlows(NAMES[2]!, 'installed');
    for (const t of live.values()) t.node.keyring!.useKey(second);
    await gossipFlows(NAMES[3]!, 'used');
    for (const t of live.values()) t.node.keyring!.removeKey(first);
    await gossipFlows(NAMES[0]!, 'removed');
    const stale = await startNode('enc-old-key-outsider', { secretKeys: [first] });
    extras.push(stale);
    await expect(stale.node.join([live.get(NAMES[0]!)!.node.localMember.address])).rejects.toMatchObject({ code: ErrorCode.join });
    await converged('the encrypted cluster after rotation');

    const alarms = instances.flatMap((t) => t.events.filter((e) => e.event === 'suspect' || e.event === 'fail').map((e) => `${t.node.options.name}: ${e.event} ${e.name}`));
    expect(alarms).toEqual([]);
  });
});

describe('encryptOutgoing: false', () => {
  it('sends plaintext packets and streams while still decrypting what arrives', async () => {
    const key = new Uint8Array(randomBytes(16));
    const plain = await start('out-plain', {});
    const relaxed = await start('out-relaxed', { secretKeys: [key], encryptOutgoing: false, allowUnencrypted: true });
    const encrypting = await start('out-encrypting', { secretKeys: [key], allowUnencrypted: true });
    await relaxed.node.join([plain.node.localMember.address]); // a plaintext stream, or the plain node refuses it
    await encrypting.node.join([relaxed.node.localMember.address]); // encrypted: the relaxed node decrypts it
    const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
    await relaxed.node.send('out-plain', bytes('datagram'));
    await relaxed.node.sendReliable('out-plain', bytes('stream'));
    await encrypting.node.send('out-relaxed', bytes('encrypted datagram'));
    const got = (t: TestNode, body: string): boolean => t.events.some((e) => e.event === 'message' && text(e) === body);
    await waitUntil(() => got(plain, 'datagram') && got(plain, 'stream') && got(relaxed, 'encrypted datagram'), 5000, 'all three messages');
  });
});

describe('packet budget overhead', () => {
  it('reserves room for the encryption envelope only when this node encrypts what it sends', () => {
    const keys = [new Uint8Array(16)];
    expect(packetOverhead(resolveOptions({ name: 'a' }))).toBe(0);
    expect(packetOverhead(resolveOptions({ name: 'a', secretKeys: keys }))).toBe(29);
    expect(packetOverhead(resolveOptions({ name: 'a', secretKeys: keys, encryptOutgoing: false, allowUnencrypted: true }))).toBe(0);
    expect(packetOverhead(resolveOptions({ name: 'a', secretKeys: keys, label: 'ab' }))).toBe(4 + 29);
  });
});
