// The vault's store: one SQLite file, its repositories, and the one way to write (a transaction).
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { DATABASE_FILE, openDatabase, type OpenOptions } from './database';
import { headOf, logHeadFile, writeLogHead } from './log-head';
import { auditRepository, type AuditRepository } from './repositories/audit';
import { checkpointRepository, type CheckpointRepository } from './repositories/checkpoint';
import { groupRepository, type GroupRepository } from './repositories/groups';
import { proposalRepository, type ProposalRepository } from './repositories/proposals';
import { recordRepository, type RecordRepository } from './repositories/records';
import { userRepository, type UserRepository } from './repositories/users';
import { vaultRepository, type VaultRepository } from './repositories/vault';
import { walletRepository, type WalletRepository } from './repositories/wallets';
import { transferRepository, type TransferRepository } from './repositories/transfers';
import { teamEntryRepository, type TeamEntryRepository } from './repositories/team-entries';

export { DATABASE_FILE } from './database';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';
export type { VaultHeader } from './repositories/vault';
export type { AuditFilter } from './repositories/audit';
export type { StoredRecord } from './repositories/records';
export type { SealedShareRow } from './repositories/wallets';
export type { UtxoRow } from './repositories/transfers';
export type { CheckpointRow } from './repositories/checkpoint';
export type { TeamEntry } from './repositories/team-entries';

/** The schema version that came with the log's head file (migration 3). */
const HEAD_FILE_SINCE = 3;

export class Store {
  readonly records: RecordRepository;
  readonly vault: VaultRepository;
  readonly users: UserRepository;
  readonly groups: GroupRepository;
  readonly proposals: ProposalRepository;
  readonly audit: AuditRepository;
  readonly wallets: WalletRepository;
  readonly transfers: TransferRepository;
  readonly checkpoint: CheckpointRepository;
  readonly teamEntries: TeamEntryRepository;

  private constructor(readonly db: Database.Database, readonly file: string) {
    this.records = recordRepository(db);
    this.vault = vaultRepository(db);
    this.users = userRepository(db);
    this.groups = groupRepository(db);
    this.proposals = proposalRepository(db);
    this.audit = auditRepository(db);
    this.wallets = walletRepository(db);
    this.transfers = transferRepository(db);
    this.checkpoint = checkpointRepository(db);
    this.teamEntries = teamEntryRepository(db);
  }

  /** Opens (creating if needed) `<dataDir>/custos.sqlite` and applies pending migrations. */
  static open(dataDir: string, options: OpenOptions = {}): Store {
    const file = path.join(dataDir, DATABASE_FILE);
    let applied: readonly number[] = [];
    const store = new Store(openDatabase(file, { ...options, onMigrated: (a) => (applied = a) }), file);
    // A vault made before the log had a head file (schema < 3) gets one now, from its log as it stands; from here on a
    // log cut short is caught. Only the migration that introduced it does this: a head file deleted later is tampering.
    const headFile = logHeadFile(file);
    if (applied.includes(HEAD_FILE_SINCE) && store.records.lastSeq() !== null && !existsSync(headFile)) writeLogHead(headFile, headOf(store.records.all()));
    return store;
  }

  /**
   * Runs `work` as one IMMEDIATE transaction: every write of a state change (record, projections, audit
   * entry) commits together or not at all, and a second process waits for the write lock up front.
   */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /** Changes when another connection (another process, or sqlite3 by hand) commits to the file. */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
