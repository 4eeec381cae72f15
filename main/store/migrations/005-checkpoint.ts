// Migration 5: the verified checkpoint, the replayed state at one seq bound to the log and audit chain up to it, so
// start-up and the check before each change work from it plus the records after it instead of from genesis.
import type { Migration } from './types';

export const migration005: Migration = {
  version: 5,
  name: 'checkpoint',
  // One row: only the newest checkpoint is kept (an older one saves nothing a newer one does not). It is written in the
  // transaction of the commit it describes, so it never names a record that is not there.
  sql: `
CREATE TABLE checkpoint (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL CHECK (seq >= 0),
  state TEXT NOT NULL,
  state_digest TEXT NOT NULL,
  log_fingerprint TEXT NOT NULL,
  audit_seq INTEGER NOT NULL,
  audit_hash TEXT NOT NULL,
  written_at TEXT NOT NULL
) STRICT;
`,
};
