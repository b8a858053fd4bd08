/**
 * Seeded randomness and byte helpers shared by the hostile-traffic tests and the fuzzer.
 * @module
 */
export { mulberry32 } from '../../src/testing/prng.js';

/** A PRNG returning floats in [0, 1), e.g. {@link mulberry32}. */
export type Rng = () => number;

/** A uniform integer in [0, n). */
export const randInt = (rng: Rng, n: number): number => Math.floor(rng() * n);

/** `n` uniformly random bytes. */
export function randomBytes(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = randInt(rng, 256);
  return out;
}

/** One element of `items`, uniformly. */
export function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[randInt(rng, items.length)]!;
}

/** The parts, back to back, as one new array (the repository's one `concat`). */
export { concat } from '../../src/testing/bytes.js';

/** UTF-8 bytes of `s`. */
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Fisher–Yates shuffle in place, driven by `rng`. */
export function shuffle<T>(rng: Rng, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * The run's seed: `HEARSAY_SEED` when set, else a fresh random one. Print it with every failure
 * so the same inputs can be replayed.
 */
export function seedFromEnv(): number {
  const env = process.env.HEARSAY_SEED;
  if (env !== undefined && env !== '') return Number(env);
  return Math.floor(Math.random() * 2 ** 31);
}
