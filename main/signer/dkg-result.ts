// A key ceremony through signer nodes (DKG, refresh, reshare), its public side: the key a node reports (never its share),
// the wallet-key record the coordinator builds from every node's report, and what a node checks in that record before
// its device attests it.
import { canonicalize } from '../../crypto/canonical';
import { compareIds } from '../../crypto/frost/check';
import type { GroupKey } from '../../crypto/frost/types';
import { ceremonyPlan, type GovernanceState, type KeyCeremony, type KeyRecord, type WalletKey } from '../../crypto/governance';
import { groupKeyHex } from '../wallets/keys';
import type { Head, PublicKeyResult } from './control';

/** The public result of a node's DKG: the group key and every party's verifying share, as hex (as the log writes them). */
export function publicKeyOf(groupKey: GroupKey): PublicKeyResult {
  return groupKeyHex(groupKey);
}

/** Whether two reports name the same key, field by field. */
export function sameKey(a: PublicKeyResult, b: PublicKeyResult): boolean {
  return canonicalize(publicPart(a)) === canonicalize(publicPart(b));
}

/** The wallet key the log records: the nodes' common key, the approved custodians, and each node's sealed-share digest. */
export function walletKeyFrom(key: PublicKeyResult, keyVersion: number, custodians: readonly { userId: string; partyId: string }[], digests: ReadonlyMap<string, string>): WalletKey {
  const sorted = [...custodians].sort((a, b) => compareIds(a.partyId, b.partyId));
  return {
    keyVersion,
    threshold: key.threshold,
    custodians: sorted.map((c) => ({ userId: c.userId, partyId: c.partyId })),
    internalKey: key.internalKey,
    outputKey: key.outputKey,
    chainCode: key.chainCode,
    commitments: [...key.commitments],
    verifyingShares: key.verifyingShares.map((v) => ({ partyId: v.partyId, key: v.key })),
    shareDigests: sorted.map((c) => {
      const digest = digests.get(c.partyId);
      if (digest === undefined) throw new Error(`no sealed-share digest for party ${c.partyId}`);
      return { partyId: c.partyId, digest };
    }),
  };
}

/** What a node remembers of a key ceremony it received a share in, until its custodian attests the key. */
export interface NodeDkg {
  ceremonyId: string;
  ceremony: KeyCeremony;
  walletId: string;
  partyId: string;
  keyVersion: number;
  coordinatorUserId: string;
  key: PublicKeyResult;
  shareDigest: string;
}

/**
 * The wallet-key record a node's device may attest, rebuilt from its checked fields only, or why not in words: it must
 * be the ceremony this node ran (its key, its own sealed share's digest, the one kept in its folder), the one its wallet
 * still owes in this node's log (proposal, approved custodians, threshold), placed right after this node's head.
 */
export function attestable(o: { record: Omit<KeyRecord, 'attestations'>; state: GovernanceState; head: Head; mine: NodeDkg; keptDigest: string | null }): { record: Omit<KeyRecord, 'attestations'> } | { refused: string } {
  const r = o.record;
  const refused = (why: string) => ({ refused: `the key record to attest ${why}; this node's device attests nothing` });
  if (r.vaultId !== o.state.vaultId) return refused(`is for vault ${String(r.vaultId)}, not this node's`);
  const what = o.mine.ceremony === 'dkg' ? 'DKG' : o.mine.ceremony;
  if (r.walletId !== o.mine.walletId || r.ceremony !== o.mine.ceremony || r.ceremonyId !== o.mine.ceremonyId) return refused(`is not the ${what} ${o.mine.ceremonyId} this node ran`);
  if (r.basis !== undefined || r.seq !== o.head.seq + 1) return refused(`is placed at record ${String(r.seq)}, and this node holds the log up to record ${o.head.seq}`);
  if (typeof r.createdAt !== 'string' || Number.isNaN(Date.parse(r.createdAt))) return refused('has no creation time');
  const plan = ceremonyPlan(o.state, o.mine.walletId);
  if ('refused' in plan) return refused(`is for a wallet that owes no ceremony (${plan.refused})`);
  if (plan.ceremony !== o.mine.ceremony || plan.toKeyVersion !== o.mine.keyVersion || plan.wallet.pending?.proposalId !== r.proposalId) return refused(`does not fulfil the ${what} the wallet owes (proposal ${plan.wallet.pending?.proposalId ?? 'none'})`);
  const k = r.key;
  // The record came over the wire: its fields are whatever the coordinator sent until checked here.
  const digests: unknown = k.shareDigests;
  if (!Array.isArray(digests) || !digests.every((d: unknown) => typeof d === 'object' && d !== null && typeof (d as { partyId?: unknown }).partyId === 'string')) return refused('has no share digests');
  let rebuilt: WalletKey;
  try {
    rebuilt = walletKeyFrom(o.mine.key, o.mine.keyVersion, plan.receivers, new Map((digests as { partyId: string; digest: string }[]).map((d) => [d.partyId, d.digest])));
  } catch (err) {
    return refused(`lacks a custodian's share digest (${(err as Error).message})`);
  }
  if (k.threshold !== plan.threshold) return refused(`has threshold ${String(k.threshold)}, the proposal ${plan.threshold}`);
  // The whole key as this node's DKG made it, with the approved custodians: any other field is another key.
  if (canonicalize(k) !== canonicalize(rebuilt)) return refused(`holds another key than the one this node's ${what} made, or other custodians`);
  const own = k.shareDigests.find((d) => d.partyId === o.mine.partyId)?.digest;
  if (own !== o.mine.shareDigest) return refused(`holds another digest of this node's sealed share than the share its ${what} sealed`);
  if (o.keptDigest !== o.mine.shareDigest) return refused(`is for a sealed share this node no longer keeps in its folder (another ${what} of the wallet replaced it)`);
  return { record: { type: 'wallet-key', seq: r.seq, vaultId: r.vaultId, walletId: r.walletId, proposalId: r.proposalId, ceremony: o.mine.ceremony, ceremonyId: r.ceremonyId, createdAt: r.createdAt, key: rebuilt } };
}

function publicPart(k: PublicKeyResult): PublicKeyResult {
  return { threshold: k.threshold, internalKey: k.internalKey, outputKey: k.outputKey, chainCode: k.chainCode, commitments: [...k.commitments], verifyingShares: k.verifyingShares.map((v) => ({ partyId: v.partyId, key: v.key })) };
}
