// The vault's own row: identity, settings and the seq its projections were last brought to.
import type Database from 'better-sqlite3';
import type { VaultSettings } from '../../../crypto/governance';

export interface VaultHeader {
  readonly vaultId: string;
  readonly vaultName: string;
  readonly createdAt: string;
  /** The BIP-32 path of every member's vault identity, fixed at genesis. */
  readonly identityPath: string;
  readonly seq: number;
  readonly settings: VaultSettings;
  readonly founding: boolean;
}

export interface VaultRepository {
  get(): VaultHeader | null;
  /** Inserts the row at genesis, updates it after. */
  save(header: VaultHeader): void;
}

interface Row {
  vault_id: string;
  name: string;
  created_at: string;
  identity_path: string;
  seq: number;
  admin_quorum: number;
  proposer_may_approve: number;
  founding: number;
}

export function vaultRepository(db: Database.Database): VaultRepository {
  const select = db.prepare('SELECT * FROM vault WHERE id = 1');
  const upsert = db.prepare(`
    INSERT INTO vault (id, vault_id, name, created_at, identity_path, seq, admin_quorum, proposer_may_approve, founding)
    VALUES (1, @vaultId, @vaultName, @createdAt, @identityPath, @seq, @adminQuorum, @proposerMayApprove, @founding)
    ON CONFLICT (id) DO UPDATE SET vault_id = excluded.vault_id, name = excluded.name, created_at = excluded.created_at,
      identity_path = excluded.identity_path, seq = excluded.seq, admin_quorum = excluded.admin_quorum,
      proposer_may_approve = excluded.proposer_may_approve, founding = excluded.founding`);
  return {
    get() {
      const row = select.get() as Row | undefined;
      if (row === undefined) return null;
      return {
        vaultId: row.vault_id,
        vaultName: row.name,
        createdAt: row.created_at,
        identityPath: row.identity_path,
        seq: row.seq,
        settings: { adminQuorum: row.admin_quorum, proposerMayApprove: row.proposer_may_approve === 1 },
        founding: row.founding === 1,
      };
    },
    save(h) {
      upsert.run({
        vaultId: h.vaultId,
        vaultName: h.vaultName,
        createdAt: h.createdAt,
        identityPath: h.identityPath,
        seq: h.seq,
        adminQuorum: h.settings.adminQuorum,
        proposerMayApprove: h.settings.proposerMayApprove ? 1 : 0,
        founding: h.founding ? 1 : 0,
      });
    },
  };
}
