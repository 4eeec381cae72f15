// Shared shapes of the FROST layer: party identifiers, key packages and the wallet's public key record.
import type { Identifier } from '@noble/curves/abstract/frost.js';

/** A party's FROST identifier: noble's canonical 32-byte scalar hex (non-zero). */
export type PartyId = Identifier;

/** noble's public package: `commitments[0]` is the group (output) key, compressed; one verifying share per party. */
export type PublicPackage = {
  signers: { min: number; max: number };
  commitments: Uint8Array[];
  verifyingShares: Record<PartyId, Uint8Array>;
};

/** One party's signing share. Secret: lives only in the MPC host's memory, sealed at rest. */
export type SecretShare = { identifier: PartyId; signingShare: Uint8Array };

/** Broadcast pseudo-recipient: the transport delivers the message to every other party of the ceremony. */
export const BROADCAST = '*';
/** The signing coordinator's address (it holds no share, so it has no FROST identifier). */
export const COORDINATOR = 'coordinator';
export type Recipient = PartyId | typeof BROADCAST | typeof COORDINATOR;

/** Fields every ceremony message carries, so a message can be routed, checked and blamed on its own. */
export type MessageHeader = {
  ceremonyId: string;
  round: number;
  from: PartyId;
  to: Recipient;
};

/**
 * A wallet's public key material, the same at every party after a ceremony. Plain data.
 *
 * - `publicPackage` is noble's Taproot-tweaked package: its group key is the output key Q = evenY(P) + t·G with
 *   t = TapTweak(x(P)) (BIP-341/386, empty merkle root), and shares/verifying shares are shares of Q's scalar.
 * - `internalKey` is x(P), the BIP-341 internal key; `tr(internalKey)` and `p2tr(internalKey)` describe the wallet.
 * - `chainCode` is the jointly made BIP-32 chain code for HD derivation from the internal key.
 */
export type GroupKey = {
  threshold: number;
  parties: PartyId[];
  publicPackage: PublicPackage;
  internalKey: Uint8Array;
  outputKey: Uint8Array;
  chainCode: Uint8Array;
};

/** Random bytes source handed to every ceremony (the host's CSPRNG in production, a seeded one in tests). */
export type Rng = (bytesLength?: number) => Uint8Array;
