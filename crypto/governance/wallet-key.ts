// Checks a recorded key ceremony outcome against what was approved, and its public key material for consistency.
import { hexToBytes } from '@noble/hashes/utils.js';
import { taprootAddress } from '../bitcoin/address.js';
import { digest } from '../canonical.js';
import { commitmentEval, idToScalar, parsePoint, sameBytes, taprootOutputPoint, xOnly } from '../frost/curve.js';
import { deriveChildKey, receivePath } from '../frost/hd.js';
import { partyIdFor } from '../frost/party-id.js';
import type { GroupKey, PartyId } from '../frost/types.js';
import type { AddressVerificationStatement, KeyAttestationStatement } from '../statements.js';
import { signedSeq } from './records.js';
import type { KeyCeremony, KeyRecord, PendingCeremony, WalletKey, WalletNetwork } from './types.js';

/** The recorded key (hex) as the FROST layer's GroupKey (bytes). */
export function groupKeyOf(key: WalletKey): GroupKey {
  const verifyingShares: Record<PartyId, Uint8Array> = {};
  for (const v of key.verifyingShares) verifyingShares[v.partyId] = hexToBytes(v.key);
  return {
    threshold: key.threshold,
    parties: key.custodians.map((c) => c.partyId),
    publicPackage: {
      signers: { min: key.threshold, max: key.custodians.length },
      commitments: key.commitments.map((c) => hexToBytes(c)),
      verifyingShares,
    },
    internalKey: hexToBytes(key.internalKey),
    outputKey: hexToBytes(key.outputKey),
    chainCode: hexToBytes(key.chainCode),
  };
}

/**
 * Why `key` cannot be the outcome of `pending` on a wallet whose key is `current`, or null.
 * The public checks an honest host's output always passes: parties derived from the approved custodians, the
 * approved threshold, the next key version, the same Taproot key across refresh and reshare, commitments that open
 * to every verifying share (so t shares really determine the output key), and the output key tweaked from the
 * internal key as BIP-341 says.
 */
export function walletKeyProblem(key: WalletKey, pending: PendingCeremony, current: WalletKey | null, ceremony: KeyCeremony): string | null {
  if (ceremony !== pending.ceremony) return `the approved ceremony is a ${pending.ceremony}, not a ${ceremony}`;
  if (key.threshold !== pending.threshold) return `the approved threshold is ${pending.threshold}, the key's is ${key.threshold}`;
  const approved = [...pending.custodians].sort();
  const recorded = key.custodians.map((c) => c.userId).sort();
  if (approved.join() !== recorded.join()) return `the key's custodians (${recorded.join(', ')}) are not the approved ones (${approved.join(', ')})`;
  for (const c of key.custodians) if (c.partyId !== partyIdFor(c.userId)) return `custodian ${c.userId} has party ${c.partyId}, not the one derived from their id`;
  const version = (current?.keyVersion ?? 0) + 1;
  if (key.keyVersion !== version) return `the key version must be ${version}, it is ${key.keyVersion}`;
  if (ceremony === 'dkg' && current !== null) return 'the wallet already has a key; a DKG makes a new wallet only';
  if (ceremony !== 'dkg') {
    if (current === null) return `a ${ceremony} needs a key to start from`;
    if (key.internalKey !== current.internalKey || key.outputKey !== current.outputKey || key.chainCode !== current.chainCode) {
      return `a ${ceremony} keeps the wallet's key and addresses; the recorded key differs`;
    }
  }
  try {
    const commitments = key.commitments.map((c) => parsePoint(hexToBytes(c)));
    const group = commitments[0];
    if (group === undefined || !sameBytes(xOnly(group), hexToBytes(key.outputKey))) return 'the first commitment is not the output key';
    if (!sameBytes(xOnly(taprootOutputPoint(hexToBytes(key.internalKey))), hexToBytes(key.outputKey))) {
      return 'the output key is not the BIP-341 tweak of the internal key';
    }
    for (const v of key.verifyingShares) {
      const expected = commitmentEval(commitments, idToScalar(v.partyId));
      if (!expected.equals(parsePoint(hexToBytes(v.key)))) return `the verifying share of party ${v.partyId} does not match the commitments`;
    }
  } catch (err) {
    return `the key material is not valid: ${(err as Error).message}`;
  }
  return null;
}

/** The address of the wallet key at a non-hardened path ([0, 0]: the first receive address). */
export function walletAddress(key: WalletKey, network: WalletNetwork, path: readonly number[]): string {
  const child = deriveChildKey(groupKeyOf(key), path).groupKey;
  return taprootAddress(child.internalKey, network, child.outputKey);
}

/** sha256 over everything a wallet-key record states but its attestations: what each custodian's device attests. */
export function keyRecordDigest(record: Omit<KeyRecord, 'attestations'>): string {
  const k = record.key;
  return digest({
    domain: 'custos/wallet-key/v1',
    vaultId: record.vaultId,
    seq: signedSeq(record),
    walletId: record.walletId,
    proposalId: record.proposalId,
    ceremony: record.ceremony,
    ceremonyId: record.ceremonyId,
    createdAt: record.createdAt,
    key: {
      keyVersion: k.keyVersion,
      threshold: k.threshold,
      custodians: k.custodians.map((c) => ({ userId: c.userId, partyId: c.partyId })),
      internalKey: k.internalKey,
      outputKey: k.outputKey,
      chainCode: k.chainCode,
      commitments: [...k.commitments],
      verifyingShares: k.verifyingShares.map((v) => ({ partyId: v.partyId, key: v.key })),
      shareDigests: k.shareDigests.map((d) => ({ partyId: d.partyId, digest: d.digest })),
    },
  });
}

/** The statement each custodian of the new key signs on their device before the key is recorded. */
export function keyAttestationStatement(
  vault: { vaultId: string; vaultName: string },
  wallet: { name: string; network: WalletNetwork },
  record: Omit<KeyRecord, 'attestations'>,
  nameOf: (userId: string) => string,
): KeyAttestationStatement {
  return {
    kind: 'key-attestation',
    vaultId: vault.vaultId,
    vaultName: vault.vaultName,
    seq: signedSeq(record),
    walletName: wallet.name,
    network: wallet.network,
    keyVersion: record.key.keyVersion,
    threshold: record.key.threshold,
    custodianNames: record.key.custodians.map((c) => nameOf(c.userId)),
    groupKey: '0x' + record.key.outputKey,
    address: walletAddress(record.key, wallet.network, receivePath(0)),
    digest: keyRecordDigest(record),
  };
}

/** The statement a custodian's device shows and signs to confirm one address of the wallet ("Verify on device"). */
export function addressVerificationStatement(
  vault: { vaultId: string; vaultName: string; seq: number },
  wallet: { id: string; name: string; network: WalletNetwork; key: WalletKey },
  path: readonly number[],
): AddressVerificationStatement {
  const address = walletAddress(wallet.key, wallet.network, path);
  return {
    kind: 'address-verification',
    vaultId: vault.vaultId,
    vaultName: vault.vaultName,
    seq: vault.seq,
    walletName: wallet.name,
    network: wallet.network,
    keyVersion: wallet.key.keyVersion,
    path: path.join('/'),
    address,
    digest: digest({ domain: 'custos/address/v1', vaultId: vault.vaultId, walletId: wallet.id, keyVersion: wallet.key.keyVersion, outputKey: wallet.key.outputKey, path: path.join('/'), address }),
  };
}
