// Reads the store's projections as a governance state, and brings them to a newly replayed state (only what changed).
import { findSorted, type GovernanceState, type StateChanges } from '../../crypto/governance';
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
 * Writes the replayed state `next` into the tables: the vault row, then exactly the entities replay says the record
 * changed (`changes`), or every entity when there are none to go by (genesis). Called inside the state change's
 * transaction. Governance never deletes an entity (revoked users and closed proposals stay), so there is nothing to
 * remove, and the cost is that of what the record touched, not of the history.
 */
export function writeProjection(store: Store, next: GovernanceState, identityPath: string, changes: StateChanges | null): void {
  store.vault.save({
    vaultId: next.vaultId,
    vaultName: next.vaultName,
    createdAt: next.createdAt,
    identityPath,
    seq: next.seq,
    settings: next.settings,
    founding: next.founding,
  });
  const pick = <T>(list: readonly T[], key: (x: T) => string, ids: readonly string[] | null): readonly T[] =>
    ids === null ? list : ids.map((id) => findSorted(list, id, key) ?? missing(id));
  const byId = (x: { id: string }) => x.id;
  // Users first: groups, proposals and decisions refer to them.
  for (const u of pick(next.users, byId, changes?.users ?? null)) store.users.save(u);
  for (const g of pick(next.groups, byId, changes?.groups ?? null)) store.groups.save(g);
  for (const p of pick(next.proposals, byId, changes?.proposals ?? null)) store.proposals.save(p);
  for (const w of pick(next.wallets, byId, changes?.wallets ?? null)) store.wallets.save(w);
  for (const p of pick(next.policies, (x) => x.walletId, changes?.policies ?? null)) store.transfers.savePolicy(p);
  for (const w of pick(next.whitelists, byId, changes?.whitelists ?? null)) store.transfers.saveWhitelist(w);
  for (const t of pick(next.transfers, byId, changes?.transfers ?? null)) store.transfers.save(t);
}

function missing(id: string): never {
  throw new Error(`replay named ${id} as changed but the state does not hold it`);
}
