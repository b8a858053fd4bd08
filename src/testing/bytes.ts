/**
 * Byte helpers for hearsay's own tests, benches and the transport contract. Not exported from
 * `hearsay/testing`: hosts have `Buffer.concat`; this exists so the repository writes it once.
 * @module
 */

/**
 * The parts one after another in a new array. A plain number array stands for its bytes, so a
 * test can write a hand-made header inline: `concat([0x01, 0xff], payload)`.
 */
export function concat(...parts: readonly (Uint8Array | readonly number[])[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
