// Reads the store's projections as a governance state, and brings them to a newly replayed state (only what changed).
import { canonicalize } from '../../crypto/canonical';
import type { GovernanceState, PolicyState } from '../../crypto/governance';
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
 * Writes `next` over `prev` (both replayed states): the vault row, then each user, group and proposal
 * whose content changed. Called inside the state change's transaction. Governance never deletes an
 * entity (revoked users and closed proposals stay), so there is nothing to remove.
 */
export function writeProjection(store: Store, prev: GovernanceState | null, next: GovernanceState, identityPath: string): void {
  store.vault.save({
    vaultId: next.vaultId,
    vaultName: next.vaultName,
    createdAt: next.createdAt,
    identityPath,
    seq: next.seq,
    settings: next.settings,
    founding: next.founding,
  });
  const changed = <T extends { id: string }>(before: readonly T[] | undefined, after: readonly T[]): T[] => {
    const old = new Map((before ?? []).map((x) => [x.id, canonicalize(x)]));
    return after.filter((x) => old.get(x.id) !== canonicalize(x));
  };
  // Users first: groups, proposals and decisions refer to them.
  for (const u of changed(prev?.users, next.users)) store.users.save(u);
  for (const g of changed(prev?.groups, next.groups)) store.groups.save(g);
  for (const p of changed(prev?.proposals, next.proposals)) store.proposals.save(p);
  for (const w of changed(prev?.wallets, next.wallets)) store.wallets.save(w);
  const byWallet = (ps: readonly PolicyState[] | undefined) => (ps ?? []).map((p) => ({ ...p, id: p.walletId }));
  for (const p of changed(byWallet(prev?.policies), byWallet(next.policies))) store.transfers.savePolicy(p);
  for (const w of changed(prev?.whitelists, next.whitelists)) store.transfers.saveWhitelist(w);
  for (const t of changed(prev?.transfers, next.transfers)) store.transfers.save(t);
}
