/**
 * Compound messages (`07 n len16be×n part×n`, reference §2.2), in a module with no `node:*`
 * import anywhere below it, so the pure core can use it.
 * @module
 */
import { encodePool } from './alloc.js';

/** The compound message type byte. Append only: values are protocol. */
export const TYPE_COMPOUND = 7;

/**
 * Most parts we put in one compound. The count byte allows 255 (reference §2.2), but Go's
 * `decodeCompoundMessage` computes the body offset as `numParts*2` in uint8 arithmetic, so it
 * misparses every compound of 128–255 parts (memberlist v0.2.2 util.go, unchanged later); found by
 * the Go golden tests. 127 is the most a Go peer reads correctly.
 */
const MAX_PARTS = 127;

/**
 * Packs messages into compound messages: `07 n len16be×n part×n`, split as memberlist ≥ 0.3.2
 * does (#239), but every 127 parts rather than 255 (see `MAX_PARTS`: Go misreads 128+).
 *
 * A single message is returned as is (not wrapped), no messages give `[]`. When the list is split,
 * a trailing lone part is still wrapped as a 1-part compound, as Go's `makeCompoundMessages`.
 * @throws {RangeError} if a part is 64 KiB or longer (its length would not fit the u16 field).
 */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array[] {
  if (parts.length === 0) return [];
  if (parts.length === 1) return [parts[0]!];
  const out: Uint8Array[] = [];
  for (let first = 0; first < parts.length; first += MAX_PARTS) {
    const last = Math.min(first + MAX_PARTS, parts.length);
    const n = last - first;
    let size = 2 + 2 * n;
    for (let i = first; i < last; i++) {
      const len = parts[i]!.length;
      if (len > 0xffff) throw new RangeError(`compound part ${i} is ${len} bytes; parts must be under 64 KiB`);
      size += len;
    }
    const buf = encodePool.alloc(size);
    buf[0] = TYPE_COMPOUND;
    buf[1] = n;
    let p = 2 + 2 * n;
    for (let i = first; i < last; i++) {
      const part = parts[i]!;
      const j = 2 + 2 * (i - first);
      buf[j] = part.length >>> 8;
      buf[j + 1] = part.length & 0xff;
      buf.set(part, p);
      p += part.length;
    }
    out.push(buf);
  }
  return out;
}
