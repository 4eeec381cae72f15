// The one entry for a wallet's key ceremony through signer nodes: whatever the wallet owes by this console's log (a new
// wallet's DKG, or an approved refresh or reshare) runs with its custodians' nodes, the coordinator holding no share.
import { ceremonyPlan, type WalletState } from '../../crypto/governance';
import { CustosError } from '../errors';
import type { KeygenCoordinatorOptions } from './coordination';
import { keygenWithNodes } from './keygen-coordinator';
import { reshareWithNodes } from './reshare-coordinator';

export type { KeygenCoordinatorOptions as CeremonyCoordinatorOptions, KeygenEvent as CeremonyEvent } from './coordination';

/** Runs the key ceremony `walletId` owes through its custodians' signer nodes and records the key they attest. */
export async function ceremonyWithNodes(walletId: string, o: KeygenCoordinatorOptions): Promise<WalletState> {
  const state = o.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new CustosError('NOT_FOUND', `There is no wallet ${walletId}. List the wallets to find its id.`);
  const plan = ceremonyPlan(state, walletId);
  if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run a key ceremony: ${plan.refused}.`);
  return plan.ceremony === 'dkg' ? keygenWithNodes(walletId, o) : reshareWithNodes(walletId, o);
}
