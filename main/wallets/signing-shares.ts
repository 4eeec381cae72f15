// The shares that sign a transfer: t active custodians whose devices are connected, each approving the request's use of
// their share on their device and then opening it there.
import type { GovernanceState, TransferState, UserState, WalletState } from '../../crypto/governance';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import type { UnsealingParty } from '../mpc-host/signer-gate';
import type { VaultService } from '../vault/service';
import { devicesOf } from './custodian-devices';
import { openingShares, type ConsentingCustodian } from './share-consent';

/** The first t connected active custodians of the wallet (among `only` if given), with their devices. */
export async function signingCustodians(opts: {
  devices: DeviceManager;
  state: GovernanceState;
  identityPath: string;
  wallet: WalletState;
  only?: readonly string[];
}): Promise<ConsentingCustodian[]> {
  const { wallet, state } = opts;
  const key = wallet.key;
  if (key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet: run its key ceremony first.`);
  const custodians = key.custodians
    .map((c) => state.users.find((u) => u.id === c.userId))
    .filter((u): u is UserState => u?.status === 'active' && (opts.only === undefined || opts.only.includes(u.id)));
  const found = await devicesOf(opts.devices, opts.identityPath, custodians);
  const chosen = custodians.filter((u) => found.has(u.id)).slice(0, key.threshold);
  if (chosen.length < key.threshold) {
    throw new CustosError(
      'DEVICE_NOT_FOUND',
      `Signing for ${wallet.name} needs ${key.threshold} custodians' Ledgers; ${chosen.length} are connected (custodians: ${custodians.map((u) => u.name).join(', ')}). Nothing was signed.`,
    );
  }
  return chosen.map((user) => ({ user, deviceId: found.get(user.id) as string }));
}

/** Each chosen custodian's device signs the request's use of their share, then opens it. The caller wipes the secrets. */
export function signingShares(opts: {
  vault: VaultService;
  devices: DeviceManager;
  state: GovernanceState;
  identityPath: string;
  wallet: WalletState;
  transfer: TransferState;
  custodians: readonly ConsentingCustodian[];
  progress: (message: string) => void;
}): Promise<UnsealingParty[]> {
  return openingShares({ ...opts, subject: { transfer: opts.transfer }, progress: (m) => opts.progress(m) });
}
