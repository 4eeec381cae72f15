// Converts between a wallet's recorded key (governance WalletKey, hex) and the FROST layer's GroupKey (bytes).
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { WalletKey } from '../../crypto/governance';
import type { GroupKey, PartyId } from '../../crypto/frost';
import { compareIds } from '../../crypto/frost/check';

export { groupKeyOf } from '../../crypto/governance/wallet-key';

/** The record of a ceremony's outcome; `sealed` maps party id to the sealed share (hex), digested into the record. */
export function walletKeyOf(groupKey: GroupKey, keyVersion: number, userOfParty: ReadonlyMap<PartyId, string>, sealed: ReadonlyMap<PartyId, string>): WalletKey {
  const parties = [...groupKey.parties].sort(compareIds);
  const userId = (p: PartyId): string => {
    const u = userOfParty.get(p);
    if (u === undefined) throw new Error(`party ${p} is no custodian of this ceremony`);
    return u;
  };
  return {
    keyVersion,
    ...groupKeyHex(groupKey),
    custodians: parties.map((partyId) => ({ userId: userId(partyId), partyId })),
    shareDigests: parties.map((partyId) => {
      const s = sealed.get(partyId);
      if (s === undefined) throw new Error(`no sealed share for party ${partyId}`);
      return { partyId, digest: shareDigest(s) };
    }),
  };
}

/** A group key's public fields as the log writes them (hex), its verifying shares in party order. */
export function groupKeyHex(groupKey: GroupKey): Pick<WalletKey, 'threshold' | 'internalKey' | 'outputKey' | 'chainCode' | 'commitments' | 'verifyingShares'> {
  const parties = [...groupKey.parties].sort(compareIds);
  return {
    threshold: groupKey.threshold,
    internalKey: bytesToHex(groupKey.internalKey),
    outputKey: bytesToHex(groupKey.outputKey),
    chainCode: bytesToHex(groupKey.chainCode),
    commitments: groupKey.publicPackage.commitments.map((c) => bytesToHex(c)),
    verifyingShares: parties.map((partyId) => {
      const v = groupKey.publicPackage.verifyingShares[partyId];
      if (v === undefined) throw new Error(`no verifying share for party ${partyId}`);
      return { partyId, key: bytesToHex(v) };
    }),
  };
}

export function shareDigest(sealedHex: string): string {
  return bytesToHex(sha256(hexToBytes(sealedHex)));
}
