// The team stream's cursor: which stream entries this console consumed, and whether each became a record or was refused.
import type Database from 'better-sqlite3';

export interface TeamEntry {
  readonly streamSeq: number;
  /** The record it became, or null when it was refused. */
  readonly recordSeq: number | null;
  /** Why it was refused, in words, or null. */
  readonly refused: string | null;
  /** sha256 hex of the entry as sent (its Nats-Msg-Id when an honest console sent it). */
  readonly bodyHash: string;
  /** The start of a refused entry's body, for whoever investigates; null for a record (the log holds it whole). */
  readonly excerpt: string | null;
  /** The seq of this console's own unpublished record that this (valid) entry contests, or null. */
  readonly conflictsWith?: number | null;
  readonly seenAt: string;
}

export interface TeamEntryRepository {
  record(entry: TeamEntry): void;
  /** The last stream sequence consumed (0 when none). */
  cursor(): number;
  /** The stream sequence a record came from, or null (made here before joining, or from a bundle). */
  streamSeqOf(recordSeq: number): number | null;
  /** The highest record seq that came from (or went to) the stream, or null. */
  lastMappedRecord(): number | null;
  refusedCount(): number;
  /** A refused entry contesting this console's own record `seq`, or null. */
  conflictAt(seq: number): TeamEntry | null;
  /** Refused entries, newest first. */
  refusals(limit: number): TeamEntry[];
}

interface Row {
  stream_seq: number;
  record_seq: number | null;
  refused: string | null;
  body_hash: string;
  excerpt: string | null;
  conflicts_with: number | null;
  seen_at: string;
}

const toEntry = (r: Row): TeamEntry => ({ streamSeq: r.stream_seq, recordSeq: r.record_seq, refused: r.refused, bodyHash: r.body_hash, excerpt: r.excerpt, conflictsWith: r.conflicts_with, seenAt: r.seen_at });

export function teamEntryRepository(db: Database.Database): TeamEntryRepository {
  const insert = db.prepare('INSERT INTO team_entries (stream_seq, record_seq, refused, body_hash, excerpt, conflicts_with, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const selectConflict = db.prepare('SELECT * FROM team_entries WHERE conflicts_with = ? ORDER BY stream_seq LIMIT 1');
  const selectCursor = db.prepare('SELECT MAX(stream_seq) AS s FROM team_entries');
  const selectOf = db.prepare('SELECT stream_seq FROM team_entries WHERE record_seq = ?');
  const selectLastRecord = db.prepare('SELECT MAX(record_seq) AS r FROM team_entries');
  const selectRefusedCount = db.prepare('SELECT COUNT(*) AS n FROM team_entries WHERE refused IS NOT NULL');
  const selectRefusals = db.prepare('SELECT * FROM team_entries WHERE refused IS NOT NULL ORDER BY stream_seq DESC LIMIT ?');
  return {
    record(e) {
      insert.run(e.streamSeq, e.recordSeq, e.refused, e.bodyHash, e.excerpt, e.conflictsWith ?? null, e.seenAt);
    },
    cursor: () => (selectCursor.get() as { s: number | null }).s ?? 0,
    streamSeqOf: (seq) => (selectOf.get(seq) as { stream_seq: number } | undefined)?.stream_seq ?? null,
    lastMappedRecord: () => (selectLastRecord.get() as { r: number | null }).r,
    refusedCount: () => (selectRefusedCount.get() as { n: number }).n,
    conflictAt: (seq) => {
      const row = selectConflict.get(seq) as Row | undefined;
      return row === undefined ? null : toEntry(row);
    },
    refusals: (limit) => (selectRefusals.all(limit) as Row[]).map(toEntry),
  };
}
