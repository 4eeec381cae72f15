// Transport keys of a relay party: an Ed25519 key that signs its envelopes and an X25519 key that HPKE seals to it.
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';

/** What the vault's log registers for a party (by a statement its custodian's device signed). Public. */
export type TransportPublicKeys = {
  /** Ed25519 public key (32 bytes): verifies the party's envelopes. */
  signingKey: Uint8Array;
  /** X25519 public key (32 bytes): envelopes to the party are HPKE-sealed to it. */
  hpkeKey: Uint8Array;
};

/** A party's own transport keys. Secret halves live in that party's process only. */
export type TransportKeys = TransportPublicKeys & {
  signingSecret: Uint8Array;
  hpkeSecret: Uint8Array;
};

/**
 * Who may speak in a session and with which keys: answers null for a party with no registered transport key. The log
 * (through the vault's replay) is the real source; the relay code takes only this function, so it does not depend on it.
 */
export type TransportDirectory = (party: string) => TransportPublicKeys | null;

const KEYS_SALT = utf8ToBytes('Custos/RelayTransportKeys/v1');

/** Derives both key pairs from a 32-byte seed (the caller's CSPRNG, or a fixed seed in tests). */
export function transportKeysFromSeed(seed: Uint8Array): TransportKeys {
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError('transport key seed must be 32 bytes');
  const okm = hkdf(sha256, seed, KEYS_SALT, utf8ToBytes('ed25519+x25519'), 64);
  const signingSecret = okm.slice(0, 32);
  const hpkeSecret = okm.slice(32, 64);
  okm.fill(0);
  return {
    signingSecret,
    hpkeSecret,
    signingKey: ed25519.getPublicKey(signingSecret),
    hpkeKey: x25519.getPublicKey(hpkeSecret),
  };
}

export function publicTransportKeys(keys: TransportKeys): TransportPublicKeys {
  return { signingKey: new Uint8Array(keys.signingKey), hpkeKey: new Uint8Array(keys.hpkeKey) };
}

export function wipeTransportKeys(keys: TransportKeys): void {
  keys.signingSecret.fill(0);
  keys.hpkeSecret.fill(0);
}
