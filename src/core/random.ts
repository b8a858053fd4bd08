/**
 * Injected randomness for the core: probe order, k-random picks, insertion offsets, staggers.
 *
 * The core never calls `Math.random`; a driver passes a {@link Random} (seeded from the host's
 * entropy, or from `randomSeed`), and the simulator passes a seeded one so one seed gives one trace.
 * @module
 */

/** A source of uniform random numbers. Implementations must be deterministic for a given seed. */
export interface Random {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform integer in [0, n) for n ≥ 1; 0 when n ≤ 1. */
  int(n: number): number;
}

/**
 * A small, fast seeded PRNG (sfc32, seeded through splitmix32). Not cryptographic: it only has to
 * spread probe targets and timer staggers, as Go's `math/rand` does in memberlist.
 * @param seed any finite number; the same seed always yields the same sequence.
 */
export function seededRandom(seed: number): Random {
  // splitmix32 expands one 32-bit seed into the four words sfc32 needs, so nearby seeds
  // (0, 1, 2… as tests use) still give unrelated streams.
  let s = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  const next32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) next32();
  const next = (): number => next32() / 4294967296;
  return {
    next,
    int(n: number): number {
      if (!(n > 1)) return 0;
      return Math.floor(next() * n);
    },
  };
}
