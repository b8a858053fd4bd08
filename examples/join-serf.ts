/**
 * Joining a serf agent: hearsay speaks memberlist's wire protocol, and serf agents accept it
 * once the node advertises serf's delegate protocol range. Tags are already encoded the serf
 * way, so `serf members` shows them.
 *
 *   serf agent -node serf-1 -bind 127.0.0.1:7946 -rpc-addr 127.0.0.1:7373 -tag role=db &
 *   npx tsx examples/join-serf.ts --serf 127.0.0.1:7946
 *
 * The node joins, prints what it sees, then leaves. serf 0.9 speaks memberlist protocol 2–4
 * and knows no labels: leave `label` unset. `serf members` lists the node with its tags; after
 * the leave serf shows it as `left`: with `delegateProtocol: 'serf'`, `leave()` first gossips
 * serf's own leave intent, which serf needs to tell a leave from a failure.
 */
import { parseArgs } from 'node:util';
import { Hearsay } from 'hearsay';

const { values } = parseArgs({ options: { serf: { type: 'string' }, name: { type: 'string', default: 'hearsay-1' } } });
if (!values.serf) {
  console.error('usage: join-serf.ts --serf HOST:PORT');
  process.exit(2);
}
const node = await Hearsay.start({
  name: values.name,
  bind: '127.0.0.1:0',
  preset: 'local',
  metadata: { role: 'hearsay' },
  // serf's delegate protocol (min 2, max 5, spoken 4: serf's library default), and serf's leave intent on leave().
  delegateProtocol: 'serf',
});
try {
  await node.join(values.serf);
  for (const m of node.members()) console.log(`member ${m.name} ${m.address} ${m.state} ${JSON.stringify(m.tags ?? {})}`);
  // serf learns about us through gossip and push/pull; a short leave still reaches it afterwards.
  await node.leave({ timeoutMs: 3000 });
  console.log('left');
} finally {
  await node.shutdown();
}
