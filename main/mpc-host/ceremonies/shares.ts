// Opening a custodian's sealed share inside the host and sealing a new one to a device; every failure names its party.
import { x25519 } from '@noble/curves/ed25519.js';
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { Fn, Point, parsePoint } from '../../../crypto/frost/curve';
import { mixedRng } from '../../../crypto/frost/entropy';
import { deriveChildShare, type ChildKey } from '../../../crypto/frost/hd';
import type { GroupKey, PartyId, PublicPackage, Rng, SecretShare } from '../../../crypto/frost/types';
import { wipeShare } from '../../../crypto/frost/wipe';
import { decodeSealed, encodeSealed, open, seal } from '../../../crypto/sealing';
import { CeremonyFault } from './common';

export type ShareContext = { ceremonyId: string; walletId: string; keyVersion: number };

/**
 * Opens one signer's or dealer's sealed share with the ECDH secret its device computed, and checks it is that party's
 * share of `pub` (its verifying share), so a share of another key or version is named before any round begins. One
 * base-point multiplication against the verifying share suffices: the log's key had every verifying share checked
 * against its commitments when it was recorded (walletKeyProblem), so evaluating the t commitments again for each
 * signer (noble's validateSecret, still used when the package lacks the party's verifying share) adds nothing.
 * The caller owns the returned share and wipes it.
 */
export function unsealShare(
  party: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array },
  ctx: ShareContext,
  pub: PublicPackage,
): SecretShare {
  const { partyId } = party;
  let plain: Uint8Array;
  try {
    plain = open(party.unsealSecret, decodeSealed(party.sealed), { walletId: ctx.walletId, partyId, keyVersion: ctx.keyVersion });
  } catch {
    throw new CeremonyFault(
      'unseal',
      `the sealed share of party ${partyId} does not open with the secret its device gave (wallet ${ctx.walletId}, key version ${ctx.keyVersion})`,
      partyId,
    );
  }
  const share: SecretShare = { identifier: partyId, signingShare: plain };
  let valid = plain.length === 32;
  if (valid) {
    try {
      const s = Fn.fromBytes(plain, true);
      valid = Fn.isValid(s) && s !== 0n;
      if (valid) {
        const verifying = pub.verifyingShares[partyId];
        if (verifying === undefined) schnorr_FROST.validateSecret(share, pub);
        else valid = Point.BASE.multiply(s).equals(verifyingPoint(verifying));
      }
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    plain.fill(0);
    throw new CeremonyFault('unseal', `the sealed share of party ${partyId} opens, but it is not that party's share of this key`, partyId);
  }
  return share;
}

/**
 * The party's verifying share as a point, parsed once per key: the host keeps a wallet's group key per key version, so
 * the same bytes come back with every signing.
 */
const verifyingPoints = new WeakMap<Uint8Array, Point>();
function verifyingPoint(bytes: Uint8Array): Point {
  let p = verifyingPoints.get(bytes);
  if (p === undefined) {
    p = parsePoint(bytes);
    verifyingPoints.set(bytes, p);
  }
  return p;
}

/**
 * Refuses an encryption key no device could have (a low-order X25519 point makes every shared secret zero), before a
 * long ceremony runs only to fail at sealing.
 */
export function checkEncryptionKey(partyId: PartyId, key: Uint8Array): void {
  const probe = new Uint8Array(32).fill(7);
  try {
    x25519.getSharedSecret(probe, key).fill(0);
  } catch {
    throw new CeremonyFault('request', `the encryption key of party ${partyId} is not a usable X25519 key`, null);
  }
}

/**
 * Seals a share to its custodian's device key under (wallet, party, key version). The ephemeral key and nonce come from
 * the host RNG mixed with device entropy, as the shares themselves do: a broken host RNG alone must not let anyone
 * who knows its output recompute the ephemeral secret and open the box.
 */
export function sealShare(share: SecretShare, encryptionKey: Uint8Array, ctx: ShareContext, hostRng: Rng, entropy: Uint8Array): Uint8Array {
  const rng = mixedRng(hostRng, entropy, 'seal', ctx.ceremonyId, share.identifier);
  try {
    return encodeSealed(seal(encryptionKey, share.signingShare, { walletId: ctx.walletId, partyId: share.identifier, keyVersion: ctx.keyVersion }, rng));
  } finally {
    rng.wipe();
  }
}

/**
 * One signer's share of the child key at a wallet path: its root share opened (and checked) with its device's secret,
 * then tweaked; the root share is wiped here, the child share belongs to the caller.
 */
export function openChildShare(
  party: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array },
  ctx: ShareContext,
  root: GroupKey,
  child: ChildKey,
): SecretShare {
  const share = unsealShare({ partyId: party.partyId, sealed: party.sealed.slice(), unsealSecret: party.unsealSecret.slice() }, ctx, root.publicPackage);
  try {
    return deriveChildShare(share, child);
  } finally {
    wipeShare(share);
  }
}
