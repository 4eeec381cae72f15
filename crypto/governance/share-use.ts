// The statement a custodian's device signs before their key share is used: for a transfer or for a key ceremony.
// Main asks the device for it; the MPC host renders the same statement from its own pinned log and checks the signature.
import { digest } from '../canonical.js';
import { partyIdFor } from '../frost/party-id.js';
import type { ShareUseStatement } from '../statements.js';
import { transferDigest, sats } from '../transfers/statements.js';
import type { GovernanceState, KeyCeremony, TransferState, UserState, WalletState } from './types.js';

/** What one use of a share is about: a transfer request, or the ceremony a wallet owes (with the id main chose for it). */
export type ShareUseSubject = { readonly transfer: TransferState } | { readonly ceremony: KeyCeremony; readonly ceremonyId: string };

export class ShareUseError extends Error {
  override readonly name = 'ShareUseError';
}

/**
 * The statement `custodian` signs to let their share of `wallet` be used for `subject`. Throws ShareUseError when the
 * use does not fit the log: the custodian holds no share of the key the use needs, or the wallet owes no such ceremony.
 * Its seq is that of the record that justifies the use (the request, or the proposal that asked for the ceremony).
 */
export function shareUseStatement(state: GovernanceState, wallet: WalletState, custodian: UserState, subject: ShareUseSubject): ShareUseStatement {
  const partyId = partyIdFor(custodian.id);
  const base = { kind: 'share-use' as const, vaultId: state.vaultId, vaultName: state.vaultName, walletName: wallet.name, custodianName: custodian.name };
  if ('transfer' in subject) {
    const t = subject.transfer;
    const key = wallet.key;
    if (t.request.walletId !== wallet.id) throw new ShareUseError(`request ${t.id} spends from another wallet than ${wallet.name}`);
    if (key === null || !key.custodians.some((c) => c.userId === custodian.id)) throw new ShareUseError(`${custodian.name} holds no share of ${wallet.name}`);
    return {
      ...base,
      seq: t.seq,
      use: {
        type: 'transfer',
        requestId: t.id,
        asset: 'BTC',
        decimals: 8,
        amount: sats(t.request.amount),
        fee: sats(t.request.fee),
        destination: t.request.destination,
        policyVersion: t.request.policyVersion,
        policyHash: t.request.policyHash,
      },
      digest: digest({
        domain: 'custos/share-use/v1',
        vaultId: state.vaultId,
        walletId: wallet.id,
        keyVersion: key.keyVersion,
        userId: custodian.id,
        partyId,
        use: 'transfer',
        requestId: t.id,
        transfer: transferDigest(t.request),
      }),
    };
  }
  const pending = wallet.pending;
  if (pending === null || pending.ceremony !== subject.ceremony) throw new ShareUseError(`${wallet.name} owes no ${subject.ceremony}`);
  // A DKG uses the device of every new custodian; a refresh or reshare uses the current holders' shares (the dealers).
  const takesPart = subject.ceremony === 'dkg' ? pending.custodians.includes(custodian.id) : (wallet.key?.custodians.some((c) => c.userId === custodian.id) ?? false);
  if (!takesPart) throw new ShareUseError(`${custodian.name} takes no part in the ${subject.ceremony} of ${wallet.name}`);
  const proposal = state.proposals.find((p) => p.id === pending.proposalId);
  if (proposal === undefined) throw new ShareUseError(`the proposal ${pending.proposalId} behind the ${subject.ceremony} is not in the log`);
  const custodianNames = pending.custodians.map((id) => state.users.find((u) => u.id === id)?.name ?? id);
  return {
    ...base,
    seq: proposal.seq,
    use: { type: subject.ceremony, ceremonyId: subject.ceremonyId, threshold: pending.threshold, custodianNames },
    digest: digest({
      domain: 'custos/share-use/v1',
      vaultId: state.vaultId,
      walletId: wallet.id,
      keyVersion: wallet.key?.keyVersion ?? 0,
      userId: custodian.id,
      partyId,
      use: subject.ceremony,
      ceremonyId: subject.ceremonyId,
      proposalId: pending.proposalId,
      threshold: pending.threshold,
      custodians: [...pending.custodians],
    }),
  };
}

/**
 * Whether the share of `partyId` may be used for `subject`: the party belongs to an active user of the log who holds
 * (or, for a DKG, is to receive) a share of `wallet`, its sealed box is the one the log recorded, and that user's
 * device signed the use statement for exactly this use. Returns the custodian, or why not.
 */
export function checkShareUse(input: {
  state: GovernanceState;
  wallet: WalletState;
  subject: ShareUseSubject;
  partyId: string;
  /** sha256 (hex) of the sealed share brought, for uses that open one; checked against the key's record. */
  sealedDigest: string | null;
  signature: string;
  verify: (statement: ShareUseStatement, signature: string, address: string) => boolean;
}): { custodian: UserState } | { refused: string } {
  const { state, wallet, partyId } = input;
  const custodian = state.users.find((u) => partyIdFor(u.id) === partyId);
  if (custodian === undefined) return { refused: `party ${partyId} is no user of this vault` };
  if (custodian.status !== 'active') return { refused: `${custodian.name} was revoked; their share is used for nothing` };
  if (input.sealedDigest !== null) {
    const recorded = wallet.key?.shareDigests.find((d) => d.partyId === partyId)?.digest;
    if (recorded === undefined) return { refused: `${custodian.name} holds no share of ${wallet.name}'s key in force` };
    if (recorded !== input.sealedDigest) return { refused: `the sealed share brought for ${custodian.name} is not the one the log recorded for ${wallet.name}` };
  }
  let statement: ShareUseStatement;
  try {
    statement = shareUseStatement(state, wallet, custodian, input.subject);
  } catch (err) {
    if (err instanceof ShareUseError) return { refused: err.message };
    throw err;
  }
  if (!input.verify(statement, input.signature, custodian.identityAddress)) {
    return { refused: `${custodian.name}'s device did not sign the use of their share for this ${'transfer' in input.subject ? `request (${input.subject.transfer.id})` : `${input.subject.ceremony} (${input.subject.ceremonyId})`}` };
  }
  return { custodian };
}
