// Mixes the host's randomness with a custodian device's secret, so a broken host RNG alone cannot predict a share.
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import type { Rng } from './types.js';

const SALT = utf8ToBytes('custos/frost/party-entropy/v1');
const STREAM = utf8ToBytes('custos/frost/rng-block');

/** Length-prefixed (u16 BE) field, so that ("ab","c") and ("a","bc") never encode alike. */
export function lengthPrefixed(...fields: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const f of fields) {
    if (f.length > 0xffff) throw new Error('field longer than 65535 bytes');
    parts.push(Uint8Array.of(f.length >> 8, f.length & 0xff), f);
  }
  return concatBytes(...parts);
}

/**
 * A deterministic byte stream from a 32-byte seed: block_j = HMAC-SHA256(seed, tag ‖ u64(j)).
 * Each call takes fresh blocks; the seed is copied so the caller can wipe its own buffer.
 */
export function seededRng(seed: Uint8Array): Rng & { wipe(): void } {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new Error('seed must be 32 bytes');
  const key = seed.slice();
  let counter = 0n;
  const rng = (n = 32): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0) throw new Error('rng: bad length ' + n);
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const ctr = new Uint8Array(8);
      new DataView(ctr.buffer).setBigUint64(0, counter++);
      const block = hmac(sha256, key, concatBytes(STREAM, ctr));
      out.set(block.subarray(0, Math.min(32, n - off)), off);
      block.fill(0);
    }
    return out;
  };
  return Object.assign(rng, { wipe: () => key.fill(0) });
}

/**
 * The party's RNG for one ceremony:
 *   seed = HKDF-SHA256(ikm = hostRandom(32) ‖ deviceEntropy(32), salt = "custos/frost/party-entropy/v1",
 *                      info = lp(context) ‖ lp(ceremonyId) ‖ lp(partyId))
 *   rng  = seededRng(seed)
 * Whoever lacks `deviceEntropy` cannot recompute the seed even if the host RNG is a constant; the ceremony and
 * party ids keep two parties (or two ceremonies) apart even if one device secret were reused.
 */
export function mixedRng(
  hostRng: Rng,
  deviceEntropy: Uint8Array,
  context: string,
  ceremonyId: string,
  partyId: string,
): Rng & { wipe(): void } {
  if (typeof hostRng !== 'function') throw new Error('hostRng must be a function');
  if (!(deviceEntropy instanceof Uint8Array) || deviceEntropy.length !== 32)
    throw new Error('deviceEntropy must be 32 bytes');
  if (deviceEntropy.every((b) => b === 0)) throw new Error('deviceEntropy is all zeros (low-order device key?)');
  const host = hostRng(32);
  if (!(host instanceof Uint8Array) || host.length !== 32) throw new Error('hostRng must return the bytes asked for');
  const ikm = concatBytes(host, deviceEntropy);
  const info = lengthPrefixed(utf8ToBytes(context), utf8ToBytes(ceremonyId), utf8ToBytes(partyId));
  const seed = hkdf(sha256, ikm, SALT, info, 32);
  const rng = seededRng(seed);
  ikm.fill(0);
  host.fill(0);
  seed.fill(0);
  return rng;
}

/**
 * RNG for one signer's nonces in one session: HKDF(host randomness, info = session ‖ party ‖ binding). noble's commit
 * also hashes the signing share in; binding the session and the messages keeps a stuck host RNG from repeating a
 * nonce across different sessions or messages. Uniqueness within a session still rests on the host RNG.
 */
export function sessionRng(hostRng: Rng, context: string, sessionId: string, partyId: string, binding: Uint8Array): Rng & { wipe(): void } {
  if (typeof hostRng !== 'function') throw new Error('hostRng must be a function');
  const host = hostRng(32);
  if (!(host instanceof Uint8Array) || host.length !== 32) throw new Error('hostRng must return the bytes asked for');
  const info = lengthPrefixed(utf8ToBytes(context), utf8ToBytes(sessionId), utf8ToBytes(partyId), binding);
  const seed = hkdf(sha256, host, SALT, info, 32);
  const rng = seededRng(seed);
  host.fill(0);
  seed.fill(0);
  return rng;
}

const DEVICE_ENTROPY_LABEL = { dkg: 'custos/dkg-entropy/v2', dealer: 'custos/dealer-entropy/v1' } as const;

/**
 * A party's device entropy from a secret only its device could produce: for a DKG, the device's signature of its use
 * statement (unpredictable without the device key, and checked by the signer before use); for a refresh or reshare
 * dealer, the ECDH secret its device gave to open its share (one confirmation instead of two).
 *   entropy = HKDF-SHA256(ikm = secret, salt = label, info = lp(ceremonyId) ‖ lp(partyId))
 */
export function entropyFromDevice(secret: Uint8Array, purpose: 'dkg' | 'dealer', ceremonyId: string, partyId: string): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < 32) throw new Error('a device secret is at least 32 bytes');
  return hkdf(sha256, secret, utf8ToBytes(DEVICE_ENTROPY_LABEL[purpose]), lengthPrefixed(utf8ToBytes(ceremonyId), utf8ToBytes(partyId)), 32);
}
