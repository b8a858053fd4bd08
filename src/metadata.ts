/**
 * Metadata encoding: serf-style tags or raw bytes, capped at 512 bytes.
 * @module
 */
import { MAX_METADATA_BYTES, type Metadata } from './options.js';
import { InvalidOptionsError, MetadataTooLargeError } from './errors.js';
import { encodeTags } from './wire/tags.js';

export { SERF_TAGS_MARKER } from './wire/tags.js';

/**
 * Encodes metadata for the wire. A string map becomes serf tags (`0xFF` + msgpack map, keys
 * sorted so the same tags always give the same bytes), so `serf members` can show them; a
 * `Uint8Array` passes through. `undefined` encodes as empty tags (`FF 80`), which serf reads
 * as "no tags" (reference §9).
 * @throws {MetadataTooLargeError} when the encoding exceeds 512 bytes.
 * @throws {InvalidOptionsError} when a tag value is not a string.
 */
export function encodeMetadata(metadata: Metadata | undefined): Uint8Array {
  let bytes: Uint8Array;
  if (metadata instanceof Uint8Array) {
    bytes = metadata;
  } else {
    const tags = metadata ?? {};
    if (typeof tags !== 'object' || tags === null) throw new InvalidOptionsError('metadata', 'must be a string map or a Uint8Array');
    for (const [k, v] of Object.entries(tags)) {
      if (typeof v !== 'string') throw new InvalidOptionsError(`metadata.${k}`, 'tag values must be strings');
    }
    bytes = encodeTags(tags);
  }
  if (bytes.length > MAX_METADATA_BYTES) throw new MetadataTooLargeError(bytes.length, MAX_METADATA_BYTES);
  return bytes;
}
