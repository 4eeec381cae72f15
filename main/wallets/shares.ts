// The sealed shares of a wallet's key in force, checked against the digests its signed log recorded.
import { hexToBytes } from '@noble/hashes/utils.js';
import type { PartyId } from '../../crypto/frost';
import { CustosError } from '../errors';
import type { VaultService } from '../vault/service';
import { shareDigest } from './keys';

/** Party id → sealed box bytes. A row that is not the one recorded (swapped, edited) is refused, not used. */
export function openableShares(vault: VaultService, walletId: string): Map<PartyId, Uint8Array> {
  const { wallet } = vault.walletForChange(walletId);
  const key = wallet.key;
  if (key === null) return new Map();
  const digests = new Map(key.shareDigests.map((d) => [d.partyId, d.digest]));
  const out = new Map<PartyId, Uint8Array>();
  for (const row of vault.sealedShares(walletId)) {
    const expected = digests.get(row.partyId);
    if (expected === undefined || shareDigest(row.sealed) !== expected) {
      throw new CustosError('TAMPERING_DETECTED', `The sealed share of party ${row.partyId} in ${wallet.name} is not the one recorded in the signed log. Restore the data folder from a backup.`);
    }
    out.set(row.partyId, hexToBytes(row.sealed));
  }
  return out;
}
