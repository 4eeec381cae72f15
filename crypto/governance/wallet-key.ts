// Checks a recorded key ceremony outcome against what was approved, and its public key material for consistency.
import { hexToBytes } from '@noble/hashes/utils.js';
import { commitmentEval, idToScalar, parsePoint, sameBytes, taprootOutputPoint, xOnly } from '../frost/curve.js';
import { partyIdFor } from '../frost/party-id.js';
import type { GroupKey, PartyId } from '../frost/types.js';
import type { KeyCeremony, PendingCeremony, WalletKey } from './types.js';

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
