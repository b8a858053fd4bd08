/**
 * What one round measures, and the small arithmetic the round and the report share.
 * @module
 */
import type { Impl } from './config.js';

/** One SIGKILLed node, as the survivors reported it. */
export interface Kill {
  victim: string;
  /** First suspicion of the victim anywhere, ms after the SIGKILL (undefined: nobody suspected first, all went straight to dead). */
  suspectMs: number | undefined;
  firstDeadMs: number;
  allDeadMs: number;
  /** Survivors that reported it left (3) rather than dead (2): should be 0. */
  sawLeft: number;
}

/** One graceful leave, as the others reported it. */
export interface Leave {
  leaver: string;
  /** Until the last other node reported it left, ms after the leave command. */
  allMs: number;
  /** Nodes that reported it dead (2) instead of left (3): should be 0. */
  sawDead: number;
}

/** Everything one round of one implementation at one N measured. */
export interface RoundResult {
  impl: Impl;
  n: number;
  ok: boolean;
  failure?: string;
  /** Stopped by the run's hard time limit: not the implementation's fault, left out of the results. */
  aborted?: boolean;
  spawnMs?: number;
  /** Per-node join convergence quantiles, ms after the join commands went out. */
  convergeP50Ms?: number;
  convergeP90Ms?: number;
  /** The last node; the cap when some node had not converged by then (see convergeCapped). */
  convergeAllMs?: number;
  /** Nodes that had not seen everyone alive by the cap. */
  convergeCapped?: number;
  /** CPU all nodes used from the first join command until convergence (or the cap), minus the steady-state rate, per node, ms. */
  joinCpuMsPerNode?: number;
  /** The same CPU as a share of one core over that time: 200 % = both vCPUs of the machine saturated. */
  joinMachinePct?: number;
  cpuPct?: number;
  cpuPctMax?: number;
  /** Mean per node: the main thread's part of cpuPct, and cpuPct split into user and system time (in the ratio of the /proc/<pid>/stat ticks). */
  cpuMainPct?: number;
  cpuUserPct?: number;
  cpuSysPct?: number;
  udpBytesPerS?: number;
  udpPacketsPerS?: number;
  tcpBytesPerS?: number;
  /** Cluster-wide TCP bytes sent / TCP dials from convergence to the end of the window: one push/pull exchange, both directions. */
  tcpBytesPerExchange?: number;
  /** Push/pull exchanges (dials) that figure is based on. */
  tcpExchanges?: number;
  /** TCP dials (push/pull exchanges) per node per minute in the window. */
  exchangesPerNodeMin?: number;
  rssMiB?: number;
  rssMiBMax?: number;
  steadySuspects?: number;
  steadyDeaths?: number;
  /**
   * `fail` reports about nodes that were neither killed nor leaving, from the start of the steady
   * window to 5 s after the last kill was declared everywhere: the false deaths of the whole round.
   */
  falseDeaths?: number;
  leaves: Leave[];
  kills: Kill[];
  durationMs: number;
  profiles: string[];
}

/** Mean; 0 for none. */
export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
/** Milliseconds as seconds with `digits` decimals; — for none. */
export const secs = (ms: number | undefined, digits = 2) => (ms === undefined ? '—' : (ms / 1000).toFixed(digits));
/** Median of the finite values; undefined for none. */
export const median = (xs: readonly (number | undefined)[]): number | undefined => {
  const v = xs.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};
