/**
 * The transport contract for {@link CountingTransport}: the same vitest suite hearsay's own UDP
 * and memory transports pass. In your project, put this in a test file and run it with vitest:
 * `import { transportContract } from 'hearsay/testing/contract'` needs vitest installed.
 */
import { transportContract } from 'hearsay/testing/contract';
import { CountingTransport } from './counting-transport.js';

transportContract('CountingTransport over UDP on 127.0.0.1', async () => ({
  a: CountingTransport.udp('127.0.0.1:0'),
  b: CountingTransport.udp('127.0.0.1:0'),
  cleanup: async () => {},
}));
