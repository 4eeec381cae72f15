// Migration 6: the log takes node-key records (a custodian's signer node, registered on their device), and each user's
// row carries their registered node (JSON: node id, keys, the seq that registered it), a projection like the rest.
import type { Migration } from './types';

/* SQLite cannot change a CHECK constraint in place: `records` is rebuilt as in migration 2 (new table, copy, drop, rename). */
export const migration006: Migration = {
  version: 6,
  name: 'node-key-records',
  rebuildsTables: true,
  sql: `
CREATE TABLE records_next (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  type TEXT NOT NULL CHECK (type IN ('genesis', 'proposal', 'approval', 'rejection', 'wallet-key', 'transfer-request', 'transfer-approval', 'transfer-rejection', 'transfer-signed', 'transfer-cancel', 'node-key')),
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
ALTER TABLE users ADD COLUMN node TEXT;
`,
};
