/**
 * A 3-node hearsay cluster on loopback that prints every membership event, then walks through
 * a metadata change, a graceful leave and an abrupt crash, and exits by itself.
 *
 *   npm run demo
 */
import { Hearsay, type MemberSnapshot } from '../src/index.js';

const show = (m: MemberSnapshot): string => `${m.name} (${m.address}, inc ${m.incarnation}${m.tags ? `, ${JSON.stringify(m.tags)}` : ''})`;
const started = Date.now();
const log = (who: string, what: string): void => console.log(`${String(Date.now() - started).padStart(6)} ms  [${who}] ${what}`);

async function startNode(name: string, zone: string): Promise<Hearsay> {
  // 'local' preset: memberlist's DefaultLocalConfig (1 s probes, 200 ms timeout) so the demo is quick.
  const node = await Hearsay.start({ name, bind: '127.0.0.1:0', preset: 'local', metadata: { role: 'demo', zone } });
  node.on('join', ({ member }) => log(name, `join    ${show(member)}`));
  node.on('update', ({ member }) => log(name, `update  ${show(member)}`));
  node.on('suspect', ({ member }) => log(name, `suspect ${member.name}`));
  node.on('alive', ({ member }) => log(name, `alive   ${member.name}`));
  node.on('fail', ({ member }) => log(name, `fail    ${member.name}`));
  node.on('leave', ({ member }) => log(name, `leave   ${member.name}`));
  return node;
}

/** Resolves when `count` events named `event` have been seen across `nodes`, or rejects after `ms`. */
function waitForEvents(nodes: Hearsay[], event: 'join' | 'update' | 'fail' | 'leave', count: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${count} '${event}' events`)), ms);
    const onEvent = (): void => {
      if (++seen >= count) {
        clearTimeout(timer);
        for (const n of nodes) n.off(event, onEvent);
        resolve();
      }
    };
    for (const n of nodes) n.on(event, onEvent);
  });
}

const a = await startNode('alpha', 'a');
const b = await startNode('bravo', 'b');
const c = await startNode('charlie', 'c');
log('demo', `started alpha ${a.localMember.address}, bravo ${b.localMember.address}, charlie ${c.localMember.address}`);

try {
  const joined = waitForEvents([a, b, c], 'join', 6, 10_000);
  await b.join(a.localMember.address);
  await c.join(a.localMember.address);
  await joined;
  log('demo', `converged: alpha sees ${a.members().map((m) => m.name).join(', ')}`);

  const updated = waitForEvents([a, c], 'update', 2, 10_000);
  await b.setMetadata({ role: 'demo', zone: 'b', load: 'high' });
  await updated;

  const left = waitForEvents([a, b], 'leave', 2, 10_000);
  await c.leave();
  await c.shutdown();
  await left;

  log('demo', 'crashing bravo (shutdown without leave) — alpha will suspect, then declare it failed');
  const failed = waitForEvents([a], 'fail', 1, 30_000);
  await b.shutdown();
  await failed;
  log('demo', 'done');
} finally {
  await Promise.all([a.shutdown(), b.shutdown(), c.shutdown()]);
}
