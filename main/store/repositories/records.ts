// The signed governance log: append-only canonical JSON records numbered by seq.
import type Database from 'better-sqlite3';
import type { GovernanceRecord } from '../../../crypto/governance';
import { toJson } from './json';

export interface StoredRecord {
  readonly seq: number;
  /** Canonical JSON exactly as appended; parsed by replay, which checks its shape. */
  readonly body: string;
}

export interface RecordRepository {
  append(record: GovernanceRecord, recordedAt: string): void;
  /** The whole log in seq order (replay reads it all; a vault's governance log is thousands of records, not millions). */
  all(): StoredRecord[];
  /** Records after `seq` in seq order (the tail a checkpoint does not cover). */
  after(seq: number): StoredRecord[];
  /** The whole log in seq order, one row at a time (fingerprinting a long log without holding it twice). */
  iterate(): IterableIterator<StoredRecord>;
  count(): number;
  /** The records from `seq` on, in seq order (what a reader that holds the rest lacks). */
  from(seq: number): StoredRecord[];
  /** The record at `seq`'s body, or null. */
  bodyAt(seq: number): string | null;
  lastSeq(): number | null;
  /**
   * When the record at `seq` was made: the time it signed (createdAt, or a transfer decision's at), else, for an
   * approval of a proposal (which signs no time), when this store appended it; null if there is no such record.
   */
  timeOf(seq: number): string | null;
}

export function recordRepository(db: Database.Database): RecordRepository {
  const insert = db.prepare('INSERT INTO records (seq, type, body, recorded_at) VALUES (?, ?, ?, ?)');
  const selectAll = db.prepare('SELECT seq, body FROM records ORDER BY seq');
  const selectFrom = db.prepare('SELECT seq, body FROM records WHERE seq >= ? ORDER BY seq');
  const selectBody = db.prepare('SELECT body FROM records WHERE seq = ?');
  const selectLast = db.prepare('SELECT MAX(seq) AS seq FROM records');
  const selectAfter = db.prepare('SELECT seq, body FROM records WHERE seq > ? ORDER BY seq');
  const selectCount = db.prepare('SELECT COUNT(*) AS n FROM records');
  const selectTime = db.prepare("SELECT COALESCE(json_extract(body, '$.createdAt'), json_extract(body, '$.at'), recorded_at) AS at FROM records WHERE seq = ?");
  return {
    append(record, recordedAt) {
      insert.run(record.seq, record.type, toJson(record), recordedAt);
    },
    all: () => selectAll.all() as StoredRecord[],
    after: (seq) => selectAfter.all(seq) as StoredRecord[],
    iterate: () => selectAll.iterate() as IterableIterator<StoredRecord>,
    count: () => (selectCount.get() as { n: number }).n,
    from: (seq) => selectFrom.all(seq) as StoredRecord[],
    bodyAt: (seq) => (selectBody.get(seq) as { body: string } | undefined)?.body ?? null,
    lastSeq: () => (selectLast.get() as { seq: number | null }).seq,
    timeOf: (seq) => (selectTime.get(seq) as { at: string | null } | undefined)?.at ?? null,
  };
}
