/**
 * `hearsay/testing`: tools for testing hearsay and the code around it (the counterpart of
 * memberlist's exported `MockTransport`). Never exported from the main entry point, and free of
 * test-runner imports; the vitest transport contract suite lives at `hearsay/testing/contract`.
 * @module
 */
export {
  MemoryNetwork,
  MemoryTransport,
  type MemoryNetworkOptions,
  type MemoryNetworkStats,
  type Scheduler,
} from './memory-network.js';
export { Simulator, type SimulatorOptions, type SimLogEntry, type SimNodeInfo, type SimEvent } from './simulator.js';
export type { SimInputKind } from './sim-transport.js';
export { SimNetwork, type LinkFaults, type TrafficCounters } from './sim-network.js';
export { testSeeds, withSeed } from './seeds.js';
export { waitUntil, type WaitOptions, type NotYet } from './wait.js';
