/**
 * The wire layer's internal barrel: memberlist bytes in and out. Not public API (the package's
 * `src/index.ts` decides what is exported); pure apart from `node:crypto` in the keyring.
 * @module
 */
export * from './messages.js';
export * from './decode-error.js';
export { encodeMessage, decodeMessage } from './codec.js';
export { crc32 } from './crc32.js';
export { lzwCompress, lzwDecompress } from './lzw.js';
export { Keyring, encryptPayload, decryptPayload, encryptionOverhead } from './keyring.js';
export { encodeCompound } from './compound.js';
export { decodePayload } from './payload.js';
export { sealPacket, openPacket, type PacketSecurity, type SealOptions } from './packet.js';
export {
  encodeStreamMessage,
  StreamDecoder,
  type StreamDecoderOptions,
  type StreamEncodeOptions,
  type StreamStep,
} from './stream.js';
