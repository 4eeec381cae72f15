// Applies pending schema migrations in one transaction and records them; refuses a database from a newer Custos.
import type Database from 'better-sqlite3';
import { CustosError } from '../errors';
import { MIGRATIONS, type Migration } from './migrations';

/** The highest migration recorded in the database (0 for a new file). */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the database to the last of `migrations` (all this build knows, unless a test asks for fewer).
 * BEGIN IMMEDIATE: a second process starting at the same moment waits, then finds nothing left to do.
 * Returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, now: () => Date = () => new Date()): number[] {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const known = migrations.length;
  const run = db.transaction((): number[] => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
    const current = schemaVersion(db);
    if (current > known) {
      throw new CustosError(
        'DATABASE_TOO_NEW',
        `This vault was written by a newer Custos (schema ${current}); this build knows up to ${known}. Update Custos to open it; nothing was changed.`,
        { schema: current, known },
      );
    }
    const applied: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations.slice(current)) {
      db.exec(m.sql);
      record.run(m.version, m.name, now().toISOString());
      applied.push(m.version);
    }
    const broken = db.pragma('foreign_key_check') as unknown[];
    if (broken.length > 0) throw new Error(`the migration left ${broken.length} broken reference(s); nothing was changed`);
    return applied;
  });
  // PRAGMA foreign_keys is a no-op inside a transaction: SQLite's table-rebuild procedure turns it off around one.
  const rebuilds = migrations.slice(schemaVersionOrZero(db)).some((m) => m.rebuildsTables === true);
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  if (rebuilds && enforced) db.pragma('foreign_keys = OFF');
  try {
    return run.immediate();
  } finally {
    if (rebuilds && enforced) db.pragma('foreign_keys = ON');
  }
}

function schemaVersionOrZero(db: Database.Database): number {
  try {
    return schemaVersion(db);
  } catch {
    return 0;
  }
}
