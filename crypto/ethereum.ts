// Ethereum-flavoured helpers: addresses from public keys (EIP-55, noble) and EIP-191 personal messages (signers recovered by libsecp256k1).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { recover } from 'tiny-secp256k1';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes, utf8ToBytes, concatBytes } from '@noble/hashes/utils.js';

/** EIP-55 mixed-case checksum of a 20-byte address, 0x-prefixed. */
export function toChecksumAddress(address: Uint8Array | string): string {
  const lower = typeof address === 'string' ? address.replace(/^0x/i, '').toLowerCase() : bytesToHex(address);
  if (!/^[0-9a-f]{40}$/.test(lower)) throw new Error('an Ethereum address is 20 bytes (40 hex digits)');
  const hash = bytesToHex(keccak_256(utf8ToBytes(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) {
    const c = lower[i] as string;
    out += Number.parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c;
  }
  return out;
}

/** The address of a secp256k1 public key (compressed or uncompressed), EIP-55 checksummed. */
export function addressOfPublicKey(publicKey: Uint8Array): string {
  const point = secp256k1.Point.fromBytes(publicKey);
  const uncompressed = point.toBytes(false);
  return toChecksumAddress(keccak_256(uncompressed.subarray(1)).subarray(12));
}

/** keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message): what personal_sign (EIP-191 v0x45) signs. */
export function personalMessageHash(message: Uint8Array | string): Uint8Array {
  const bytes = typeof message === 'string' ? utf8ToBytes(message) : message;
  return keccak_256(concatBytes(utf8ToBytes(`\x19Ethereum Signed Message:\n${bytes.length}`), bytes));
}

/** Splits a 65-byte r‖s‖v signature, checking v is 27/28 (or 0/1) as personal_sign produces. */
export function parseRsvSignature(signature: Uint8Array): { r: Uint8Array; s: Uint8Array; recovery: 0 | 1 } {
  if (signature.length !== 65) throw new Error(`a personal_sign signature is 65 bytes (r‖s‖v); got ${signature.length}`);
  const v = signature[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new Error(`the signature's v byte must be 27 or 28; got ${v}`);
  return { r: signature.subarray(0, 32), s: signature.subarray(32, 64), recovery };
}

/** The address that signed a personal message, or throws if the signature is malformed. */
export function recoverPersonalSigner(message: Uint8Array | string, signature: Uint8Array): string {
  return toChecksumAddress(recoverSignerBytes(message, signature));
}

/** True when `signature` is `address`'s personal_sign of `message` (low-S enforced, as the device signs). */
export function verifyPersonalSignature(message: Uint8Array | string, signature: Uint8Array, address: string): boolean {
  try {
    const { s } = parseRsvSignature(signature);
    if (compareBytes(s, HALF_N) > 0) return false;
    // Case-insensitive, as an EIP-55 address compares: the checksum only changes letters' case.
    return '0x' + bytesToHex(recoverSignerBytes(message, signature)) === address.toLowerCase();
  } catch {
    return false;
  }
}

// floor(n / 2) of secp256k1, big-endian: an s above it is the high-S twin of a valid signature, which devices never make.
const HALF_N = hexToBytes('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number) ? -1 : 1;
  return 0;
}

/*
 * Recovery through libsecp256k1 (tiny-secp256k1, WASM): about five times noble's speed, and statements are verified on
 * every replay. It refuses r or s of 0 or ≥ n by throwing and returns null when no key recovers (r not an x on the
 * curve, or the point at infinity), as noble's recoverPublicKey did. Only recovery ids 0 and 1 reach it (parseRsvSignature),
 * so r + n is never tried: that is what a 27/28 v byte means.
 */
function recoverSignerBytes(message: Uint8Array | string, signature: Uint8Array): Uint8Array {
  const { recovery } = parseRsvSignature(signature);
  const publicKey = recover(personalMessageHash(message), signature.subarray(0, 64), recovery, false);
  if (publicKey === null) throw new Error('no public key recovers from this signature: it is not a valid secp256k1 signature');
  return keccak_256(publicKey.subarray(1)).subarray(12);
}

export { bytesToHex, hexToBytes };
