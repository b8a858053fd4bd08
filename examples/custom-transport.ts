/**
 * Plugging a custom transport into a node: two nodes run over {@link CountingTransport} and
 * report how much traffic five seconds of membership took.
 *
 *   npx tsx examples/custom-transport.ts
 */
import { Hearsay } from 'hearsay';
import { CountingTransport } from './counting-transport.js';

const ta = CountingTransport.udp('127.0.0.1:0');
const tb = CountingTransport.udp('127.0.0.1:0');
// `bind` is ignored when `transport` is given: the transport decides where it listens.
const a = await Hearsay.start({ name: 'a', transport: ta, preset: 'local' });
const b = await Hearsay.start({ name: 'b', transport: tb, preset: 'local' });
try {
  await b.join(a.localMember.address);
  const probed = new Promise<void>((resolve) => {
    const check = setInterval(() => {
      // Wait for a few probe rounds in both directions rather than a fixed time.
      if (ta.count.datagramsReceived >= 4 && tb.count.datagramsReceived >= 4) {
        clearInterval(check);
        resolve();
      }
    }, 50);
  });
  await probed;
  console.log(`a: ${JSON.stringify(ta.count)}`);
  console.log(`b: ${JSON.stringify(tb.count)}`);
} finally {
  await Promise.all([a.shutdown(), b.shutdown()]);
}
