// Migration 7: which entries of the vault's team stream (NATS JetStream) this console consumed, and what became of each.
import type { Migration } from './types';

/*
 * One row per stream entry read, written in the transaction of the record it applies (or alone when it was refused),
 * so a crash can neither skip nor apply an entry twice: the cursor is MAX(stream_seq). An entry either became a record
 * (record_seq) or was refused (refused: the reason in words, with a bounded excerpt of what was sent). Append-only, like
 * the log it mirrors. A vault that never joined a team has no rows. conflicts_with names this console's own record (one
 * the stream does not hold) that a valid record of the stream contests: that record and those after it cannot be pushed.
 */
export const migration007: Migration = {
  version: 7,
  name: 'team-entries',
  sql: `
CREATE TABLE team_entries (
  stream_seq INTEGER PRIMARY KEY CHECK (stream_seq >= 1),
  record_seq INTEGER UNIQUE REFERENCES records (seq),
  refused TEXT,
  body_hash TEXT NOT NULL,
  excerpt TEXT,
  conflicts_with INTEGER,
  seen_at TEXT NOT NULL,
  CHECK ((record_seq IS NULL) <> (refused IS NULL)),
  CHECK (conflicts_with IS NULL OR refused IS NOT NULL)
) STRICT;
CREATE TRIGGER team_entries_append_only_update BEFORE UPDATE ON team_entries
  BEGIN SELECT RAISE(ABORT, 'the team stream cursor is append-only'); END;
CREATE TRIGGER team_entries_append_only_delete BEFORE DELETE ON team_entries
  BEGIN SELECT RAISE(ABORT, 'the team stream cursor is append-only'); END;
`,
};
