/**
 * The seeded PRNG of tests, as a bare function: the repository has one generator,
 * {@link seededRandom} in `core/random.ts`, and this is it without the `Random` wrapper.
 * @module
 */
import { seededRandom } from '../core/random.js';

/**
 * A seeded source of floats in [0, 1): {@link seededRandom}`(seed).next`, so a seed draws exactly
 * what the core and the simulator would draw from it.
 *
 * The name is historical: this was once a separate mulberry32 generator; the name stays so
 * existing callers keep working, but the sequence is seededRandom's (sfc32).
 */
export function mulberry32(seed: number): () => number {
  const random = seededRandom(seed);
  return () => random.next();
}
