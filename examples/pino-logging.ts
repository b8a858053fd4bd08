/**
 * Logging with pino: hearsay's `Logger` takes `(fields, msg)`, pino's argument order, so a pino
 * logger (or a child with the node name bound) passes as is. hearsay logs at debug for protocol
 * detail and warns only about things to act on: here, a seed that cannot be reached.
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
  // One live seed and one that refuses: join succeeds, and b warns about the dead seed.
  const result = await b.join([a.localMember.address, '127.0.0.1:1']);
  logger.info({ contacted: result.contacted, failed: result.failures.length }, 'joined');
} finally {
  await Promise.all([a.shutdown(), b.shutdown()]);
}
