// Migration 2: wallets (a projection of the log), their sealed shares, and the log's new record type 'wallet-key'.
import type { Migration } from './types';

/*
 * SQLite cannot change a CHECK constraint in place, so `records` is rebuilt the way SQLite documents it (new table,
 * copy, drop, rename), with foreign keys off for the rebuild and checked before commit (see migrate.ts).
 * Sealed shares are ciphertexts only a custodian's device can open; the log holds their digests, so a swapped
 * row is caught by the replay guard.
 */
export const migration002: Migration = {
  version: 2,
  name: 'wallets',
  rebuildsTables: true,
  sql: `
CREATE TABLE records_next (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  type TEXT NOT NULL CHECK (type IN ('genesis', 'proposal', 'approval', 'rejection', 'wallet-key')),
  body TEXT NOT NULL,
  recorded_at TEXT NOT NULL
) STRICT;
INSERT INTO records_next (seq, type, body, recorded_at) SELECT seq, type, body, recorded_at FROM records;
DROP TABLE records;
ALTER TABLE records_next RENAME TO records;
CREATE TRIGGER records_append_only_update BEFORE UPDATE ON records
  BEGIN SELECT RAISE(ABORT, 'the signed record log is append-only'); END;
CREATE TRIGGER records_append_only_delete BEFORE DELETE ON records
  BEGIN SELECT RAISE(ABORT, 'the signed record log is append-only'); END;

CREATE TABLE wallets (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  network TEXT NOT NULL CHECK (network IN ('mainnet', 'testnet', 'signet', 'regtest')),
  created_at_seq INTEGER NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('awaiting-key', 'active')),
  key TEXT,
  pending TEXT
) STRICT;

CREATE TABLE wallet_shares (
  wallet_id TEXT NOT NULL REFERENCES wallets (id),
  key_version INTEGER NOT NULL,
  party_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  sealed TEXT NOT NULL,
  PRIMARY KEY (wallet_id, key_version, party_id)
) STRICT;
`,
};
