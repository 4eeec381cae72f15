// Reads the store's projections as a governance state, and brings them to a newly replayed state (only what changed).
import { canonicalize } from '../../crypto/canonical';
import type { GovernanceRecord, GovernanceState, PolicyState, TransferRecord } from '../../crypto/governance';
import type { Store, VaultHeader } from '../store';

/** What the store says the vault is (null before genesis): the tables the UI reads. */
export interface Projection {
  readonly header: VaultHeader;
  readonly state: GovernanceState;
}

export function loadProjection(store: Store): Projection | null {
  const header = store.vault.get();
  if (header === null) return null;
  return {
    header,
    state: {
      vaultId: header.vaultId,
      vaultName: header.vaultName,
      createdAt: header.createdAt,
      seq: header.seq,
      settings: header.settings,
      founding: header.founding,
      users: store.users.list(),
      groups: store.groups.list(),
      proposals: store.proposals.list(),
      wallets: store.wallets.list(),
      policies: store.transfers.policies(),
      whitelists: store.transfers.whitelists(),
      transfers: store.transfers.all(),
    },
  };
}

/**
 * Writes `next` over `prev` (both replayed states): the vault row, then each entity `record` may have changed whose
 * content did. Called inside the state change's transaction. Governance never deletes an entity (revoked users and
 * closed proposals stay), so there is nothing to remove.
 *
 * Only what the record can touch is looked at, so the cost does not grow with the history: a transfer record changes
 * its one transfer; a proposal or decision changes the proposals still pending before it or made by it (a closed
 * proposal never changes again), and the organisation (users, groups, wallets, policies, whitelists: as many as the
 * institution has, not as its history) only when a proposal's action applied at this record; a key record changes
 * its wallet. Without a record (genesis, or a caller that does not know), everything is compared.
 */
export function writeProjection(store: Store, prev: GovernanceState | null, next: GovernanceState, identityPath: string, record?: GovernanceRecord): void {
  store.vault.save({
    vaultId: next.vaultId,
    vaultName: next.vaultName,
    createdAt: next.createdAt,
    identityPath,
    seq: next.seq,
    settings: next.settings,
    founding: next.founding,
  });
  if (prev !== null && record !== undefined && isTransferRecord(record)) {
    // A transfer record that replayed changed its transfer: saved without comparing (prev may share it, replayed in place).
    const t = findById(next.transfers, record.requestId);
    if (t !== undefined) store.transfers.save(t);
    return;
  }
  const changed = <T extends { id: string }>(before: readonly T[] | undefined, after: readonly T[]): T[] => {
    const old = new Map((before ?? []).map((x) => [x.id, canonicalize(x)]));
    return after.filter((x) => old.get(x.id) !== canonicalize(x));
  };
  const everything = prev === null || record === undefined;
  // The proposals a governance record can change: those pending before it, and the one it makes.
  const touched = everything ? next.proposals : next.proposals.filter((p) => p.status === 'pending' || p.closedAtSeq === record.seq || p.seq === record.seq);
  // The organisation changes only when a proposal's action applies (approved at this record) or a key is recorded.
  const organisation = everything || record.type === 'wallet-key' || touched.some((p) => p.closedAtSeq === record.seq && p.status === 'approved');
  if (organisation) {
    // Users first: groups, proposals and decisions refer to them.
    for (const u of changed(prev?.users, next.users)) store.users.save(u);
    for (const g of changed(prev?.groups, next.groups)) store.groups.save(g);
  }
  for (const p of changed(everything ? prev?.proposals : prev.proposals.filter((x) => x.status === 'pending'), touched)) store.proposals.save(p);
  if (organisation) {
    for (const w of changed(prev?.wallets, next.wallets)) store.wallets.save(w);
    const byWallet = (ps: readonly PolicyState[] | undefined) => (ps ?? []).map((p) => ({ ...p, id: p.walletId }));
    for (const p of changed(byWallet(prev?.policies), byWallet(next.policies))) store.transfers.savePolicy(p);
    for (const w of changed(prev?.whitelists, next.whitelists)) store.transfers.saveWhitelist(w);
  }
  // Governance records do not touch transfers; only a full comparison (no record) looks at them.
  if (everything) for (const t of changed(prev?.transfers, next.transfers)) store.transfers.save(t);
}

const isTransferRecord = (record: GovernanceRecord): record is TransferRecord => record.type.startsWith('transfer-');

/** Replay keeps every collection sorted by id: a binary search finds one entity without a pass over the history. */
function findById<T extends { id: string }>(list: readonly T[], id: string): T | undefined {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = list[mid] as T;
    if (x.id === id) return x;
    if (x.id < id) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}
