// The key ceremony a wallet owes, as a signer reads it from its own replayed log: who deals, who receives, at which
// threshold and key version. Nothing of it comes from whoever asks for the ceremony.
import { hexToBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../frost/party-id.js';
import type { GroupKey, PartyId } from '../frost/types.js';
import type { GovernanceState, KeyCeremony, WalletKey, WalletState } from './types.js';
import { groupKeyOf } from './wallet-key.js';

export interface CeremonyPlan {
  readonly wallet: WalletState;
  readonly ceremony: KeyCeremony;
  readonly threshold: number;
  readonly fromKeyVersion: number;
  readonly toKeyVersion: number;
  /** The key in force (refresh, reshare), null for a DKG. */
  readonly current: { readonly key: WalletKey; readonly groupKey: GroupKey } | null;
  /** Who receives a share of the new key, with their device's encryption key, in the order the proposal names them. */
  readonly receivers: readonly { readonly userId: string; readonly partyId: PartyId; readonly encryptionKey: Uint8Array }[];
  /** Who may deal (refresh, reshare): the key's custodians who are still active. Empty for a DKG. */
  readonly dealers: readonly PartyId[];
  /** How many dealers must take part: every custodian for a refresh, the threshold for a reshare. */
  readonly dealersNeeded: number;
}

export function ceremonyPlan(state: GovernanceState, walletId: string): CeremonyPlan | { refused: string } {
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) return { refused: `there is no wallet ${walletId} in the signed log` };
  const pending = wallet.pending;
  if (pending === null) return { refused: `wallet ${wallet.name} owes no key ceremony: the administrators approved none` };
  const receivers = [];
  for (const id of pending.custodians) {
    const u = state.users.find((x) => x.id === id);
    if (u === undefined || u.status !== 'active') return { refused: `custodian ${id} of wallet ${wallet.name} is not an active user` };
    receivers.push({ userId: u.id, partyId: partyIdFor(u.id), encryptionKey: hexToBytes(u.encryptionKey.replace(/^0x/, '')) });
  }
  const key = wallet.key;
  if (pending.ceremony === 'dkg') {
    if (key !== null) return { refused: `wallet ${wallet.name} already has a key` };
    return { wallet, ceremony: 'dkg', threshold: pending.threshold, fromKeyVersion: 0, toKeyVersion: 1, current: null, receivers, dealers: [], dealersNeeded: 0 };
  }
  if (key === null) return { refused: `wallet ${wallet.name} has no key to ${pending.ceremony}` };
  const active = new Set(state.users.filter((u) => u.status === 'active').map((u) => u.id));
  const dealers = key.custodians.filter((c) => active.has(c.userId)).map((c) => c.partyId);
  return {
    wallet,
    ceremony: pending.ceremony,
    threshold: pending.threshold,
    fromKeyVersion: key.keyVersion,
    toKeyVersion: key.keyVersion + 1,
    current: { key, groupKey: groupKeyOf(key) },
    receivers,
    dealers,
    dealersNeeded: pending.ceremony === 'refresh' ? key.custodians.length : key.threshold,
  };
}
