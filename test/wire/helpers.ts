/** Shared helpers for the wire tests. */
import type { WireLimits } from '../../src/options.js';
import { DEFAULT_WIRE_LIMITS } from '../../src/options.js';

/**
 * Bytes from the reference's notation: hex digits (spaces ignored) and "quoted ASCII",
 * e.g. `a4"Node" a1 42` → a4 4e 6f 64 65 a1 42.
 */
export function b(spec: string): Uint8Array {
  const out: number[] = [];
  for (const m of spec.matchAll(/"([^"]*)"|([0-9a-fA-F]+)|(\S)/g)) {
    if (m[1] !== undefined) for (const ch of m[1]) out.push(ch.charCodeAt(0));
    else if (m[2] !== undefined) {
      if (m[2].length % 2 !== 0) throw new Error(`odd hex run ${m[2]}`);
      for (let i = 0; i < m[2].length; i += 2) out.push(parseInt(m[2].slice(i, i + 2), 16));
    } else if (m[3] !== '|') throw new Error(`bad token ${m[3]}`);
  }
  return Uint8Array.from(out);
}

export const hex = (x: Uint8Array): string => Buffer.from(x).toString('hex');
export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const LOCALHOST = Uint8Array.of(127, 0, 0, 1);
export const VSN = Uint8Array.of(1, 5, 2, 0, 0, 0);
export const LIMITS: WireLimits = DEFAULT_WIRE_LIMITS;
