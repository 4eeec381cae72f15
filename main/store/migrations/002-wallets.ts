// Migration 2: wallets, policies, whitelists and transfers (projections of the log), sealed shares, the log's new record types.
import type { Migration } from './types';

/*
 * SQLite cannot change a CHECK constraint in place, so `records` is rebuilt the way SQLite documents it (new table,
 * copy, drop, rename), with foreign keys off for the rebuild and checked before commit (see migrate.ts).
 * Sealed shares are ciphertexts only a custodian's device can open; the log holds their digests, so a swapped
 * row is caught by the replay guard.
 */
export const migration002: Migration = {
  version: 2,
  name: 'wallets-and-transfers',
  rebuildsTables: true,
  sql: `
CREATE TABLE records_next (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  type TEXT NOT NULL CHECK (type IN ('genesis', 'proposal', 'approval', 'rejection', 'wallet-key', 'transfer-request', 'transfer-approval', 'transfer-rejection', 'transfer-signed', 'transfer-cancel')),
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

CREATE TABLE policies (
  wallet_id TEXT PRIMARY KEY REFERENCES wallets (id),
  version INTEGER NOT NULL,
  hash TEXT NOT NULL,
  document TEXT NOT NULL,
  adopted_at_seq INTEGER NOT NULL
) STRICT;

CREATE TABLE whitelists (
  id TEXT PRIMARY KEY,
  hash TEXT NOT NULL,
  document TEXT NOT NULL,
  changed_at_seq INTEGER NOT NULL
) STRICT;

-- One row per request: the request record and its decisions as canonical JSON, plus the columns lists filter on.
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  wallet_id TEXT NOT NULL REFERENCES wallets (id),
  initiator_id TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  signed INTEGER NOT NULL CHECK (signed IN (0, 1)),
  body TEXT NOT NULL
) STRICT;
CREATE INDEX transfers_by_wallet ON transfers (wallet_id, seq);
CREATE INDEX transfers_by_signed ON transfers (signed, seq);

-- What the console knows of the chain: coins a wallet can spend (operational data, not governance: not in the log).
CREATE TABLE utxos (
  wallet_id TEXT NOT NULL REFERENCES wallets (id),
  txid TEXT NOT NULL,
  vout INTEGER NOT NULL,
  amount TEXT NOT NULL,
  path TEXT NOT NULL,
  label TEXT NOT NULL,
  spent_by TEXT,
  PRIMARY KEY (txid, vout)
) STRICT;
`,
};
