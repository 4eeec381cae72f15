// Seals a key share to a custodian's device encryption key (X25519 + HKDF-SHA256 + XChaCha20-Poly1305), and opens it.
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

/*
 * Format v1. The device (Ledger Ethereum app, EIP-1024) gives the RAW X25519 output as its shared secret (no
 * HSalsa20, unlike NaCl's box), so the key schedule starts from that raw secret:
 *
 *   shared = X25519(ephemeralSecret, recipientPublicKey)            (on the device: X25519(deviceSecret, ephemeralPublicKey))
 *   key    = HKDF-SHA256(ikm = shared, salt = "custos/share-seal/v1",
 *                        info = "custos share sealing key" ‖ ephemeralPublicKey ‖ recipientPublicKey, 32)
 *   ct     = XChaCha20-Poly1305(key, nonce(24, random), plaintext, aad)
 *   aad    = "custos/share-seal/v1" ‖ lp(walletId) ‖ lp(partyId) ‖ u32(keyVersion) ‖ ephemeralPublicKey ‖ recipientPublicKey
 *
 * A fresh ephemeral key per seal makes each key single-use; the random nonce costs nothing and keeps the format safe
 * should a caller ever reuse an ephemeral key. Bytes: 0x01 ‖ ephemeralPublicKey(32) ‖ recipientPublicKey(32) ‖ nonce(24) ‖ ct.
 */

export const SEAL_VERSION = 1;
const TAG = utf8ToBytes('custos/share-seal/v1');
const INFO = utf8ToBytes('custos share sealing key');
const HEADER = 1 + 32 + 32 + 24;
const TAG_LEN = 16;

/** What a sealed share is bound to: opening it under any other wallet, party or key version fails. */
export type SealContext = { walletId: string; partyId: string; keyVersion: number };

export type SealedBox = {
  version: typeof SEAL_VERSION;
  ephemeralPublicKey: Uint8Array;
  recipientPublicKey: Uint8Array;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
};

/** Opening failed: the box or its context was altered, or the secret is not the recipient's. Says nothing more. */
export class SealError extends Error {
  readonly code = 'SEAL_OPEN_FAILED' as const;
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >> 8, n & 0xff);
}

function lp(s: string): Uint8Array {
  const b = utf8ToBytes(s);
  if (b.length > 0xffff) throw new Error('context field too long');
  return concatBytes(u16(b.length), b);
}

function checkContext(ctx: SealContext): void {
  if (typeof ctx !== 'object' || ctx === null) throw new Error('seal context must be an object');
  if (typeof ctx.walletId !== 'string' || ctx.walletId.length === 0) throw new Error('seal context: walletId must be a non-empty string');
  if (typeof ctx.partyId !== 'string' || ctx.partyId.length === 0) throw new Error('seal context: partyId must be a non-empty string');
  if (!Number.isSafeInteger(ctx.keyVersion) || ctx.keyVersion < 0 || ctx.keyVersion > 0xffffffff)
    throw new Error('seal context: keyVersion must be an integer in 0..2^32-1');
}

function associatedData(ctx: SealContext, eph: Uint8Array, recipient: Uint8Array): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, ctx.keyVersion);
  return concatBytes(TAG, lp(ctx.walletId), lp(ctx.partyId), v, eph, recipient);
}

function deriveKey(shared: Uint8Array, eph: Uint8Array, recipient: Uint8Array): Uint8Array {
  if (!(shared instanceof Uint8Array) || shared.length !== 32) throw new SealError('shared secret must be 32 bytes');
  // A low-order ephemeral key makes X25519 output zero (the virtual Ledger returns zeros then): refuse it.
  if (shared.every((b) => b === 0)) throw new SealError('shared secret is all zeros');
  return hkdf(sha256, shared, TAG, concatBytes(INFO, eph, recipient), 32);
}

function bytes32(b: unknown, what: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== 32) throw new Error(`${what} must be 32 bytes`);
  return b;
}

/** Seals `plaintext` to `recipientPublicKey` (the device's EIP-1024 X25519 key). Needs no device. */
export function seal(recipientPublicKey: Uint8Array, plaintext: Uint8Array, ctx: SealContext, rng: (n: number) => Uint8Array): SealedBox {
  bytes32(recipientPublicKey, 'recipientPublicKey');
  if (!(plaintext instanceof Uint8Array)) throw new Error('plaintext must be bytes');
  checkContext(ctx);
  const ephSecret = rng(32);
  bytes32(ephSecret, 'rng output');
  const eph = x25519.getPublicKey(ephSecret);
  const shared = x25519.getSharedSecret(ephSecret, recipientPublicKey);
  ephSecret.fill(0);
  const key = deriveKey(shared, eph, recipientPublicKey);
  shared.fill(0);
  const nonce = rng(24);
  if (!(nonce instanceof Uint8Array) || nonce.length !== 24) throw new Error('rng must return the bytes asked for');
  const ciphertext = xchacha20poly1305(key, nonce, associatedData(ctx, eph, recipientPublicKey)).encrypt(plaintext);
  key.fill(0);
  return { version: SEAL_VERSION, ephemeralPublicKey: eph, recipientPublicKey: recipientPublicKey.slice(), nonce, ciphertext };
}

/**
 * Opens a box with the ECDH secret the device computed for `sealed.ephemeralPublicKey`. Throws SealError if any byte
 * of the box or any field of `ctx` differs from sealing time.
 */
export function open(sharedSecret: Uint8Array, sealed: SealedBox, ctx: SealContext): Uint8Array {
  checkContext(ctx);
  if (sealed.version !== SEAL_VERSION) throw new SealError(`unknown sealed-share version ${String(sealed.version)}`);
  const eph = bytes32(sealed.ephemeralPublicKey, 'ephemeralPublicKey');
  const recipient = bytes32(sealed.recipientPublicKey, 'recipientPublicKey');
  if (!(sealed.nonce instanceof Uint8Array) || sealed.nonce.length !== 24) throw new SealError('nonce must be 24 bytes');
  if (!(sealed.ciphertext instanceof Uint8Array) || sealed.ciphertext.length < TAG_LEN) throw new SealError('ciphertext too short');
  const key = deriveKey(sharedSecret, eph, recipient);
  try {
    return xchacha20poly1305(key, sealed.nonce, associatedData(ctx, eph, recipient)).decrypt(sealed.ciphertext);
  } catch {
    throw new SealError('sealed share does not open: it was altered, or it belongs to another device, wallet, party or key version');
  } finally {
    key.fill(0);
  }
}

/** Opens with the recipient's X25519 secret key (tests, and the virtual device's own computation). */
export function openWithPrivateKey(recipientSecretKey: Uint8Array, sealed: SealedBox, ctx: SealContext): Uint8Array {
  const shared = x25519.getSharedSecret(recipientSecretKey, bytes32(sealed.ephemeralPublicKey, 'ephemeralPublicKey'));
  try {
    return open(shared, sealed, ctx);
  } finally {
    shared.fill(0);
  }
}

/** Storage form: 0x01 ‖ ephemeralPublicKey ‖ recipientPublicKey ‖ nonce ‖ ciphertext. */
export function encodeSealed(s: SealedBox): Uint8Array {
  return concatBytes(Uint8Array.of(s.version), s.ephemeralPublicKey, s.recipientPublicKey, s.nonce, s.ciphertext);
}

export function decodeSealed(b: Uint8Array): SealedBox {
  if (!(b instanceof Uint8Array) || b.length < HEADER + TAG_LEN) throw new SealError('sealed share is too short');
  if (b[0] !== SEAL_VERSION) throw new SealError(`unknown sealed-share version ${String(b[0])}`);
  return {
    version: SEAL_VERSION,
    ephemeralPublicKey: b.slice(1, 33),
    recipientPublicKey: b.slice(33, 65),
    nonce: b.slice(65, HEADER),
    ciphertext: b.slice(HEADER),
  };
}
