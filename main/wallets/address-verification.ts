// "Verify on device": one of the wallet's addresses shown on a custodian's Ledger, in a statement the device signs, as
// Ledger Live shows a single-signature wallet's address. The statement binds the address to the wallet's attested key
// (its key version and output key) and path, so anyone holding it can check it again against the signed log.
import { addressVerificationStatement, walletAddress } from '../../crypto/governance';
import { parseWalletPath } from '../../crypto/transfers/transaction';
import { renderStatement, verifyStatement } from '../../crypto/statements';
import type { AddressVerificationView } from '../../preload/contract';
import { CustosError } from '../errors';
import type { VaultService } from '../vault/service';

/** Shows `path` of the wallet on the device of a custodian of its key in force, who approves the statement there. */
export async function verifyAddressOnDevice(vault: VaultService, input: { walletId: string; path: string; deviceId: string }, now: () => Date = () => new Date()): Promise<AddressVerificationView> {
  const { wallet, state, header } = vault.walletForChange(input.walletId);
  const key = wallet.key;
  if (key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet: run its key ceremony first.`);
  const path = parseWalletPath(input.path);
  if (path === null || path.length !== 2 || (path[0] !== 0 && path[0] !== 1)) {
    throw new CustosError('BAD_INPUT', `"${input.path}" is not an address of the wallet: write 0/n for a receive address or 1/n for a change address.`);
  }
  const custodian = await vault.member(input.deviceId, state, header);
  if (!key.custodians.some((c) => c.userId === custodian.id)) {
    throw new CustosError('NOT_AUTHORISED', `${custodian.name} holds no share of ${wallet.name}: only its custodians verify its addresses on their devices (${key.custodians.map((c) => state.users.find((u) => u.id === c.userId)?.name ?? c.userId).join(', ')}).`);
  }
  const statement = addressVerificationStatement({ vaultId: state.vaultId, vaultName: state.vaultName, seq: state.seq }, { ...wallet, key }, path);
  // The console's own derivation, made again apart from the statement's: they must agree before a device is asked.
  if (statement.address !== walletAddress(key, wallet.network, path)) throw new CustosError('INTERNAL', 'The address could not be derived consistently. Nothing was shown.');
  const signature = await vault.signOnDevice(input.deviceId, header.identityPath, statement, custodian.identityAddress);
  if (!verifyStatement(statement, signature, custodian.identityAddress)) {
    throw new CustosError('DEVICE_BAD_RESPONSE', "The device's signature of the address does not verify. Do not use this address until it does.");
  }
  return {
    wallet: { id: wallet.id, name: wallet.name },
    path: path.join('/'),
    address: statement.address,
    keyVersion: key.keyVersion,
    custodian: { id: custodian.id, name: custodian.name },
    deviceAddress: custodian.identityAddress,
    statement: renderStatement(statement),
    signature,
    verifiedAt: now().toISOString(),
  };
}
