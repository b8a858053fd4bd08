/**
 * The UDP datagram pipeline: wrap on send (compress → CRC → encrypt → label) and peel on receive
 * (label → decrypt → CRC → compound/compress → messages), as memberlist's `rawSendMsgPacket` and
 * `ingestPacket`/`handleCommand` (reference §0, §2).
 * @module
 */
import { encodeCompressed } from './bodies.js';
import { encodePool } from './alloc.js';
import { crc32 } from './crc32.js';
import { decodeFail, decodeOk, type DecodeResult } from './decode-error.js';
import { decryptPayload, encryptPayload, type Keyring } from './keyring.js';
import { EMPTY_BYTES } from './msgpack.js';
import { Writer } from './writer.js';

export { encodeCompound } from './compound.js';
export { decodePayload } from './payload.js';

const TYPE_CRC = 12;
const TYPE_LABEL = 0xf4;

/** Packet-level security settings shared by the send and receive paths. */
export interface PacketSecurity {
  /** Encrypt outgoing packets with its primary key; try all its keys on incoming ones. Default: no encryption. */
  readonly keyring?: Keyring;
  /** Cluster label (1–255 bytes) sent as the `F4 len label` prefix and used as GCM AAD (memberlist ≥ 0.3). Empty = none. */
  readonly label?: Uint8Array;
  /** Encryption version for outgoing data: 1 (no padding, every modern peer) or 0 (PKCS#7, protocol 1). Default 1. */
  readonly encryptionVersion?: 0 | 1;
  /** With a keyring, reject data that does not decrypt (memberlist `GossipVerifyIncoming`). Default true. */
  readonly verifyIncoming?: boolean;
}

/** Options of {@link sealPacket}. */
export type SealOptions = { readonly compress: boolean; readonly crc: boolean } & PacketSecurity;

const compressWriter = new Writer(encodePool);

/**
 * Wraps an inner message (a message, a compound, or `08`+user bytes) into a datagram, applying in
 * order (reference §2.1): LZW compression `09 {Algo, Buf}` only if strictly shorter; the `0C`
 * CRC-32 header if `crc` (only for peers with PMax ≥ 5); encryption with the keyring's primary key
 * (AAD = label, or empty); the `F4 len label` header. Returns `inner` itself when nothing applies.
 * @throws {RangeError} if the label is longer than 255 bytes.
 */
export function sealPacket(inner: Uint8Array, opts: SealOptions): Uint8Array {
  let buf = inner;
  if (opts.compress) {
    const c = encodeCompressed(inner, compressWriter);
    if (c.length < buf.length) buf = c;
  }
  if (opts.crc) {
    const out = encodePool.alloc(buf.length + 5);
    const sum = crc32(buf);
    out[0] = TYPE_CRC;
    out[1] = sum >>> 24;
    out[2] = sum >>> 16;
    out[3] = sum >>> 8;
    out[4] = sum;
    out.set(buf, 5);
    buf = out;
  }
  const label = opts.label ?? EMPTY_BYTES;
  if (opts.keyring !== undefined) buf = encryptPayload(opts.encryptionVersion ?? 1, opts.keyring.primaryKey, buf, label);
  if (label.length > 0) {
    if (label.length > 255) throw new RangeError(`label must be 1–255 bytes, got ${label.length}`);
    const out = encodePool.alloc(buf.length + 2 + label.length);
    out[0] = TYPE_LABEL;
    out[1] = label.length;
    out.set(label, 2);
    out.set(buf, 2 + label.length);
    buf = out;
  }
  return buf;
}

/**
 * Peels the label header from a packet or stream preamble and checks it against ours (memberlist
 * `RemoveLabelHeaderFromPacket` + the label check). Returns the offset just after the header.
 */
export function checkLabel(data: Uint8Array, label: Uint8Array | undefined): DecodeResult<number> {
  const ours = label ?? EMPTY_BYTES;
  if (data.length === 0 || data[0] !== TYPE_LABEL) {
    if (ours.length > 0) return decodeFail('label-mismatch', 'unlabelled data, but a label is configured', 'label', 0);
    return decodeOk(0);
  }
  if (data.length < 2) return decodeFail('truncated', 'label header is truncated', 'label', 1);
  const size = data[1]!;
  if (size < 1) return decodeFail('malformed', 'label header cannot be empty when present', 'label', 1);
  if (data.length < 2 + size) return decodeFail('truncated', 'label header is truncated', 'label', 2);
  let same = size === ours.length;
  for (let i = 0; same && i < size; i++) same = data[2 + i] === ours[i];
  if (!same) return decodeFail('label-mismatch', ours.length > 0 ? 'label differs from ours' : 'labelled data, but no label is configured', 'label', 2);
  return decodeOk(2 + size);
}

/**
 * Opens a received datagram down to its inner payload (reference §2.3 steps 1–3): removes and
 * checks the label (any difference, including labelled vs. unlabelled, is `'label-mismatch'`);
 * with a keyring, decrypts with every key (failure is `'decrypt-failed'`, unless
 * `verifyIncoming === false`, when the bytes are taken as plaintext); then verifies and strips a
 * `0C` CRC header (present only when length ≥ 5 and the first byte is `0C`). The result may be a
 * view of `datagram`. Never throws.
 */
export function openPacket(datagram: Uint8Array, opts: PacketSecurity): DecodeResult<Uint8Array> {
  const labelled = checkLabel(datagram, opts.label);
  if (!labelled.ok) return labelled;
  let buf = labelled.value === 0 ? datagram : datagram.subarray(labelled.value);
  if (opts.keyring !== undefined) {
    const plain = decryptPayload(opts.keyring.keys, buf, opts.label ?? EMPTY_BYTES);
    if (plain.ok) buf = plain.value;
    else if (opts.verifyIncoming !== false) return plain;
  }
  if (buf.length >= 5 && buf[0] === TYPE_CRC) {
    const expected = ((buf[1]! << 24) | (buf[2]! << 16) | (buf[3]! << 8) | buf[4]!) >>> 0;
    const rest = buf.subarray(5);
    const actual = crc32(rest);
    if (actual !== expected) {
      return decodeFail('crc-mismatch', `CRC-32 ${actual.toString(16)} does not match header ${expected.toString(16)}`, 'crc', 1);
    }
    buf = rest;
  }
  if (buf.length === 0) return decodeFail('truncated', 'empty packet', 'type', 0);
  return decodeOk(buf);
}
