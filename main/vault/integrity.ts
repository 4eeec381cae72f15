// The replay guard: replays the signed log (from the verified checkpoint or from genesis), compares it with the store's
// projections, and verifies the audit chain; cheap before each change when no other connection wrote.
import { AUDIT_GENESIS_HASH, verifyChain, type AuditEntry, type ChainVerification } from '../../crypto/audit-chain';
import { canonicalize } from '../../crypto/canonical';
import { diffState, ReplayError, replayReport, type GovernanceState } from '../../crypto/governance';
import type { IntegrityReport, ReplaySummary, VerifyProgress } from '../../preload/contract';
import type { Store } from '../store';
import { extendFingerprint, FINGERPRINT_START, LOG_HEAD_FILE, logHeadFile, readLogHead, writeLogHead, type LogHead } from '../store/log-head';
import { openCheckpoint, stateTextDigest } from './checkpoint';
import { applyNext } from './log-writer';
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

export type ProgressListener = (progress: VerifyProgress) => void;

/** Audit entries verified per slice, so 100k entries never sit in memory at once. */
const AUDIT_SLICE = 5_000;
/** Records read between two progress reports while fingerprinting. */
const READ_SLICE = 5_000;

/** What the last slow check established, valid while no other connection writes (SQLite's data_version). */
interface Verified {
  readonly dataVersion: number;
  readonly count: number;
  /** fp(count). */
  readonly fingerprint: string;
  readonly state: GovernanceState | null;
  /** Every problem found (log, checkpoint, projection, audit); the fast path is taken only when there are none. */
  readonly problems: string[];
  readonly audit: ChainVerification;
  /** The newest checkpoint as this process verified or wrote it: one rewritten behind its back is caught before restart. */
  readonly checkpoint: KnownCheckpoint | null;
  readonly replay: ReplaySummary | undefined;
}

type KnownCheckpoint = { readonly seq: number; readonly digest: string };

/** How a slow check replays: from genesis (full verify), from the checkpoint (start-up), or from what it verified last. */
type Mode = 'full' | 'start' | 'foreign';

/**
 * Three ways to check, from the dearest:
 *  - full (Verify, `custos audit verify --full`): every record from genesis, every signature; the stored checkpoint
 *    compared with the replay at its seq; every projection row; the whole audit chain;
 *  - start-up: the checkpoint checked (its digest, the log's fingerprint up to it), the records after it replayed,
 *    the projection compared once, the audit chain verified from the checkpoint's head on; no checkpoint: from genesis;
 *  - before each change: when only this process wrote since the last check (data_version unchanged, the head file as
 *    this process wrote it), the state verified then stands; when another connection wrote, everything is checked
 *    again (the log re-fingerprinted, what changed replayed, the projection diffed, the audit chain verified).
 */
export class IntegrityGuard {
  private verified: Verified | null = null;
  /** What the MPC signer reported about this log (it saw more of it than the store holds): kept until restart. */
  private readonly signerProblems = new Set<string>();
  /**
   * Digests of checkpoints a full verification found not to be the replay of the log: such a checkpoint passes the
   * start-up checks (its digest and fingerprint hold), so this process keeps refusing it until a person restores the data.
   */
  private readonly rewrittenCheckpoints = new Set<string>();
  private readonly headFile: string;
  /** The head the file will name once the transaction of deferred commits commits (see `committed`). */
  private pendingHead: LogHead | 'recompute' | null = null;

  constructor(private readonly store: Store, private readonly now: () => Date) {
    this.headFile = logHeadFile(store.file);
  }

  /** A problem with the log that only the MPC signer can see (a tail it pinned that the store no longer holds). */
  noteSignerProblem(problem: string): void {
    this.signerProblems.add(problem);
  }

  /** The check on start: from the verified checkpoint when there is one. */
  start(onProgress?: ProgressListener): IntegrityCheck {
    return this.slow('start', onProgress);
  }

  check(options: { full?: boolean; onProgress?: ProgressListener } = {}): IntegrityCheck {
    if (options.full === true) return this.slow('full', options.onProgress);
    const fast = this.fast();
    return fast ?? this.slow(this.verified === null ? 'start' : 'foreign');
  }

  /** The verified log's head and newest checkpoint, for the writer (null when the last check found a problem). */
  head(): { count: number; fingerprint: string; checkpointSeq: number | null; audit: { seq: number; hash: string } } | null {
    const v = this.verified;
    if (v === null || v.problems.length > 0 || v.state === null) return null;
    return { count: v.count, fingerprint: v.fingerprint, checkpointSeq: v.checkpoint?.seq ?? null, audit: { seq: v.audit.entries - 1, hash: v.audit.head } };
  }

  /**
   * After this process committed a record and an audit entry (and a checkpoint, if `checkpointSeq` says so): extends
   * what was verified without re-verifying, and moves the log's head file (kept apart from the database) to the record.
   * With `deferHead` the record is part of a larger transaction not committed yet: the head file is written by
   * `flushHead` once it is (a head file ahead of the database would read as a log cut short), or never (`forget`).
   */
  committed(record: { seq: number; body: string }, state: GovernanceState, auditEntry: AuditEntry, checkpoint: KnownCheckpoint | null, options: { deferHead?: boolean } = {}): void {
    const v = this.verified;
    if (v === null || v.count !== record.seq || v.problems.length > 0 || v.audit.entries !== auditEntry.seq) {
      this.verified = null;
      if (options.deferHead === true) this.pendingHead = 'recompute';
      else writeLogHead(this.headFile, headOf(this.store));
      return;
    }
    const fingerprint = extendFingerprint(v.fingerprint, record.seq, record.body);
    this.verified = {
      ...v,
      count: v.count + 1,
      fingerprint,
      state,
      audit: { valid: true, entries: v.audit.entries + 1, head: auditEntry.hash },
      checkpoint: checkpoint ?? v.checkpoint,
    };
    if (options.deferHead !== true) writeLogHead(this.headFile, { count: v.count + 1, fingerprint });
    else if (this.pendingHead !== 'recompute') this.pendingHead = { count: v.count + 1, fingerprint };
  }

  /** The transaction of deferred commits committed: the head file now names its last record. */
  flushHead(): void {
    const pending = this.pendingHead;
    this.pendingHead = null;
    if (pending !== null) writeLogHead(this.headFile, pending === 'recompute' ? headOf(this.store) : pending);
  }

  /** The transaction of deferred commits rolled back: nothing this process verified since stands; check again. */
  forget(): void {
    this.verified = null;
    this.pendingHead = null;
  }

  /** A checkpoint was written at `seq` (after a full verification), on top of what was verified. */
  checkpointed(checkpoint: KnownCheckpoint): void {
    if (this.verified !== null) this.verified = { ...this.verified, checkpoint };
  }

  /** The last verification still stands: nobody else wrote to the file and the head file is as this process left it. */
  private fast(): IntegrityCheck | null {
    const v = this.verified;
    if (v === null || v.problems.length > 0 || this.signerProblems.size > 0) return null;
    if (this.store.dataVersion() !== v.dataVersion) return null;
    // Inside a transaction of deferred commits, the head this process is about to write stands for the file.
    const head = this.pendingHead !== null && this.pendingHead !== 'recompute' ? this.pendingHead : readLogHead(this.headFile);
    const count = v.count;
    if (count === 0 ? head !== null : head === null || head === 'unreadable' || head.count !== count || head.fingerprint !== v.fingerprint) return null;
    const header = this.store.vault.get();
    if ((header === null) !== (v.state === null)) return null;
    return {
      replayed: v.state,
      // The projection was found equal to this state, and no other connection wrote since: reads need not load it.
      projection: header === null || v.state === null ? null : { header, state: v.state },
      recordCount: count,
      audit: v.audit,
      report: { status: 'ok', problems: [], checkedAt: this.now().toISOString(), ...(v.replay === undefined ? {} : { replay: v.replay }) },
    };
  }

  private slow(mode: Mode, onProgress?: ProgressListener): IntegrityCheck {
    const dataVersion = this.store.dataVersion();
    const problems: string[] = [];
    const head = readLogHead(this.headFile);
    const log = this.checkLog(mode, head, onProgress);
    problems.push(...log.problems);
    const cut = headProblem(head, log.count, log.atHead);
    if (cut !== null) problems.push(cut);
    problems.push(...this.signerProblems);
    onProgress?.({ stage: 'projection', done: log.count, total: log.count });
    const projection = loadProjectionSafely(this.store, problems);
    if (log.state !== null && projection !== null) {
      for (const d of diffState(log.state, projection.state)) problems.push(`Store differs from the signed log: ${d.message}`);
    } else if (log.count > 0 && projection === null && problems.length === 0) {
      problems.push('The signed log exists but the vault row is missing from the store.');
    } else if (log.count === 0 && projection !== null) {
      problems.push('The store describes a vault but its signed log is empty: the log was deleted.');
    }
    onProgress?.({ stage: 'audit', done: log.count, total: log.count });
    const audit = this.checkAudit(log.auditFrom);
    if (!audit.valid) problems.push(`Audit log broken at entry ${audit.brokenAt ?? '?'}: ${audit.reason ?? 'unknown reason'}.`);
    // Every state change appends one record and one audit entry together, so a chain cut short at its
    // end (which no hash can show) or an entry added by hand shows as a count that differs.
    else if (audit.entries !== log.count) {
      problems.push(`Audit log has ${audit.entries} entries for ${log.count} signed records: every change writes one entry, so entries were removed or added.`);
    }
    this.verified = { dataVersion, count: log.count, fingerprint: log.fingerprint, state: log.state, problems: [...problems], audit, checkpoint: log.checkpoint, replay: log.replay };
    onProgress?.({ stage: 'done', done: log.count, total: log.count });
    return {
      replayed: log.state,
      projection,
      recordCount: log.count,
      audit,
      report: { status: problems.length === 0 ? 'ok' : 'tampered', problems, checkedAt: this.now().toISOString(), ...(log.replay === undefined ? {} : { replay: log.replay }) },
    };
  }

  /**
   * Fingerprints the whole log from the stored bodies (cheap), then replays from the best base the mode allows: what was
   * verified last (its records unchanged), the checkpoint (checked), or genesis.
   */
  private checkLog(mode: Mode, head: LogHead | null | 'unreadable', onProgress?: ProgressListener): LogCheck {
    const total = this.store.records.count();
    const checkpoint = readCheckpointSafely(this.store);
    const previous = mode === 'foreign' && this.verified !== null && this.verified.problems.length === 0 ? this.verified : null;
    const headCount = head === null || head === 'unreadable' ? -1 : head.count;
    const wanted = new Set<number>([headCount - 1, (previous?.count ?? 0) - 1, checkpoint.row?.seq ?? -1]);
    const at = new Map<number, string>();
    let fingerprint = FINGERPRINT_START;
    let count = 0;
    for (const r of this.store.records.iterate()) {
      fingerprint = extendFingerprint(fingerprint, r.seq, r.body);
      count++;
      if (wanted.has(r.seq)) at.set(r.seq, fingerprint);
      if (count % READ_SLICE === 0) onProgress?.({ stage: 'reading', done: count, total });
    }
    const atHead = headCount === 0 ? FINGERPRINT_START : at.get(headCount - 1) ?? null;
    const problems = [...checkpoint.problems];
    // The checkpoint is checked on every slow path (its digest, the log up to it), not only at start-up.
    let opened: GovernanceState | null = null;
    if (checkpoint.row !== null) {
      const known = this.verified?.checkpoint ?? null;
      if (mode !== 'start' && known !== null && known.seq === checkpoint.row.seq && known.digest !== checkpoint.row.stateDigest) {
        problems.push(`The checkpoint at record ${known.seq} was rewritten after this console verified it.`);
      }
      const o = openCheckpoint(checkpoint.row, { count, fingerprintAt: (seq) => at.get(seq) });
      problems.push(...o.problems);
      opened = o.state;
      if (this.rewrittenCheckpoints.has(checkpoint.row.stateDigest)) {
        problems.push(`The checkpoint at record ${checkpoint.row.seq} is not the replay of the signed log up to it: it was rewritten.`);
        opened = null;
      }
    }
    const known = opened !== null && checkpoint.row !== null && problems.length === 0 ? { seq: checkpoint.row.seq, digest: checkpoint.row.stateDigest } : null;
    const base = { count, fingerprint, atHead, checkpoint: known };
    if (count === 0) {
      return { ...base, state: null, problems, auditFrom: null, replay: undefined };
    }
    const started = performance.now();
    const summary = (from: 'checkpoint' | 'genesis', records: number, note?: string): ReplaySummary => ({
      from,
      checkpointSeq: from === 'checkpoint' ? (checkpoint.row?.seq ?? null) : null,
      records,
      total: count,
      ms: Math.round(performance.now() - started),
      ...(note === undefined ? {} : { note }),
    });

    // Nothing of what was verified last changed: only the records another connection appended are replayed.
    if (problems.length === 0 && previous !== null && previous.state !== null && previous.count <= count && (previous.count === 0 ? FINGERPRINT_START : at.get(previous.count - 1)) === previous.fingerprint) {
      const tail = replayTail(this.store, previous.state);
      if (tail !== null) return { ...base, state: tail.state, problems, auditFrom: null, replay: previous.replay };
    }

    if (mode === 'full') {
      const full = replayFromGenesis(this.store, count, opened === null ? null : (checkpoint.row?.seq ?? null), onProgress);
      problems.push(...full.problems);
      // The stored checkpoint must be the replay at its seq: one rewritten with its digest (and the projection) passes
      // start-up, not this.
      if (opened !== null && full.atCheckpoint !== undefined && checkpoint.row !== null) {
        if (stateTextDigest(full.atCheckpoint) !== checkpoint.row.stateDigest) {
          this.rewrittenCheckpoints.add(checkpoint.row.stateDigest);
          problems.push(`The checkpoint at record ${checkpoint.row.seq} is not the replay of the signed log up to it: it was rewritten.`);
        }
      }
      return { ...base, state: full.state, problems, auditFrom: null, replay: summary('genesis', count) };
    }
    if (opened !== null && checkpoint.row !== null) {
      const tail = replayTail(this.store, opened);
      if (tail !== null) {
        return { ...base, state: tail.state, problems, auditFrom: { seq: checkpoint.row.auditSeq, hash: checkpoint.row.auditHash }, replay: summary('checkpoint', tail.records) };
      }
    }
    const full = replayFromGenesis(this.store, count, null, onProgress);
    problems.push(...full.problems);
    const records = `${count} record${count === 1 ? '' : 's'}`;
    const note = checkpoint.row === null
      ? `No checkpoint was found: the signed log was replayed from genesis (${records}).`
      : opened === null
        ? `The checkpoint does not hold: the signed log was replayed from genesis (${records}).`
        : `A record after the checkpoint does not replay: the signed log was replayed from genesis (${records}) to name every problem.`;
    return { ...base, state: full.state, problems, auditFrom: null, replay: summary('genesis', count, note) };
  }

  /** The audit chain, in full, or from the checkpoint's head on (whose entry must still carry the head's hash). */
  private checkAudit(from: { seq: number; hash: string } | null): ChainVerification {
    if (from === null || from.seq < 0) return verifyAuditChain(this.store, null);
    const entries = this.store.audit.iterate(from.seq - 1);
    const entry = entries.next();
    entries.return?.(undefined);
    const stored = entry.done === true ? undefined : entry.value;
    if (stored === undefined || stored.seq !== from.seq || stored.hash !== from.hash) {
      return { valid: false, entries: 0, brokenAt: from.seq, reason: `the entry at the checkpoint's audit head (${from.seq}) is not the one the checkpoint names (it was changed or removed)`, head: AUDIT_GENESIS_HASH };
    }
    const tail = verifyAuditChain(this.store, from);
    return { ...tail, entries: tail.entries + from.seq + 1 };
  }
}

interface LogCheck {
  readonly count: number;
  readonly fingerprint: string;
  readonly atHead: string | null;
  readonly state: GovernanceState | null;
  readonly problems: string[];
  readonly checkpoint: KnownCheckpoint | null;
  /** Where the audit chain is verified from (the checkpoint's head), or null for the whole chain. */
  readonly auditFrom: { seq: number; hash: string } | null;
  readonly replay: ReplaySummary | undefined;
}

/** The records after `state` applied one by one (every signature checked), or null when one does not replay. */
function replayTail(store: Store, state: GovernanceState): { state: GovernanceState; records: number } | null {
  let current = state;
  const tail = store.records.after(state.seq);
  try {
    for (const r of tail) current = applyNext(current, JSON.parse(r.body));
  } catch {
    // The full replay from genesis names every problem (and a checkpoint state of another shape fails here in any
    // way): this path only says the shortcut does not hold.
    return null;
  }
  return { state: current, records: tail.length };
}

/** Records applied between two progress reports while replaying one by one. */
const REPLAY_SLICE = 100;

/**
 * Every record from genesis, every signature checked. With a checkpoint at `checkpointSeq`, the records up to it are
 * replayed in one pass (and its state returned for comparison), the rest one by one through applyNext; the in-place
 * replayer makes the one-by-one path the cheap one, with progress for every slice. When anything does not replay, the
 * whole log is replayed again by replayReport, which names every problem.
 */
function replayFromGenesis(
  store: Store,
  total: number,
  checkpointSeq: number | null,
  onProgress?: ProgressListener,
): { state: GovernanceState | null; problems: string[]; atCheckpoint?: string } {
  const parsed: unknown[] = [];
  for (const r of store.records.iterate()) {
    try {
      parsed.push(JSON.parse(r.body));
    } catch {
      parsed.push(null);
    }
    if (parsed.length % READ_SLICE === 0) onProgress?.({ stage: 'reading', done: parsed.length, total });
  }
  onProgress?.({ stage: 'replaying', done: 0, total });
  const upTo = checkpointSeq !== null && checkpointSeq < parsed.length ? checkpointSeq + 1 : parsed.length;
  const prefix = replayReport(parsed.slice(0, upTo));
  if (prefix.errors.length === 0 && prefix.state !== null) {
    const atCheckpoint = upTo === parsed.length && checkpointSeq !== parsed.length - 1 ? undefined : canonicalize(prefix.state);
    let state: GovernanceState = prefix.state;
    let done = upTo;
    onProgress?.({ stage: 'replaying', done, total });
    try {
      for (; done < parsed.length; done++) {
        state = applyNext(state, parsed[done]);
        if ((done + 1) % REPLAY_SLICE === 0) onProgress?.({ stage: 'replaying', done: done + 1, total });
      }
      onProgress?.({ stage: 'replaying', done: total, total });
      return { state, problems: [], ...(atCheckpoint === undefined ? {} : { atCheckpoint }) };
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
    }
  }
  const { state, errors } = upTo === parsed.length ? prefix : replayReport(parsed);
  onProgress?.({ stage: 'replaying', done: total, total });
  return { state, problems: errors.map((e) => `Signed log, record ${e.seq ?? e.index}: ${e.problem} (${e.code}).`) };
}

function readCheckpointSafely(store: Store): { row: ReturnType<Store['checkpoint']['get']>; problems: string[] } {
  try {
    return { row: store.checkpoint.get(), problems: [] };
  } catch (err) {
    return { row: null, problems: [`The checkpoint cannot be read: ${(err as Error).message}. It was edited or damaged.`] };
  }
}

function headOf(store: Store): LogHead {
  let fingerprint = FINGERPRINT_START;
  let count = 0;
  for (const r of store.records.iterate()) {
    fingerprint = extendFingerprint(fingerprint, r.seq, r.body);
    count++;
  }
  return { count, fingerprint };
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
