/**
 * `hearsay/testing`: tools for testing hearsay and the code around it. Never exported from the
 * main entry point.
 *
 * `transportContract` and the wait helpers import `vitest`, a peer dependency of this subpath.
 * @module
 */
export {
  MemoryNetwork,
  MemoryTransport,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type Scheduler,
} from './memory-network.js';
export { transportContract, waitFor, withDeadline, readAll, type TransportPair } from './transport-contract.js';
