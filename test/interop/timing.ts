/**
 * Protocol timings of the interop tests, applied alike to Go peers and hearsay nodes, and the
 * per-step deadline every wait uses.
 * @module
 */

/**
 * Fast protocol timings for loopback tests, applied identically to Go peers and hearsay nodes so
 * both sides agree on failure-detection time. Starting point is memberlist's DefaultLocalConfig.
 *
 * suspicionMult 2 makes Lifeguard's k = mult − 2 = 0, so a suspicion always runs for exactly
 * min = 2 × max(1, log10 n) × probeInterval = 800 ms for n ≤ 10: a crash is declared within
 * a couple of seconds, and a wrongly suspected node still has 800 ms to refute.
 */
export const FAST = Object.freeze({
  probeIntervalMs: 400,
  probeTimeoutMs: 200,
  gossipIntervalMs: 50,
  suspicionMult: 2,
  pushPullIntervalMs: 3000,
  tcpTimeoutMs: 2000,
});

/** Generous per-step deadline: timings above converge in well under this on an idle machine. */
export const STEP_MS = 15_000;
