/**
 * CRC-32 (IEEE 802.3, the zlib/Go `crc32.ChecksumIEEE` polynomial) for the `hasCrc` header.
 * @module
 */

/** The reflected IEEE polynomial, as Go's `crc32.IEEE`. */
const POLY = 0xedb88320;

/** 256-entry lookup table, built once at module load. */
const TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? POLY ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * CRC-32/IEEE checksum of `bytes`, table driven.
 *
 * Returns an unsigned 32-bit integer (0 … 2³²−1), equal to Go's `crc32.ChecksumIEEE`; memberlist
 * writes it big-endian after the `0C` type byte (reference §2.1 step 3).
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  const t = TABLE;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
