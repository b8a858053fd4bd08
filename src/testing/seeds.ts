/**
 * Seed handling for deterministic tests: a fixed list by default, one seed from
 * `HEARSAY_SEED=…` to replay a failure, and failures that print the seed that made them.
 * @module
 */

/** The seeds to run: `[HEARSAY_SEED]` when set, else `defaults`. */
export function testSeeds(defaults: readonly number[]): readonly number[] {
  const env = typeof process !== 'undefined' ? process.env.HEARSAY_SEED : undefined;
  if (env !== undefined && env !== '') {
    const seed = Number(env);
    if (!Number.isInteger(seed)) throw new Error(`HEARSAY_SEED must be an integer, got "${env}"`);
    return [seed];
  }
  return defaults;
}

/** Runs `fn(seed)`; if it throws, rethrows with the seed and the replay command in the message. */
export function withSeed<T>(seed: number, fn: (seed: number) => T): T {
  try {
    return fn(seed);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    err.message = `[seed ${seed}] ${err.message}\n  replay: HEARSAY_SEED=${seed} npx vitest run <this test file>`;
    throw err;
  }
}
