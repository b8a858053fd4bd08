/**
 * Encryption and key rotation. Every packet and stream is sealed with AES-GCM under the primary
 * key; all installed keys are tried when opening. Rotating without a partition takes three
 * steps, each done on every node before the next (memberlist's / serf's procedure):
 *   1. install the new key everywhere (still encrypting with the old one),
 *   2. make it the primary everywhere,
 *   3. remove the old key everywhere.
 * Afterwards a node that only knows the old key cannot join.
 *
 *   npx tsx examples/encryption.ts
 *
 * Keys are 16, 24 or 32 random bytes (AES-128/192/256); keep them in a secret store, e.g. as
 * base64 (`openssl rand -base64 32`).
 */
import { randomBytes } from 'node:crypto';
import { Hearsay } from 'hearsay';

const oldKey = new Uint8Array(randomBytes(32));
const newKey = new Uint8Array(randomBytes(32));

const names = ['a', 'b', 'c'];
const nodes: Hearsay[] = [];
for (const name of names) nodes.push(await Hearsay.start({ name, bind: '127.0.0.1:0', secretKeys: [oldKey], preset: 'local' }));
const [a, b, c] = nodes as [Hearsay, Hearsay, Hearsay];
let intruder: Hearsay | undefined;
try {
  await b.join(a.localMember.address);
  await c.join(a.localMember.address);
  console.log(`encrypted cluster of ${a.size}: ${a.members().map((m) => m.name).join(', ')}`);

  // `keyring` is the live ring the node encrypts with: changes apply at once.
  for (const n of nodes) n.keyring!.addKey(newKey);
  console.log('step 1: new key installed on every node');
  for (const n of nodes) n.keyring!.useKey(newKey);
  console.log('step 2: new key is primary on every node');
  for (const n of nodes) n.keyring!.removeKey(oldKey);
  console.log(`step 3: old key removed; each node holds ${a.keyring!.keys.length} key`);

  // Still one cluster: a change on c reaches a under the new key.
  const seen = new Promise<void>((resolve) => a.on('update', ({ member }) => member.name === 'c' && resolve()));
  await c.setMetadata({ rotated: 'yes' });
  await seen;
  console.log('after rotation: a saw c update its tags');

  intruder = await Hearsay.start({ name: 'intruder', bind: '127.0.0.1:0', secretKeys: [oldKey], preset: 'local' });
  try {
    await intruder.join(a.localMember.address);
    console.log('intruder joined (unexpected)');
    process.exitCode = 1;
  } catch (error) {
    if ((error as { code?: string }).code !== 'HEARSAY_JOIN') throw error;
    console.log('intruder with the old key refused: could not join');
  }
} finally {
  await Promise.all([...nodes, ...(intruder ? [intruder] : [])].map((n) => n.shutdown()));
}
