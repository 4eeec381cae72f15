// The verified checkpoint: one row holding the replayed state at a seq and what binds it to the log and the audit chain.
import type Database from 'better-sqlite3';

export interface CheckpointRow {
  /** The seq of the last record the state includes (records 0..seq). */
  readonly seq: number;
  /** The replayed state at seq, canonical JSON. */
  readonly state: string;
  /** 0x-hex SHA-256 of `state` (as stateDigest computes it). */
  readonly stateDigest: string;
  /** The log's fingerprint after record seq (main/store/log-head.ts extendFingerprint). */
  readonly logFingerprint: string;
  /** The audit chain's head when record seq was committed. */
  readonly auditSeq: number;
  readonly auditHash: string;
  readonly writtenAt: string;
}

export interface CheckpointRepository {
  get(): CheckpointRow | null;
  /** Replaces the checkpoint; call inside the transaction of the commit it describes. */
  save(row: CheckpointRow): void;
}

interface Row {
  seq: number;
  state: string;
  state_digest: string;
  log_fingerprint: string;
  audit_seq: number;
  audit_hash: string;
  written_at: string;
}

export function checkpointRepository(db: Database.Database): CheckpointRepository {
  const select = db.prepare('SELECT seq, state, state_digest, log_fingerprint, audit_seq, audit_hash, written_at FROM checkpoint WHERE id = 1');
  const upsert = db.prepare(`
    INSERT INTO checkpoint (id, seq, state, state_digest, log_fingerprint, audit_seq, audit_hash, written_at)
    VALUES (1, @seq, @state, @stateDigest, @logFingerprint, @auditSeq, @auditHash, @writtenAt)
    ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, state = excluded.state, state_digest = excluded.state_digest,
      log_fingerprint = excluded.log_fingerprint, audit_seq = excluded.audit_seq, audit_hash = excluded.audit_hash, written_at = excluded.written_at`);
  return {
    get() {
      const r = select.get() as Row | undefined;
      if (r === undefined) return null;
      return { seq: r.seq, state: r.state, stateDigest: r.state_digest, logFingerprint: r.log_fingerprint, auditSeq: r.audit_seq, auditHash: r.audit_hash, writtenAt: r.written_at };
    },
    save(row) {
      upsert.run(row);
    },
  };
}
