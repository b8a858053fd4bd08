/**
 * Quick start: two nodes on 127.0.0.1 find each other, print the member table, change a tag,
 * and leave. Exits by itself.
 *
 *   npx tsx examples/basic.ts
 *
 * In your project: `npm i hearsay`, then the same code (one node per process, in practice).
 */
import { Hearsay } from 'hearsay';

// Port 0: the OS picks a free port; peers learn the real one from `localMember.address`.
const a = await Hearsay.start({ name: 'alpha', bind: '127.0.0.1:0', metadata: { role: 'web' } });
const b = await Hearsay.start({ name: 'bravo', bind: '127.0.0.1:0', metadata: { role: 'worker' } });

try {
  const seen = new Promise<void>((resolve) => a.once('join', () => resolve()));
  const updated = new Promise<void>((resolve) => a.on('update', ({ member }) => member.name === 'bravo' && resolve()));
  a.on('join', ({ member }) => console.log(`alpha: ${member.name} joined from ${member.address} with tags ${JSON.stringify(member.tags)}`));
  a.on('update', ({ member, previous }) => console.log(`alpha: ${member.name} changed tags ${JSON.stringify(previous.tags)} -> ${JSON.stringify(member.tags)}`));
  a.on('leave', ({ member }) => console.log(`alpha: ${member.name} left`));

  // join() runs a full state exchange with the seed: bravo knows alpha once it resolves.
  const { contacted } = await b.join(a.localMember.address);
  console.log(`bravo: joined through ${contacted} seed`);
  await seen;

  for (const m of a.members()) console.log(`member ${m.name} ${m.address} ${m.state} ${JSON.stringify(m.tags)}`);

  await b.setMetadata({ role: 'worker', load: 'high' });
  await updated;

  const left = new Promise<void>((resolve) => a.once('leave', () => resolve()));
  await b.leave();
  await left;
} finally {
  await b.shutdown();
  await a.shutdown();
}
