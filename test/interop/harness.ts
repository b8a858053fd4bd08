/**
 * Interop test harness: real Go memberlist peers (test/interop/peer, built against Debian's
 * memberlist v0.2.2) and hearsay nodes on 127.0.0.1, with event logs and deadline-based waits.
 * The one import of the interop tests; each concern lives in its own module:
 *
 * - `timing.ts`: {@link FAST} protocol timings for both implementations, the {@link STEP_MS} deadline;
 * - `go-build.ts`: the availability policy ({@link requireInterop}) and the Go peer build;
 * - `processes.ts`: child process and node bookkeeping, {@link cleanupAll}, {@link run};
 * - `go-peer.ts`: {@link GoPeer}, one memberlist node in a child process;
 * - `hearsay-node.ts`: {@link startHearsay}, recorded events and metrics, event waits;
 * - `mixed-cluster.ts`: {@link startMixedCluster} and {@link waitConverged};
 * - `scenarios.ts`: the assertions shared by the plain, encrypted, compressed and baseline runs.
 *
 * Rules every helper follows:
 * - never sleep-then-assert: wait for a predicate with a deadline ({@link waitUntil}), and on
 *   timeout fail with the relevant event log so the failure says what *did* happen;
 * - every child process and every hearsay node is tracked and torn down by {@link cleanupAll}
 *   (call it from `afterAll`), with a `process.on('exit')` SIGKILL safety net; Go peers also exit
 *   when their stdin closes, so a runner that dies cannot leave them behind;
 * - loopback only.
 * @module
 */
export { FAST, STEP_MS } from './timing.js';
export { GO_PEER_BIN, ensureGoPeerBuilt, inCI, requireInterop, serfAvailable } from './go-build.js';
export { cleanupAll, killAndWait, onCleanup, run, trackChild } from './processes.js';
export { GoPeer, GoState, hex, startGoPeer, type GoNode, type GoPeerOptions, type PeerEvent } from './go-peer.js';
export {
  RecordingMetrics,
  describeEvent,
  describeMembers,
  hearsayTail,
  memberEvents,
  startHearsay,
  waitForEvent,
  waitForMemberEvent,
  type HearsayHandle,
  type Recorded,
  type StartHearsayOptions,
} from './hearsay-node.js';
export {
  initialGoMeta,
  initialHearsayTags,
  randomKey,
  runningGo,
  runningHearsay,
  startMixedCluster,
  waitConverged,
  type MixedCluster,
  type MixedClusterOptions,
} from './mixed-cluster.js';
export {
  checkFailBothWays,
  checkLeaveBothWays,
  checkMemberDetails,
  checkMetadataBothWays,
  expectNeverSeen,
  firstDeparture,
  rotateKeys,
} from './scenarios.js';
// The shared wait of tests and benches; a function as `what` describes the state at timeout.
export { waitUntil } from '../../src/testing/wait.js';
// Byte equality as Go compares `Meta` (null and empty alike): the one copy, in src/address.ts.
export { bytesEqual as sameBytes } from '../../src/address.js';
