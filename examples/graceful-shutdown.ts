/**
 * Graceful shutdown: on SIGTERM (what `docker stop` and Kubernetes send) or Ctrl-C, leave the
 * cluster — peers then record a *leave*, not a failure, and stop routing to us at once — and
 * shut down, bounded so a stuck network cannot hold the process past its grace period.
 *
 *   npx tsx examples/graceful-shutdown.ts --join 127.0.0.1:7946 [--name worker-1] [--bind 127.0.0.1:0]
 *
 * Without --join it starts a cluster of one. It prints `ready <address>` once joined.
 */
import { parseArgs } from 'node:util';
import { Hearsay } from 'hearsay';

const { values } = parseArgs({ options: { join: { type: 'string' }, name: { type: 'string', default: 'worker-1' }, bind: { type: 'string', default: '127.0.0.1:0' } } });
const node = await Hearsay.start({ name: values.name, bind: values.bind });

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: leaving`);
  // leave() resolves once the leave has gone out, or after timeoutMs; keep it well inside the
  // orchestrator's grace period (Kubernetes: 30 s by default).
  await node.leave({ timeoutMs: 5000 });
  await node.shutdown();
  console.log('left and shut down');
  process.exit(0);
}
// Installed before joining: a SIGTERM that arrives mid-join must still leave, not kill us silently.
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

if (values.join) await node.join(values.join.split(','));
console.log(`ready ${node.localMember.address}`);

// A fatal transport failure ends the node; exit non-zero so a supervisor restarts us.
const error = await node.closed;
if (error) {
  console.error(`transport failed: ${error.message}`);
  process.exit(1);
}
