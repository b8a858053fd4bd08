/**
 * AES-GCM encryption as memberlist's `security.go` does it, and the keyring of installed keys
 * (reference §2.5).
 *
 * Sealed form: `vsn(1) ‖ nonce(12) ‖ ciphertext ‖ tag(16)`. Version 1 seals the plaintext as is;
 * version 0 (protocol version 1 only) first adds PKCS#7 padding to a multiple of 16. The key size
 * picks AES-128/192/256. This is the one `node:*` import of the wire layer: Node's OpenSSL GCM.
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { decodeFail, decodeOk, type DecodeResult } from './decode-error.js';

const NONCE_BYTES = 12;
/** Nonces are cut from a batch of CSPRNG output: one `randomBytes` call per packet was a fifth of the sealing cost. */
const NONCE_BATCH = 12 * 256;
let nonces = randomBytes(NONCE_BATCH);
let nonceAt = 0;

function nextNonce(): Uint8Array {
  if (nonceAt + NONCE_BYTES > NONCE_BATCH) {
    nonces = randomBytes(NONCE_BATCH);
    nonceAt = 0;
  }
  const nonce = nonces.subarray(nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
  return nonce;
}
const TAG_BYTES = 16;
const BLOCK_BYTES = 16;

function checkKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || (key.length !== 16 && key.length !== 24 && key.length !== 32)) {
    throw new RangeError(`${what} must be a Uint8Array of 16, 24 or 32 bytes (AES-128/192/256)`);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The set of installed AES keys: the primary key encrypts, every key is tried on decrypt, primary
 * first (memberlist `Keyring`). Keys are copied on the way in, so later changes to the caller's
 * arrays do not affect the ring. Invariant: never empty, the primary is `keys[0]`, no duplicates.
 */
export class Keyring {
  #keys: readonly Uint8Array[];

  /**
   * Creates a ring whose primary key is `keys[0]`; duplicates are dropped.
   * @throws {RangeError} if `keys` is empty or a key is not 16, 24 or 32 bytes.
   */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new RangeError('a keyring needs at least one key');
    const ring: Uint8Array[] = [];
    keys.forEach((k, i) => {
      checkKey(k, `keys[${i}]`);
      if (!ring.some((x) => sameBytes(x, k))) ring.push(k.slice());
    });
    this.#keys = Object.freeze(ring);
  }

  /** The key used to encrypt outgoing data. */
  get primaryKey(): Uint8Array {
    return this.#keys[0]!;
  }

  /** Every installed key, primary first (a frozen snapshot; replaced on every change). */
  get keys(): readonly Uint8Array[] {
    return this.#keys;
  }

  /** Installs `key` as a secondary key; a no-op if it is already installed (memberlist `AddKey`). @throws {RangeError} on a bad key size. */
  addKey(key: Uint8Array): void {
    checkKey(key, 'key');
    if (this.#keys.some((x) => sameBytes(x, key))) return;
    this.#keys = Object.freeze([...this.#keys, key.slice()]);
  }

  /** Makes an installed key the primary (memberlist `UseKey`). @throws {RangeError} if it is not installed. */
  useKey(key: Uint8Array): void {
    const i = this.#keys.findIndex((x) => sameBytes(x, key));
    if (i < 0) throw new RangeError('the requested key is not in the keyring');
    const k = this.#keys[i]!;
    this.#keys = Object.freeze([k, ...this.#keys.filter((_, j) => j !== i)]);
  }

  /**
   * Uninstalls a secondary key; a no-op if it is not installed (memberlist `RemoveKey`).
   * @throws {RangeError} when asked to remove the primary key.
   */
  removeKey(key: Uint8Array): void {
    if (sameBytes(this.#keys[0]!, key)) throw new RangeError('removing the primary key is not allowed');
    this.#keys = Object.freeze(this.#keys.filter((x) => !sameBytes(x, key)));
  }
}

/** Bytes encryption adds, for size budgets: 29 for version 1, 45 for version 0 (worst-case padding). */
export function encryptionOverhead(version: 0 | 1): number {
  return version === 1 ? 1 + NONCE_BYTES + TAG_BYTES : 1 + NONCE_BYTES + BLOCK_BYTES + TAG_BYTES;
}

function algorithm(key: Uint8Array): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm';
}

/**
 * Seals `plaintext` with AES-GCM under `key` and a fresh random 12-byte nonce, authenticating
 * `aad` (packets: the label or nothing; streams: `0A len32` + label).
 *
 * Returns `version ‖ nonce ‖ ciphertext ‖ tag`. Version 0 pads with PKCS#7 (1–16 bytes) first.
 * @throws {RangeError} if `key` is not 16, 24 or 32 bytes.
 */
export function encryptPayload(version: 0 | 1, key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  checkKey(key, 'key');
  let data = plaintext;
  if (version === 0) {
    const pad = BLOCK_BYTES - (plaintext.length % BLOCK_BYTES);
    data = new Uint8Array(plaintext.length + pad);
    data.set(plaintext);
    data.fill(pad, plaintext.length);
  }
  const nonce = nextNonce();
  const cipher = createCipheriv(algorithm(key), key, nonce);
  if (aad.length > 0) cipher.setAAD(aad);
  const out = new Uint8Array(1 + NONCE_BYTES + data.length + TAG_BYTES);
  out[0] = version;
  out.set(nonce, 1);
  const ct = cipher.update(data);
  const fin = cipher.final();
  out.set(ct, 1 + NONCE_BYTES);
  if (fin.length > 0) out.set(fin, 1 + NONCE_BYTES + ct.length);
  out.set(cipher.getAuthTag(), 1 + NONCE_BYTES + data.length);
  return out;
}

/**
 * Opens a sealed `message` by trying each of `keys` in order (primary first), as memberlist's
 * `decryptPayload`.
 *
 * Fails with `'decrypt-failed'` for an empty message, a version above 1, a message shorter than
 * the version's minimum (29 bytes for v1, 45 for v0), bad version-0 padding, or when no key
 * authenticates it (including a changed `aad`). Never throws.
 */
export function decryptPayload(keys: readonly Uint8Array[], message: Uint8Array, aad: Uint8Array): DecodeResult<Uint8Array> {
  if (message.length === 0) return decodeFail('decrypt-failed', 'cannot decrypt an empty payload', 'vsn', 0);
  const version = message[0]!;
  if (version > 1) return decodeFail('decrypt-failed', `unsupported encryption version ${version}`, 'vsn', 0);
  const min = encryptionOverhead(version as 0 | 1);
  if (message.length < min) return decodeFail('decrypt-failed', `payload is too small to decrypt: ${message.length} bytes`, 'length');
  const nonce = message.subarray(1, 1 + NONCE_BYTES);
  const ct = message.subarray(1 + NONCE_BYTES, message.length - TAG_BYTES);
  const tag = message.subarray(message.length - TAG_BYTES);
  for (const key of keys) {
    let plain: Uint8Array;
    try {
      const decipher = createDecipheriv(algorithm(key), key, nonce);
      if (aad.length > 0) decipher.setAAD(aad);
      decipher.setAuthTag(tag);
      const head = decipher.update(ct);
      const fin = decipher.final(); // throws when the tag does not authenticate
      plain = fin.length === 0 ? head : Buffer.concat([head, fin]);
    } catch {
      continue;
    }
    const view = new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    if (version === 1) return decodeOk(view);
    // PKCS#7: Go trusts the last byte blindly (and would panic on a bad one); check it.
    const pad = view.length > 0 ? view[view.length - 1]! : 0;
    if (pad < 1 || pad > BLOCK_BYTES || pad > view.length) {
      return decodeFail('decrypt-failed', `bad PKCS#7 padding byte ${pad}`, 'padding');
    }
    return decodeOk(view.subarray(0, view.length - pad));
  }
  return decodeFail('decrypt-failed', `no installed key decrypts the payload (${keys.length} tried)`);
}
