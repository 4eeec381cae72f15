// Schema migrations on real files: from empty, from each earlier version, and a database from a newer Custos refused.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CustosError } from '../../main/errors';
import { DATABASE_FILE, LATEST_SCHEMA_VERSION, MIGRATIONS, Store } from '../../main/store';
import { openDatabase } from '../../main/store/database';
import { schemaVersion } from '../../main/store/migrate';
import { foundedVault, harness, tempDir, type Harness } from '../vault/helpers';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

function healthy(file: string): void {
  const db = new Database(file, { readonly: true });
  expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  expect(db.pragma('foreign_key_check')).toEqual([]);
  db.close();
}

describe('migrations', () => {
  it('numbers migrations 1, 2, 3… with no gap', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates every table from empty, records each migration, and sets WAL, foreign keys and FULL sync', () => {
    const dir = tempDir('custos-store-');
    const store = Store.open(dir);
    expect(schemaVersion(store.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    expect(Number(store.db.pragma('busy_timeout', { simple: true }))).toBeGreaterThan(0);
    expect(tables(store.db)).toEqual(
      expect.arrayContaining(['schema_migrations', 'records', 'vault', 'users', 'groups', 'group_members', 'proposals', 'proposal_decisions', 'audit_entries', 'wallets', 'wallet_shares']),
    );
    const recorded = store.db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    store.close();
    // Opening again applies nothing.
    const again = Store.open(dir);
    expect(again.db.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get()).toEqual({ n: MIGRATIONS.length });
    again.close();
    healthy(path.join(dir, DATABASE_FILE));
  });

  // One case per earlier version: when 002 comes, "from 1" runs here with a vault written at schema 1.
  for (let from = 1; from < LATEST_SCHEMA_VERSION; from++) {
    it(`migrates a vault written at schema ${from} to ${LATEST_SCHEMA_VERSION}, keeping its data`, () => {
      const dir = tempDir('custos-store-');
      // Rows that refer to the log: a rebuild of `records` must keep every reference intact.
      const old = openDatabase(path.join(dir, DATABASE_FILE), { migrations: MIGRATIONS.slice(0, from) });
      old.exec(`INSERT INTO records (seq, type, body, recorded_at) VALUES (0, 'genesis', '{}', '2026-01-01T00:00:00Z'), (1, 'proposal', '{}', '2026-01-01T00:00:01Z');
        INSERT INTO users (id, name, roles, registered_roles, status, identity_address, identity_public_key, encryption_key, device_path, registration_signature, registered_at_seq)
          VALUES ('u1', 'Ann', '[]', '[]', 'active', '0x', '0x', '0x', 'm', '0x', 0);
        INSERT INTO proposals (id, seq, proposer_id, action, change, digest, created_at, status) VALUES ('p1', 1, 'u1', '{}', '{}', '0x', '2026-01-01T00:00:01Z', 'pending');
        INSERT INTO proposal_decisions (proposal_id, user_id, kind, seq) VALUES ('p1', 'u1', 'approval', 1);`);
      old.close();
      const store = Store.open(dir);
      expect(schemaVersion(store.db)).toBe(LATEST_SCHEMA_VERSION);
      expect(store.records.all().map((r) => r.seq)).toEqual([0, 1]);
      expect(store.db.prepare('SELECT COUNT(*) AS n FROM proposal_decisions').get()).toEqual({ n: 1 });
      expect(store.db.pragma('foreign_key_check')).toEqual([]);
      expect(store.db.pragma('foreign_keys', { simple: true })).toBe(1);
      // The log stays append-only after its rebuild.
      expect(() => store.db.prepare('DELETE FROM records WHERE seq = 1').run()).toThrow(/append-only/);
      store.close();
      healthy(path.join(dir, DATABASE_FILE));
    });
  }

  it(`migrates a vault with history from the earliest schema it can hold data in (1) to ${LATEST_SCHEMA_VERSION}`, async () => {
    const h = harness();
    open.push(h);
    await foundedVault(h);
    const before = h.vault.listUsers();
    h.reopen();
    expect(schemaVersion(h.store.db)).toBe(LATEST_SCHEMA_VERSION);
    expect(h.vault.listUsers()).toEqual(before);
    expect(h.vault.verify().status).toBe('ok');
  });

  it('a failing migration changes nothing (one transaction)', () => {
    const dir = tempDir('custos-store-');
    const broken = [...MIGRATIONS, { version: MIGRATIONS.length + 1, name: 'broken', sql: 'CREATE TABLE half_done (x); SELECT * FROM no_such_table;' }];
    expect(() => Store.open(dir, { migrations: broken })).toThrow(CustosError);
    const db = new Database(path.join(dir, DATABASE_FILE));
    expect(tables(db)).not.toContain('half_done');
    expect(tables(db)).not.toContain('records');
    db.close();
  });

  it('refuses a database written by a newer Custos, with a message that says to update', () => {
    const dir = tempDir('custos-store-');
    Store.open(dir).close();
    const db = new Database(path.join(dir, DATABASE_FILE));
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'from-the-future', '2030-01-01T00:00:00Z')").run(LATEST_SCHEMA_VERSION + 1);
    db.close();
    let error: unknown;
    try {
      Store.open(dir);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CustosError);
    expect((error as CustosError).code).toBe('DATABASE_TOO_NEW');
    expect((error as CustosError).message).toBe(
      `This vault was written by a newer Custos (schema ${LATEST_SCHEMA_VERSION + 1}); this build knows up to ${LATEST_SCHEMA_VERSION}. Update Custos to open it; nothing was changed.`,
    );
  });
});
