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

/**
 * Runs `fn(seed)`; if it throws (or the promise it returns rejects), rethrows with the seed and
 * the replay command in the message.
 */
export function withSeed<T>(seed: number, fn: (seed: number) => T): T {
  const label = (error: unknown): Error => {
    const err = error instanceof Error ? error : new Error(String(error));
    err.message = `[seed ${seed}] ${err.message}\n  replay: HEARSAY_SEED=${seed} npx vitest run <this test file>`;
    return err;
  };
  try {
    const result = fn(seed);
    if (result instanceof Promise) {
      return result.catch((error: unknown) => {
        throw label(error);
      }) as T;
    }
    return result;
  } catch (error) {
    throw label(error);
  }
}
