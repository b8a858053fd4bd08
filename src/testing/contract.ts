/**
 * `hearsay/testing/contract`: the vitest suite every `Transport` implementation must pass, and
 * the deadline-based wait helpers it uses. Imports `vitest` (a peer dependency of this subpath).
 * @module
 */
export { transportContract, waitFor, withDeadline, readAll, type TransportPair } from './transport-contract.js';
