// Opens the vault's SQLite file with the settings a custody log needs, and migrates it.
import Database from 'better-sqlite3';
import { CustosError } from '../errors';
import { migrate } from './migrate';
import { MIGRATIONS, type Migration } from './migrations';

export const DATABASE_FILE = 'custos.sqlite';

export interface OpenOptions {
  /** For tests that build a database at an earlier schema; the app always applies every migration. */
  readonly migrations?: readonly Migration[];
  readonly readonly?: boolean;
  /** Told which migrations this open applied (none when the file was already up to date). */
  readonly onMigrated?: (applied: readonly number[]) => void;
}

/**
 * WAL (readers never block the writer), foreign keys on, a busy timeout so a second process waits
 * instead of failing, and synchronous = FULL: each commit is on disk before Custos says it happened.
 * Writes are human-paced (each one waits on a device confirmation), so the fsync per commit costs
 * nothing anyone notices, and an approval a person saw recorded survives a power cut. (NORMAL in WAL
 * stays consistent after a crash but may lose the last commits on power loss.)
 */
export function openDatabase(file: string, options: OpenOptions = {}): Database.Database {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  } catch (err) {
    throw new CustosError('STORE_ERROR', `The vault database ${file} cannot be opened: ${(err as Error).message}. Check the folder exists and is writable.`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = FULL');
    if (!options.readonly) {
      const applied = migrate(db, options.migrations ?? MIGRATIONS);
      options.onMigrated?.(applied);
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof CustosError) throw err;
    throw new CustosError('STORE_ERROR', `The vault database ${file} could not be prepared: ${(err as Error).message}.`);
  }
}
