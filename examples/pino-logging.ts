/**
 * Logging with pino: hearsay's `Logger` takes `(fields, msg)`, pino's argument order, so a pino
 * logger (or a child with the node name bound) passes as is. hearsay logs at debug for protocol
 * detail, at info for what an operator may want to see (here: a seed that cannot be reached, which
 * `join()` also reports), and warns only about things to act on (a refuted accusation of this
 * node, local health at its ceiling).
 *
 *   npx tsx examples/pino-logging.ts
 *
 * Needs `npm i pino`. Any logger with debug/info/warn/error taking (fields, msg) works the same.
 */
import { Hearsay } from 'hearsay';
import { pino } from 'pino';

// Synchronous destination: every line is on stdout before the process exits.
const logger = pino({ level: 'info' }, pino.destination({ sync: true }));

const a = await Hearsay.start({ name: 'a', bind: '127.0.0.1:0', logger: logger.child({ node: 'a' }) });
const b = await Hearsay.start({ name: 'b', bind: '127.0.0.1:0', logger: logger.child({ node: 'b' }) });
try {
  // One live seed and one that refuses: join succeeds, and b logs the dead seed at info.
  const result = await b.join([a.localMember.address, '127.0.0.1:1']);
  logger.info({ contacted: result.contacted, failed: result.failures.length }, 'joined');
} finally {
  await Promise.all([a.shutdown(), b.shutdown()]);
}
