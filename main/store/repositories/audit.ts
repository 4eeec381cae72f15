// The hash-chained audit log: append, page with filters, and stream the whole chain for verification and export.
import type Database from 'better-sqlite3';
import type { AuditEntry } from '../../../crypto/audit-chain';
import type { CanonicalValue } from '../../../crypto/canonical';
import { fromJson, toJson } from './json';

export interface AuditFilter {
  readonly offset: number;
  readonly limit: number;
  readonly actor?: string;
  readonly action?: string;
}

export interface AuditRepository {
  append(entry: AuditEntry): void;
  last(): AuditEntry | null;
  count(): number;
  /** Newest first; `total` counts every entry the filter matches. */
  page(filter: AuditFilter): { total: number; entries: AuditEntry[] };
  /** Oldest first from after `afterSeq`, without loading the whole table at once. */
  iterate(afterSeq?: number): IterableIterator<AuditEntry>;
}

interface Row {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  payload: string;
  device_signature: string | null;
  prev_hash: string;
  hash: string;
}

function toEntry(r: Row): AuditEntry {
  return {
    seq: r.seq,
    at: r.at,
    actor: r.actor,
    action: r.action,
    subject: r.subject,
    payload: fromJson<CanonicalValue>(r.payload, `payload of audit entry ${r.seq}`),
    ...(r.device_signature === null ? {} : { deviceSignature: r.device_signature }),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function auditRepository(db: Database.Database): AuditRepository {
  const insert = db.prepare(`
    INSERT INTO audit_entries (seq, at, actor, action, subject, payload, device_signature, prev_hash, hash)
    VALUES (@seq, @at, @actor, @action, @subject, @payload, @deviceSignature, @prevHash, @hash)`);
  const selectLast = db.prepare('SELECT * FROM audit_entries ORDER BY seq DESC LIMIT 1');
  const selectCount = db.prepare('SELECT COUNT(*) AS n FROM audit_entries');
  const selectAfter = db.prepare('SELECT * FROM audit_entries WHERE seq > ? ORDER BY seq');
  // One statement per filter shape, so SQLite picks the matching index (actor, seq) or (action, seq).
  const where = (f: AuditFilter): string =>
    [f.actor !== undefined ? 'actor = @actor' : null, f.action !== undefined ? 'action = @action' : null].filter((c) => c !== null).join(' AND ') || '1';
  const statements = new Map<string, { count: Database.Statement; page: Database.Statement }>();
  const forFilter = (f: AuditFilter) => {
    const w = where(f);
    let s = statements.get(w);
    if (s === undefined) {
      s = {
        count: db.prepare(`SELECT COUNT(*) AS n FROM audit_entries WHERE ${w}`),
        page: db.prepare(`SELECT * FROM audit_entries WHERE ${w} ORDER BY seq DESC LIMIT @limit OFFSET @offset`),
      };
      statements.set(w, s);
    }
    return s;
  };
  return {
    append(e) {
      insert.run({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        action: e.action,
        subject: e.subject,
        payload: toJson(e.payload),
        deviceSignature: e.deviceSignature ?? null,
        prevHash: e.prevHash,
        hash: e.hash,
      });
    },
    last() {
      const row = selectLast.get() as Row | undefined;
      return row === undefined ? null : toEntry(row);
    },
    count: () => (selectCount.get() as { n: number }).n,
    page(f) {
      const s = forFilter(f);
      const params: Record<string, unknown> = {};
      if (f.actor !== undefined) params.actor = f.actor;
      if (f.action !== undefined) params.action = f.action;
      const total = (s.count.get(params) as { n: number }).n;
      const entries = (s.page.all({ ...params, limit: f.limit, offset: f.offset }) as Row[]).map(toEntry);
      return { total, entries };
    },
    *iterate(afterSeq = -1) {
      for (const row of selectAfter.iterate(afterSeq) as IterableIterator<Row>) yield toEntry(row);
    },
  };
}
