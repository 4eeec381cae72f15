// The shares that sign: t active custodians whose devices are connected, each opening their sealed share on it.
import { partyIdFor } from '../../crypto/frost';
import type { GovernanceState, UserState, WalletState } from '../../crypto/governance';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import type { VaultService } from '../vault/service';
import type { UnsealingParty } from './ceremony-host';
import { devicesOf } from './custodian-devices';
import { unsealSecret } from './device-secrets';
import { openableShares } from './shares';

/**
 * Asks t custodians' devices (the first connected, among `only` if given) for the secret that opens their share,
 * saying `purpose` to each. The caller wipes the secrets after use; on failure the ones already given are wiped here.
 */
export async function signingShares(opts: {
  vault: VaultService;
  devices: DeviceManager;
  state: GovernanceState;
  identityPath: string;
  wallet: WalletState;
  only?: readonly string[];
  purpose: string;
  progress: (message: string) => void;
}): Promise<UnsealingParty[]> {
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
  const sealed = openableShares(opts.vault, wallet.id);
  const signers: UnsealingParty[] = [];
  try {
    for (const user of chosen) {
      opts.progress(`${user.name}: approve on your Ledger (it opens your share of ${wallet.name} ${opts.purpose})`);
      const partyId = partyIdFor(user.id);
      const box = sealed.get(partyId);
      if (box === undefined) throw new CustosError('TAMPERING_DETECTED', `The sealed share of ${user.name} for ${wallet.name} is missing from the store.`);
      signers.push({ partyId, sealed: box, unsealSecret: await unsealSecret(opts.devices, found.get(user.id) as string, opts.identityPath, box) });
    }
    return signers;
  } catch (err) {
    for (const s of signers) s.unsealSecret.fill(0);
    throw err;
  }
}
