// The one writer of the signed log: guard, pre-flight check, device statements, replay, and one transaction with the
// record, the projection rows it changes, any extra writes, its audit entry and the checkpoint when one is due.
import { appendEntry, type AuditDraft, type AuditEntry } from '../../crypto/audit-chain';
import { canonicalize } from '../../crypto/canonical';
import { applyRecord, applyRecordChanges, checkRecordOnto, replay, ReplayError, type GenesisRecord, type GovernanceRecord, type GovernanceState, type StateChanges } from '../../crypto/governance';
import { CustosError, fieldError } from '../errors';
import type { CheckpointRow, Store, VaultHeader } from '../store';
import { extendFingerprint } from '../store/log-head';
import { CHECKPOINT_INTERVAL, checkpointDue, checkpointOf } from './checkpoint';
import type { IntegrityCheck, IntegrityGuard } from './integrity';
import { writeProjection } from './projection';

// ---------------------------------------------------------------------------------------------
// The calls into replay: everything the writer and the guard replay goes through them. The replayer applies in place
// at the cost of what a record touches, and a dry run leaves it where it was, so the signed record that follows a
// pre-flight continues from the same state cheaply.

/** Checks a draft (signatures PLACEHOLDER_SIGNATURE) against every rule, signatures not verified; throws a ReplayError. */
export function preflight(state: GovernanceState, draft: GovernanceRecord): void {
  checkRecordOnto(state, draft, { verifySignatures: false });
}

/** The state after one more record, every signature verified; throws a ReplayError when the record is refused. */
export function applyNext(state: GovernanceState, record: unknown): GovernanceState {
  return applyRecord(state, record);
}

// ---------------------------------------------------------------------------------------------

/** What a state change is built on: the verified state, the vault's header, the seq and time the record will have. */
export interface WriteContext {
  readonly state: GovernanceState;
  readonly header: VaultHeader;
  readonly seq: number;
  readonly now: string;
}

/** A state change ready for its device statements. */
export interface Prepared<R extends GovernanceRecord = GovernanceRecord> {
  /** The record with placeholder signatures, checked against every rule before any device is asked (omit when `sign` checks its own draft). */
  readonly draft?: GovernanceRecord;
  /** Asks the devices for their statements and returns the signed record. */
  readonly sign: () => Promise<R>;
  /** The record's one audit entry, from the state after it. */
  readonly audit: (next: GovernanceState, record: R) => Omit<AuditDraft, 'at'>;
  /** More writes that belong to the same change (a key's sealed shares), inside its transaction. */
  readonly alsoWrite?: () => void;
}

export interface Written<R extends GovernanceRecord = GovernanceRecord> {
  readonly state: GovernanceState;
  readonly record: R;
  readonly entry: AuditEntry;
}

export interface LogWriterOptions {
  readonly store: Store;
  readonly guard: IntegrityGuard;
  readonly now: () => string;
  /** A checkpoint every this many records (CHECKPOINT_INTERVAL unless a test or the bench asks for another). */
  readonly checkpointInterval?: number;
  /** Told after each commit (the vault announces the change). */
  readonly onCommitted?: (written: Written) => void;
}

export class LogWriter {
  private readonly store: Store;
  private readonly guard: IntegrityGuard;
  private readonly now: () => string;
  private readonly onCommitted: (written: Written) => void;
  private readonly interval: number;
  /** State changes run one at a time: each statement binds the next seq, so two cannot be signed at once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: LogWriterOptions) {
    this.store = options.store;
    this.guard = options.guard;
    this.now = options.now;
    this.onCommitted = options.onCommitted ?? (() => undefined);
    this.interval = options.checkpointInterval ?? CHECKPOINT_INTERVAL;
    if (!Number.isSafeInteger(this.interval) || this.interval < 1) throw new Error(`checkpointInterval must be a positive integer, not ${this.interval}`);
  }

  /** The replayed state, if the store agrees with it and the audit chain holds; else the vault refuses to act. */
  verified(): { state: GovernanceState; header: VaultHeader; check: IntegrityCheck } {
    const check = this.guard.check();
    if (check.projection === null && check.recordCount === 0) throw noVault();
    if (check.report.status === 'tampered' || check.replayed === null || check.projection === null) {
      const shown = check.report.problems.slice(0, 3).join(' ');
      const more = check.report.problems.length > 3 ? ` (and ${check.report.problems.length - 3} more)` : '';
      throw new CustosError(
        'TAMPERING_DETECTED',
        `The vault refuses to act: its database no longer matches its signed log. ${shown}${more} Nothing was changed. Restore the data folder from a backup; Verify lists every difference.`,
        { problems: check.report.problems.length },
      );
    }
    return { state: check.replayed, header: check.projection.header, check };
  }

  /** Checks a draft against every rule before a device is asked to sign it, in words a person acts on. */
  check(state: GovernanceState, draft: GovernanceRecord): void {
    try {
      preflight(state, draft);
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      const code = err.code === 'NOT_ADMINISTRATOR' || err.code === 'UNKNOWN_SIGNER' ? 'NOT_AUTHORISED' : err.code === 'UNKNOWN_PROPOSAL' ? 'NOT_FOUND' : 'RULE_VIOLATION';
      // A name already in use is the person's to change, next to the name they typed.
      if (/ is already named /.test(err.problem)) throw fieldError('name', 'RULE_VIOLATION', `${capitalise(err.problem)}: choose another name. Nothing was signed.`);
      throw new CustosError(code, `The vault's rules refuse this: ${err.problem}. Nothing was signed.`);
    }
  }

  /**
   * Appends one record: the guard, then `plan` (built on the verified state), its draft checked, the devices' statements,
   * the replay of the signed record, and the commit. Returns what was written.
   */
  append<R extends GovernanceRecord>(plan: (ctx: WriteContext) => Promise<Prepared<R>>): Promise<Written<R>> {
    return this.exclusive(async () => {
      const { state, header } = this.verified();
      const prepared = await plan({ state, header, seq: state.seq + 1, now: this.now() });
      if (prepared.draft !== undefined) this.check(state, prepared.draft);
      const record = await prepared.sign();
      const { state: next, changes } = replayNext(state, record);
      return this.commit(changes, next, record, header.identityPath, prepared.audit(next, record), prepared.alsoWrite);
    });
  }

  /** Appends the genesis record to an empty store: `plan` refuses a folder that holds a vault, and gets the devices' statements. */
  genesis(plan: (existing: IntegrityCheck) => Promise<{ record: GenesisRecord; identityPath: string; audit: Omit<AuditDraft, 'at'> }>): Promise<Written<GenesisRecord>> {
    return this.exclusive(async () => {
      const { record, identityPath, audit } = await plan(this.guard.check());
      const next = replayGenesis(record);
      return this.commit(null, next, record, identityPath, audit);
    });
  }

  /**
   * After a full verification found nothing wrong: a checkpoint at the head, so the next start-up replays from here.
   * Skipped when the log moved since (another process wrote); the next commit that is due writes one anyway.
   */
  checkpointAfterVerify(state: GovernanceState): boolean {
    const head = this.guard.head();
    if (head === null || head.count !== state.seq + 1 || head.checkpointSeq === state.seq) return false;
    const at = this.now();
    const row = checkpointOf(state, head.fingerprint, head.audit, at);
    const saved = this.store.transaction(() => {
      const last = this.store.audit.last();
      if (this.store.records.lastSeq() !== state.seq || last === null || last.seq !== head.audit.seq || last.hash !== head.audit.hash) return false;
      this.store.checkpoint.save(row);
      return true;
    });
    if (saved) this.guard.checkpointed({ seq: row.seq, digest: row.stateDigest });
    return saved;
  }

  private commit<R extends GovernanceRecord>(changes: StateChanges | null, next: GovernanceState, record: R, identityPath: string, audit: Omit<AuditDraft, 'at'>, alsoWrite?: () => void): Written<R> {
    const at = this.now();
    const body = canonicalize(record);
    const head = this.guard.head();
    // A checkpoint only on top of what the guard verified (its fingerprint extended by this record).
    const checkpointAt = head !== null && head.count === record.seq && checkpointDue(record.seq, head.checkpointSeq, this.interval) ? extendFingerprint(head.fingerprint, record.seq, body) : null;
    let checkpoint: CheckpointRow | null = null;
    let entry: AuditEntry | null = null;
    this.store.transaction(() => {
      const last = this.store.records.lastSeq();
      if ((last ?? -1) !== record.seq - 1) {
        throw new CustosError('STORE_ERROR', 'The vault changed while the device was signing (another Custos wrote to it). Nothing was recorded; try again.');
      }
      this.store.records.append(record, at);
      writeProjection(this.store, next, identityPath, changes);
      alsoWrite?.();
      const appended = appendEntry(this.store.audit.last(), { at, ...audit });
      this.store.audit.append(appended);
      if (checkpointAt !== null) {
        checkpoint = checkpointOf(next, checkpointAt, { seq: appended.seq, hash: appended.hash }, at);
        this.store.checkpoint.save(checkpoint);
      }
      entry = appended;
    });
    const written = entry as unknown as AuditEntry;
    const cp = checkpoint as CheckpointRow | null;
    this.guard.committed({ seq: record.seq, body }, next, written, cp === null ? null : { seq: cp.seq, digest: cp.stateDigest });
    const result: Written<R> = { state: next, record, entry: written };
    this.onCommitted(result);
    return result;
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** Replays the signed record onto the state: what the device signed must verify like any record of the log. */
function replayNext(state: GovernanceState, record: GovernanceRecord): { state: GovernanceState; changes: StateChanges } {
  try {
    return applyRecordChanges(state, record);
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    const code = err.code === 'BAD_SIGNATURE' ? 'DEVICE_BAD_RESPONSE' : 'RULE_VIOLATION';
    throw new CustosError(code, `The signed record does not replay: ${err.problem}. Nothing was recorded.`);
  }
}

function replayGenesis(record: GenesisRecord): GovernanceState {
  try {
    return replay([record]);
  } catch (err) {
    if (!(err instanceof ReplayError)) throw err;
    throw new CustosError('DEVICE_BAD_RESPONSE', `The genesis does not verify: ${err.problem}. Nothing was recorded.`);
  }
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function noVault(): CustosError {
  return new CustosError('VAULT_NOT_FOUND', 'There is no vault in this data folder yet. Create one, or open the folder that holds it.');
}
