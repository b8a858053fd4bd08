/**
 * The seam through which `hearsay/testing`'s simulator runs real `Hearsay` nodes: a clock to
 * inject, and a handle on a started node's driver and core. Not part of the public API.
 * @module
 */
import type { Core } from '../core/core.js';
import type { InterfaceLookup } from './advertise.js';
import type { Clock } from './clock.js';
import type { StateRunner } from './state-runner.js';
import type { Driver } from './driver.js';

/** Runtime pieces a host app never sets: the simulator's virtual clock, the stall rule switch, the interface lookup. */
export interface NodeRuntime {
  /** Time and timers (default: the system clock). */
  readonly clock?: Clock;
  /** Apply the event-loop stall rule (default true; off for plain-SWIM comparison runs). */
  readonly stallDetection?: boolean;
  /** The host's network interfaces, for the advertise address (default `os.networkInterfaces`; tests inject one). */
  readonly interfaces?: InterfaceLookup;
}

/** A started node's driver and core. */
export interface NodeInternals {
  readonly driver: Driver;
  readonly core: Core;
  /** The cluster state's runner, unless the node runs with `state: false`. */
  readonly state?: StateRunner;
}

/** Filled by `Hearsay.start()`; read by the simulator (converged bootstrap, assertions). */
export const nodeInternals = new WeakMap<object, NodeInternals>();
