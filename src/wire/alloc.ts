/**
 * Allocation helpers for the codec's hot path.
 *
 * Why this exists: V8 allocates a `Uint8Array` of more than 64 bytes outside the JS heap, which
 * costs about a microsecond each (measured: ~60–90 ns for ≤ 64 bytes, ~1 µs above), more than all
 * the msgpack work of a message. So, as Node's own `Buffer` pool does, bigger results are carved
 * out of shared slabs with a bump pointer. A slab is never written again once a region of it has
 * been handed out, so handing out views is safe; the cost is that a retained view keeps its whole
 * slab alive (at most {@link DECODE_SLAB_BYTES} for decoded fields).
 * @module
 */

/** A bump allocator over fixed-size slabs; requests over `maxPooled` bytes get their own array. */
export class Pool {
  /** The slab being carved; replaced (never reused) when full. */
  slab: Uint8Array;
  /** Offset of the first free byte of `slab`. */
  pos = 0;

  /** `slabBytes`: size of each slab; `maxPooled`: largest request served from a slab. */
  constructor(
    readonly slabBytes: number,
    readonly maxPooled: number,
  ) {
    this.slab = new Uint8Array(slabBytes);
  }

  /** Switches to a fresh slab (the old one lives on while views of it do). */
  refill(): void {
    this.slab = new Uint8Array(this.slabBytes);
    this.pos = 0;
  }

  /** A zero-filled `n`-byte array, pooled when `n ≤ maxPooled`. */
  alloc(n: number): Uint8Array {
    if (n > this.maxPooled) return new Uint8Array(n);
    if (this.pos + n > this.slabBytes) this.refill();
    const view = new Uint8Array(this.slab.buffer, this.pos, n);
    this.pos += n;
    return view;
  }
}

/** Slab size for encoded messages and datagrams: short-lived (sent, then dropped). */
const ENCODE_SLAB_BYTES = 64 * 1024;
/** Slab size for decoded byte fields, which the core may keep (e.g. `Meta`): small, to bound what one retained field pins. */
export const DECODE_SLAB_BYTES = 4 * 1024;

/** Pool for encoder output (messages, compounds, sealed datagrams up to 16 KiB). */
export const encodePool = new Pool(ENCODE_SLAB_BYTES, 16 * 1024);
/** Pool for decoded byte fields of 65 bytes to 1 KiB. */
const decodePool = new Pool(DECODE_SLAB_BYTES, 1024);

/**
 * Copies `buf[start, start+n)` into a new array that shares nothing with `buf`: on the JS heap
 * when small (V8's limit is 64 bytes), from the decode pool up to 1 KiB, else its own buffer.
 */
export function copyBytes(buf: Uint8Array, start: number, n: number): Uint8Array {
  if (n <= 8) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = buf[start + i]!;
    return out;
  }
  if (n <= 64) return buf.slice(start, start + n);
  const out = decodePool.alloc(n);
  out.set(buf.subarray(start, start + n));
  return out;
}

const textDecoder = new TextDecoder();
/** Slots of the string cache: room for every member name of a few-thousand-node cluster, which
 * at 1,024 slots kept evicting each other (a fresh string per name then costs a decode, and a
 * member-table lookup a full string comparison instead of a pointer check). */
const CACHE_SLOTS = 16_384;
const CACHE_MAX_BYTES = 64;
const cacheKeys: (Uint8Array | null)[] = new Array<Uint8Array | null>(CACHE_SLOTS).fill(null);
const cacheValues: string[] = new Array<string>(CACHE_SLOTS).fill('');

/**
 * Decodes UTF-8 as Go strings may hold any bytes (invalid sequences become U+FFFD).
 *
 * Gossip repeats the same node names over and over, so short strings go through a small
 * two-way cache (a hash of the bytes, then a full byte comparison): a hit returns the same
 * immutable string without allocating. A miss or a collision only costs a decode.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const n = end - start;
  if (n === 0) return '';
  if (n > CACHE_MAX_BYTES) return textDecoder.decode(buf.subarray(start, end));
  // FNV-1a over 16-bit units: half the multiplies of the byte-wise hash, same spread here.
  let h = 0x811c9dc5 ^ n;
  let i = start;
  for (; i + 1 < end; i += 2) h = Math.imul(h ^ (buf[i]! | (buf[i + 1]! << 8)), 0x01000193);
  if (i < end) h = Math.imul(h ^ buf[i]!, 0x01000193);
  // murmur3 finaliser: FNV's low bits alone collide too often for a direct index.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  // Two-way set: the pair (slot, slot ^ 1), newest first.
  const slot = h & (CACHE_SLOTS - 1);
  if (cacheHit(slot, buf, start, n)) return cacheValues[slot]!;
  if (cacheHit(slot ^ 1, buf, start, n)) return cacheValues[slot ^ 1]!;
  let s = '';
  let ascii = n <= 16;
  for (let j = start; ascii && j < end; j++) {
    const c = buf[j]!;
    if (c > 0x7f) ascii = false;
    else s += String.fromCharCode(c);
  }
  if (!ascii) s = textDecoder.decode(buf.subarray(start, end));
  cacheKeys[slot ^ 1] = cacheKeys[slot] ?? null;
  cacheValues[slot ^ 1] = cacheValues[slot]!;
  cacheKeys[slot] = buf.slice(start, end);
  cacheValues[slot] = s;
  return s;
}

function cacheHit(slot: number, buf: Uint8Array, start: number, n: number): boolean {
  const key = cacheKeys[slot];
  if (key === null || key === undefined || key.length !== n) return false;
  let j = 0;
  while (j < n && key[j] === buf[start + j]) j++;
  return j === n;
}
