/**
 * A replicated feature-flag store over five nodes on real sockets: each node writes its own keys
 * (`node.state`), every node reads everyone's, and a cluster-wide event asks all of them to reload.
 *
 * `config-1` owns the flags; every node announces its own build; all five watch `flags/` and see
 * each change once, in the owner's order, and a delete as `undefined`.
 *
 *   npx tsx examples/kv-gossip.ts
 */
import { Hearsay } from 'hearsay';

const names = ['config-1', 'web-1', 'web-2', 'worker-1', 'worker-2'];
const nodes: Hearsay[] = [];
for (const name of names) nodes.push(await Hearsay.start({ name, bind: '127.0.0.1:0', preset: 'local' }));
const [config, ...others] = nodes as [Hearsay, ...Hearsay[]];

/** Resolves once `test()` holds, checked on every state change; rejects after `ms`. */
function until(node: Hearsay, test: () => boolean, what: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (test()) return resolve();
    const timer = setTimeout(() => reject(new Error(`${node.localMember.name}: timed out waiting for ${what}`)), ms);
    const check = (): void => {
      if (!test()) return;
      clearTimeout(timer);
      node.off('state', check);
      resolve();
    };
    node.on('state', check);
  });
}

try {
  for (const n of others) await n.join(config.localMember.address);
  for (const n of nodes) n.state.set('build', `${n.localMember.name}@1.0.${names.indexOf(n.localMember.name)}`);

  // Every node watches the flags; the reader loops end when the signal aborts.
  const stop = new AbortController();
  const seen = new Map<string, string[]>(names.map((name) => [name, []]));
  const readers = nodes.map(async (n) => {
    try {
      for await (const c of n.state.watch('flags/', { signal: stop.signal })) seen.get(n.localMember.name)!.push(`${c.key}=${c.value ?? '(deleted)'}`);
    } catch (error) {
      if ((error as { code?: string }).code !== 'HEARSAY_ABORT') throw error;
    }
  });

  config.state.set('flags/checkout-v2', 'on');
  config.state.set('flags/dark-mode', 'off');
  config.state.set('flags/dark-mode', 'on');
  config.state.delete('flags/checkout-v2');
  const expected = ['flags/checkout-v2=on', 'flags/dark-mode=off', 'flags/dark-mode=on', 'flags/checkout-v2=(deleted)'];

  await Promise.all(nodes.map((n) => until(n, () => n.state.get('flags/dark-mode', 'config-1') === 'on' && n.state.get('flags/checkout-v2', 'config-1') === undefined && n.state.members('build').length === 5, 'the flags and every build')));
  const worker = nodes[4]!;
  console.log(`worker-2 sees flags ${JSON.stringify(Object.fromEntries(worker.state.entries('config-1').filter(([k]) => k.startsWith('flags/'))))}`);
  console.log(`worker-2 sees builds ${names.map((name) => worker.state.get('build', name)).join(', ')}`);

  // A cluster-wide event: every node, the publisher first, gets it once.
  const reloads = nodes.map((n) => new Promise<string>((resolve) => n.once('event', (e) => resolve(`${n.localMember.name} got ${e.name} from ${e.from}`))));
  config.publish('reload', new TextEncoder().encode('flags'));
  const got = await Promise.race([Promise.all(reloads), new Promise<never>((_, reject) => setTimeout(() => reject(new Error('reload event not delivered everywhere')), 30_000))]);
  console.log(`${got.length} nodes got the reload event`);

  stop.abort();
  await Promise.all(readers);
  // Each watcher saw the changes it observed in the owner's order (a remote one may miss an
  // intermediate value that was overwritten before it arrived, never reorder).
  const inOrder = (xs: string[]): boolean => {
    let i = 0;
    for (const x of xs) while (i < expected.length && expected[i++] !== x) if (i === expected.length) return false;
    return xs.every((x) => expected.includes(x));
  };
  console.log(`config-1 watched ${seen.get('config-1')!.join(', ')}`);
  console.log(`every watcher saw the flag changes in the owner's order: ${names.every((name) => inOrder(seen.get(name)!))}`);
} finally {
  await Promise.all(nodes.map((n) => n.shutdown()));
}
