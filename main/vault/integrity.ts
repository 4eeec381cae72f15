// The replay guard: replays the signed log, compares it with the store's projections, and verifies the audit chain.
import { AUDIT_GENESIS_HASH, verifyChain, type AuditEntry, type ChainVerification } from '../../crypto/audit-chain';
import { diffState, replayReport, type GovernanceState } from '../../crypto/governance';
import type { IntegrityReport } from '../../preload/contract';
import type { Store } from '../store';
import { extendFingerprint, FINGERPRINT_START, LOG_HEAD_FILE, logHeadFile, readLogHead, writeLogHead, type LogHead } from '../store/log-head';
import { loadProjection, type Projection } from './projection';

export interface IntegrityCheck {
  /** The replay of the signed log, or null when the log does not replay (or there is none). */
  readonly replayed: GovernanceState | null;
  /** What the store's tables say, or null when there is no vault row. */
  readonly projection: Projection | null;
  readonly recordCount: number;
  readonly audit: ChainVerification;
  readonly report: IntegrityReport;
}

/** Audit entries verified per slice, so 100k entries never sit in memory at once. */
const AUDIT_SLICE = 5_000;

/**
 * Runs the checks, with two caches that keep them cheap before every state change:
 *  - replay (every signature verified) runs again only when the log's content changed: its fingerprint
 *    is recomputed from the stored bodies on every check, so an edited record is always re-verified;
 *  - the audit chain is verified in full when another connection wrote to the file since the last check
 *    (SQLite's data_version says so), else only the entries this process appended since.
 * The projections are compared with the replay on every check.
 */
export class IntegrityGuard {
  private log: { fingerprint: string; count: number; replayed: GovernanceState | null; problems: string[] } | null = null;
  private audit: { dataVersion: number; count: number; head: string } | null = null;
  /** What the MPC signer reported about this log (it saw more of it than the store holds): kept until restart. */
  private readonly signerProblems = new Set<string>();
  private readonly headFile: string;

  constructor(private readonly store: Store, private readonly now: () => Date) {
    this.headFile = logHeadFile(store.file);
  }

  /** A problem with the log that only the MPC signer can see (a tail it pinned that the store no longer holds). */
  noteSignerProblem(problem: string): void {
    this.signerProblems.add(problem);
  }

  check(options: { full?: boolean } = {}): IntegrityCheck {
    if (options.full) {
      this.log = null;
      this.audit = null;
    }
    const problems: string[] = [];
    const head = readLogHead(this.headFile);
    const log = this.checkLog(head);
    problems.push(...log.problems);
    const cut = headProblem(head, log.count, log.atHead);
    if (cut !== null) problems.push(cut);
    problems.push(...this.signerProblems);
    const projection = loadProjectionSafely(this.store, problems);
    if (log.replayed !== null && projection !== null) {
      for (const d of diffState(log.replayed, projection.state)) problems.push(`Store differs from the signed log: ${d.message}`);
    } else if (log.count > 0 && projection === null && problems.length === 0) {
      problems.push('The signed log exists but the vault row is missing from the store.');
    } else if (log.count === 0 && projection !== null) {
      problems.push('The store describes a vault but its signed log is empty: the log was deleted.');
    }
    const audit = this.checkAudit();
    if (!audit.valid) problems.push(`Audit log broken at entry ${audit.brokenAt ?? '?'}: ${audit.reason ?? 'unknown reason'}.`);
    // Every state change appends one record and one audit entry together, so a chain cut short at its
    // end (which no hash can show) or an entry added by hand shows as a count that differs.
    else if (audit.entries !== log.count) {
      problems.push(`Audit log has ${audit.entries} entries for ${log.count} signed records: every change writes one entry, so entries were removed or added.`);
    }
    return {
      replayed: log.replayed,
      projection,
      recordCount: log.count,
      audit,
      report: { status: problems.length === 0 ? 'ok' : 'tampered', problems, checkedAt: this.now().toISOString() },
    };
  }

  /**
   * After this process committed a record and an audit entry: extends both caches without re-verifying, and moves the
   * log's head file (kept apart from the database) to the new record.
   */
  committed(record: { seq: number; body: string }, state: GovernanceState, auditEntry: AuditEntry): void {
    if (this.log !== null && this.log.count === record.seq) {
      this.log = { fingerprint: extendFingerprint(this.log.fingerprint, record.seq, record.body), count: this.log.count + 1, replayed: state, problems: [] };
    } else {
      this.log = null;
      this.checkLog(null);
    }
    if (this.audit !== null) this.audit = { ...this.audit, count: this.audit.count + 1, head: auditEntry.hash };
    const log = this.log as { fingerprint: string; count: number } | null;
    if (log !== null) writeLogHead(this.headFile, { count: log.count, fingerprint: log.fingerprint });
  }

  private checkLog(head: LogHead | null | 'unreadable'): { replayed: GovernanceState | null; problems: string[]; count: number; atHead: string | null } {
    const stored = this.store.records.all();
    const headCount = head === null || head === 'unreadable' ? -1 : head.count;
    let fingerprint = FINGERPRINT_START;
    let atHead = headCount === 0 ? FINGERPRINT_START : null;
    for (const r of stored) {
      fingerprint = extendFingerprint(fingerprint, r.seq, r.body);
      if (r.seq === headCount - 1) atHead = fingerprint;
    }
    if (this.log !== null && this.log.fingerprint === fingerprint) return { ...this.log, atHead };
    const problems: string[] = [];
    const parsed: unknown[] = [];
    for (const r of stored) {
      try {
        parsed.push(JSON.parse(r.body));
      } catch {
        parsed.push(null);
      }
    }
    let replayed: GovernanceState | null = null;
    if (parsed.length > 0) {
      const { state, errors } = replayReport(parsed);
      for (const e of errors) problems.push(`Signed log, record ${e.seq ?? e.index}: ${e.problem} (${e.code}).`);
      replayed = state;
    }
    this.log = { fingerprint, count: stored.length, replayed, problems };
    return { ...this.log, atHead };
  }

  private checkAudit(): ChainVerification {
    const dataVersion = this.store.dataVersion();
    const count = this.store.audit.count();
    const cached = this.audit;
    // Only this process wrote since the last check: the entries verified then are unchanged.
    const from = cached !== null && cached.dataVersion === dataVersion && cached.count <= count && cached.count > 0
      ? { seq: cached.count - 1, hash: cached.head }
      : null;
    const result = verifyAuditChain(this.store, from);
    this.audit = result.valid ? { dataVersion, count: result.entries + (from === null ? 0 : from.seq + 1), head: result.head } : null;
    return from === null ? result : { ...result, entries: result.entries + from.seq + 1 };
  }
}

/**
 * Whether the log still reaches the head its file names. Every change writes one record and one audit entry, so a
 * tail cut off both (to undo a revocation, say) leaves hash chains and counts that hold: only a head kept apart shows it.
 */
function headProblem(head: LogHead | null | 'unreadable', count: number, atHead: string | null): string | null {
  if (head === 'unreadable') return `The signed log's head file (${LOG_HEAD_FILE}) cannot be read: it was edited or damaged.`;
  if (head === null) return count === 0 ? null : `The signed log's head file (${LOG_HEAD_FILE}) is missing: nothing shows whether records were removed from the end of the log.`;
  if (head.count > count) {
    return `The signed log holds ${count} records but its head file names ${head.count}: the last ${head.count - count} record${head.count - count === 1 ? ' was' : 's were'} removed from the end of the log.`;
  }
  if (atHead !== head.fingerprint) return `The signed log's first ${head.count} records are not the ones its head file names: the log was rewritten.`;
  return null;
}

/** Verifies the stored chain (or its tail after `from`) slice by slice. */
export function verifyAuditChain(store: Store, from: { seq: number; hash: string } | null): ChainVerification {
  let link = from ?? { seq: -1, hash: AUDIT_GENESIS_HASH };
  let checked = 0;
  let slice: AuditEntry[] = [];
  const flush = (): ChainVerification | null => {
    const r = verifyChain(slice, link.seq < 0 ? {} : { from: link });
    if (!r.valid) return { ...r, entries: checked + r.entries };
    checked += slice.length;
    const last = slice[slice.length - 1];
    if (last !== undefined) link = { seq: last.seq, hash: last.hash };
    slice = [];
    return null;
  };
  try {
    for (const entry of store.audit.iterate(from?.seq ?? -1)) {
      slice.push(entry);
      if (slice.length === AUDIT_SLICE) {
        const broken = flush();
        if (broken !== null) return broken;
      }
    }
    const broken = flush();
    if (broken !== null) return broken;
  } catch (err) {
    return { valid: false, entries: checked, brokenAt: link.seq + 1, reason: (err as Error).message, head: link.hash };
  }
  return { valid: true, entries: checked, head: link.hash };
}

function loadProjectionSafely(store: Store, problems: string[]): Projection | null {
  try {
    return loadProjection(store);
  } catch (err) {
    problems.push(`The store's tables cannot be read: ${(err as Error).message}`);
    return null;
  }
}
