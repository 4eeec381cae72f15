// The secrets a custodian's device contributes to a ceremony: entropy for new shares, and the key that opens a sealed one.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { lengthPrefixed } from '../../crypto/frost/entropy';
import { decodeSealed } from '../../crypto/sealing';
import type { DeviceManager } from '../devices/manager';

/**
 * The "ephemeral key" the device combines with its EIP-1024 key for DKG entropy: an X25519 u-coordinate hashed from
 * the ceremony, so nobody knows a scalar for it and the shared secret (device key × this point) is computable only
 * on the device. It is fresh per ceremony and party, so no two contributions repeat.
 */
export function entropyChallenge(walletId: string, ceremonyId: string, partyId: string): Uint8Array {
  return sha256(lengthPrefixed(utf8ToBytes('custos/dkg-entropy/v1'), utf8ToBytes(walletId), utf8ToBytes(ceremonyId), utf8ToBytes(partyId)));
}

export function deviceEntropy(devices: DeviceManager, deviceId: string, path: string, walletId: string, ceremonyId: string, partyId: string): Promise<Uint8Array> {
  return devices.sharedSecret(deviceId, path, entropyChallenge(walletId, ceremonyId, partyId));
}

/** The device's ECDH with the sealed box's ephemeral key: what opens the share, inside the MPC host only. */
export function unsealSecret(devices: DeviceManager, deviceId: string, path: string, sealed: Uint8Array): Promise<Uint8Array> {
  return devices.sharedSecret(deviceId, path, decodeSealed(sealed).ephemeralPublicKey);
}

/**
 * A dealer's entropy in a refresh or reshare, from the secret its device gave to open its share: one confirmation
 * on the device instead of two, and still a value only that device (and the host it went to) can produce.
 */
export function dealerEntropy(unseal: Uint8Array, ceremonyId: string, partyId: string): Uint8Array {
  return hkdf(sha256, unseal, utf8ToBytes('custos/dealer-entropy/v1'), lengthPrefixed(utf8ToBytes(ceremonyId), utf8ToBytes(partyId)), 32);
}
