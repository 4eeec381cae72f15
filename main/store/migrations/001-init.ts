// Migration 1: the signed record log, its projections (vault, users, groups, proposals, decisions) and the audit chain.
import type { Migration } from './types';

/*
 * Nothing secret lives here: users are public keys, addresses and signatures. JSON columns hold
 * canonical JSON (crypto/canonical.ts) so a row reads back byte for byte as it was signed or hashed.
 * The append-only tables refuse UPDATE and DELETE with triggers: that stops a bug, not an attacker
 * (who can drop a trigger); the replay guard and the audit chain are what catch an attacker.
 */
export const migration001: Migration = {
  version: 1,
  name: 'init',
  sql: `
CREATE TABLE records (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  type TEXT NOT NULL CHECK (type IN ('genesis', 'proposal', 'approval', 'rejection')),
  body TEXT NOT NULL,
  recorded_at TEXT NOT NULL
) STRICT;
CREATE TRIGGER records_append_only_update BEFORE UPDATE ON records
  BEGIN SELECT RAISE(ABORT, 'the signed record log is append-only'); END;
CREATE TRIGGER records_append_only_delete BEFORE DELETE ON records
  BEGIN SELECT RAISE(ABORT, 'the signed record log is append-only'); END;

CREATE TABLE vault (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  vault_id TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  identity_path TEXT NOT NULL,
  seq INTEGER NOT NULL,
  admin_quorum INTEGER NOT NULL,
  proposer_may_approve INTEGER NOT NULL CHECK (proposer_may_approve IN (0, 1)),
  founding INTEGER NOT NULL CHECK (founding IN (0, 1))
) STRICT;

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  roles TEXT NOT NULL,
  registered_roles TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
  identity_address TEXT NOT NULL,
  identity_public_key TEXT NOT NULL,
  encryption_key TEXT NOT NULL,
  device_path TEXT NOT NULL,
  registration_signature TEXT NOT NULL,
  registered_at_seq INTEGER NOT NULL,
  admin_since_seq INTEGER
) STRICT;
CREATE INDEX users_by_address ON users (identity_address);

CREATE TABLE groups (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL
) STRICT;

CREATE TABLE group_members (
  group_id TEXT NOT NULL REFERENCES groups (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  position INTEGER NOT NULL,
  PRIMARY KEY (group_id, user_id)
) STRICT;

CREATE TABLE proposals (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE REFERENCES records (seq),
  proposer_id TEXT NOT NULL REFERENCES users (id),
  action TEXT NOT NULL,
  change TEXT NOT NULL,
  digest TEXT NOT NULL,
  created_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'failed')),
  closed_at_seq INTEGER,
  reason TEXT
) STRICT;
CREATE INDEX proposals_by_status ON proposals (status, seq);

CREATE TABLE proposal_decisions (
  proposal_id TEXT NOT NULL REFERENCES proposals (id),
  user_id TEXT NOT NULL REFERENCES users (id),
  kind TEXT NOT NULL CHECK (kind IN ('approval', 'rejection')),
  seq INTEGER NOT NULL REFERENCES records (seq),
  PRIMARY KEY (proposal_id, user_id)
) STRICT;

CREATE TABLE audit_entries (
  seq INTEGER PRIMARY KEY CHECK (seq >= 0),
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload TEXT NOT NULL,
  device_signature TEXT,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
) STRICT;
-- audit.list filters by actor or action and pages newest first: each filter has its own index ending in seq.
CREATE INDEX audit_by_actor ON audit_entries (actor, seq);
CREATE INDEX audit_by_action ON audit_entries (action, seq);
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit_entries
  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
};
