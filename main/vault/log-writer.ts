// The one writer of the signed log: guard, pre-flight check, device statements, replay, and one transaction with the
// record, the projection rows it changes, any extra writes, its audit entry and the checkpoint when one is due. In team
// mode it also publishes each record to the vault's stream before committing it (rebasing it when another console won
// the race) and adopts the records other consoles signed, each with the stream entry it came from.
import { appendEntry, type AuditDraft, type AuditEntry } from '../../crypto/audit-chain';
import { canonicalize, type CanonicalValue } from '../../crypto/canonical';
import {
  applyRecord,
  applyRecordChanges,
  checkRecordOnto,
  rebaseRecord,
  replay,
  ReplayError,
  sameSignedRecord,
  type GenesisRecord,
  type GovernanceRecord,
  type GovernanceState,
  type StateChanges,
} from '../../crypto/governance';
import { CustosError, fieldError } from '../errors';
import type { CheckpointRow, Store, VaultHeader } from '../store';
import { extendFingerprint } from '../store/log-head';
import { adoptedAudit, bodyHash, EXCERPT_CHARS, withRecordSeq, type GenesisPin, type Origin } from './adopted';
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

/** One entry of the vault's team stream: its stream sequence and the body as it was sent. */
export interface ReplicatedEntry {
  readonly streamSeq: number;
  readonly body: string;
}

/**
 * The team log as the writer sees it (main/team/replica.ts implements it over NATS JetStream): the writer keeps no
 * NATS type, only stream sequences and bodies. `append` and `entriesAfter` throw a CustosError (TEAM_…) in words.
 */
export interface LogReplication {
  /** The vault this console accepts a genesis of (from the team settings). */
  readonly genesis: GenesisPin;
  /** The entries after `streamSeq`, in stream order, consecutive: one batch, empty at the stream's head. */
  entriesAfter(streamSeq: number): Promise<readonly ReplicatedEntry[]>;
  /**
   * Appends `body` if the stream's last sequence is still `expectedLast` (compare-and-append, idempotent by the body's
   * hash). `behind` when another entry came first, or when the stream already held this body.
   */
  append(body: string, expectedLast: number): Promise<{ readonly appended: number } | 'behind'>;
}

/** What consuming the stream (or a bundle) did. */
export interface AdoptReport {
  /** Records signed elsewhere, now in this log. */
  adopted: number;
  /** Entries refused (kept with their reason for a stream; listed here for a bundle). */
  refused: { readonly at: number; readonly reason: string }[];
  /** Entries that were records this log already held (mapped to their stream entry, or skipped in a bundle). */
  present: number;
  /** The last stream sequence consumed (0 for a bundle). */
  cursor: number;
}

/** What `push` published: local records the stream lacked. */
export interface PushReport {
  published: number;
  cursor: number;
}

/** The record this console is appending, while it looks for it among what others appended (a lost ack, a retry). */
interface Mine {
  readonly record: GovernanceRecord;
  readonly prepared: Prepared;
  found: Written | null;
}

type Consumed =
  | { readonly kind: 'adopted' }
  | { readonly kind: 'present' }
  | { readonly kind: 'refused'; readonly reason: string; readonly conflict: boolean };

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
  /** The team log, when this console is in team mode; null: the single desk (no stream, today's behaviour). */
  private replication: LogReplication | null = null;
  /** While a batch of adoptions shares one transaction: what it committed, announced once the transaction commits. */
  private batch: Written[] | null = null;

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

  /** Team mode from now on (each append published first, others' records adopted), or back to the single desk (null). */
  replicate(replication: LogReplication | null): void {
    this.replication = replication;
  }

  /** Whether this console is in team mode (attached to its team's log, even if the settings cannot be used). */
  inTeam(): boolean {
    return this.replication !== null;
  }

  /**
   * Appends one record: the guard, then `plan` (built on the verified state), its draft checked, the devices' statements,
   * the replay of the signed record, and the commit. In team mode the record is first brought up to the stream's head
   * and published there (see `publish`). Returns what was written.
   */
  append<R extends GovernanceRecord>(plan: (ctx: WriteContext) => Promise<Prepared<R>>): Promise<Written<R>> {
    return this.exclusive(async () => {
      const replication = this.replication;
      if (replication !== null) {
        await this.catchUp(replication);
        // Each record follows the one before it in the stream: records the stream lacks go first, by push.
        const last = this.store.records.lastSeq();
        if (last !== null && (this.store.teamEntries.lastMappedRecord() ?? -1) < last) {
          throw new CustosError('TEAM_STREAM', "This console holds records the team log does not: publish them first (custos team push). Nothing was signed.");
        }
      }
      const { state, header } = this.verified();
      const prepared = await plan({ state, header, seq: state.seq + 1, now: this.now() });
      if (prepared.draft !== undefined) this.check(state, prepared.draft);
      const record = await prepared.sign();
      const { state: next, changes } = replayNext(state, record);
      if (replication === null) return this.commit(changes, next, record, header.identityPath, prepared.audit(next, record), prepared.alsoWrite, null);
      return (await this.publish(replication, record, next, changes, header.identityPath, prepared as unknown as Prepared)) as Written<R>;
    });
  }

  /** Team mode: adopts (or refuses) every entry of the stream this console has not consumed yet. */
  sync(): Promise<AdoptReport> {
    const replication = this.replication;
    if (replication === null) return Promise.reject(notInTeam());
    return this.exclusive(() => this.catchUp(replication));
  }

  /**
   * Team mode: publishes the local records the stream lacks (the vault's log when it joins an empty stream, records
   * made on this desk before it joined), each by compare-and-append after catching up.
   */
  push(): Promise<PushReport> {
    const replication = this.replication;
    if (replication === null) return Promise.reject(notInTeam());
    return this.exclusive(async () => {
      let published = 0;
      await this.catchUp(replication);
      for (;;) {
        const last = this.store.records.lastSeq();
        const next = (this.store.teamEntries.lastMappedRecord() ?? -1) + 1;
        if (last === null || next > last) return { published, cursor: this.store.teamEntries.cursor() };
        const conflict = this.store.teamEntries.conflictAt(next);
        if (conflict !== null) throw divergence(next, conflict.streamSeq);
        const body = this.store.records.bodyAt(next);
        if (body === null) throw new CustosError('STORE_ERROR', `Record ${next} is missing from this vault's log. Run custos vault verify.`);
        const outcome = await replication.append(body, this.store.teamEntries.cursor());
        if (outcome === 'behind') {
          await this.catchUp(replication);
          continue;
        }
        const at = this.now();
        this.store.transaction(() => this.store.teamEntries.record({ streamSeq: outcome.appended, recordSeq: next, refused: null, bodyHash: bodyHash(body), excerpt: null, seenAt: at }));
        published++;
      }
    });
  }

  /**
   * Adopts records signed elsewhere from a bundle file (an air-gapped console): each checked like any record (every
   * signature, every rule at its point of the log) and committed with its audit entry; records already held are skipped.
   * `pin` names the vault an empty data folder accepts.
   */
  adopt(bodies: readonly string[], pin: GenesisPin | null): Promise<AdoptReport> {
    return this.exclusive(async () => {
      const report: AdoptReport = { adopted: 0, refused: [], present: 0, cursor: 0 };
      for (const body of bodies) {
        const c = this.consume(body, { source: 'bundle' }, pin, null);
        if (c.kind === 'adopted') report.adopted++;
        else if (c.kind === 'present') report.present++;
        else report.refused.push({ at: report.adopted + report.present + report.refused.length, reason: c.reason });
      }
      return report;
    });
  }

  /** Appends the genesis record to an empty store: `plan` refuses a folder that holds a vault, and gets the devices' statements. */
  genesis(plan: (existing: IntegrityCheck) => Promise<{ record: GenesisRecord; identityPath: string; audit: Omit<AuditDraft, 'at'> }>): Promise<Written<GenesisRecord>> {
    return this.exclusive(async () => {
      if (this.replication !== null) throw new CustosError('VAULT_EXISTS', 'This data folder is joined to a team: its vault comes from the team log, not from a new genesis. Nothing was signed.');
      const { record, identityPath, audit } = await plan(this.guard.check());
      const next = replayGenesis(record);
      return this.commit(null, next, record, identityPath, audit, undefined, null);
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

  private commit<R extends GovernanceRecord>(
    changes: StateChanges | null,
    next: GovernanceState,
    record: R,
    identityPath: string,
    audit: Omit<AuditDraft, 'at'>,
    alsoWrite: (() => void) | undefined,
    streamSeq: number | null,
  ): Written<R> {
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
      // The stream entry it came from (or went to), in the same transaction: a crash neither skips nor doubles it.
      if (streamSeq !== null) this.store.teamEntries.record({ streamSeq, recordSeq: record.seq, refused: null, bodyHash: bodyHash(body), excerpt: null, seenAt: at });
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
    this.guard.committed({ seq: record.seq, body }, next, written, cp === null ? null : { seq: cp.seq, digest: cp.stateDigest }, { deferHead: this.batch !== null });
    const result: Written<R> = { state: next, record, entry: written };
    if (this.batch !== null) this.batch.push(result);
    else this.onCommitted(result);
    return result;
  }

  /**
   * Publishes a record this console signed, then commits it with its stream entry. When another entry came first: catch
   * up (the record may be among them, after a lost ack), then rebase the same signed record onto the new head (no new
   * device signature), check every rule again, and publish again; when the rules now refuse it, say so and record
   * nothing.
   */
  private async publish(replication: LogReplication, signed: GovernanceRecord, next: GovernanceState, changes: StateChanges, identityPath: string, prepared: Prepared): Promise<Written> {
    let record = signed;
    let state = next;
    let change = changes;
    for (;;) {
      const cursor = this.store.teamEntries.cursor();
      const outcome = await replication.append(canonicalize(record), cursor);
      if (outcome !== 'behind') {
        if (outcome.appended !== cursor + 1) throw streamGap(cursor, outcome.appended);
        return this.commit(change, state, record, identityPath, ownAudit(prepared, state, record, signed), prepared.alsoWrite, outcome.appended);
      }
      const mine: Mine = { record, prepared, found: null };
      await this.catchUp(replication, mine);
      if (mine.found !== null) return mine.found;
      const { state: head } = this.verified();
      try {
        record = rebaseRecord(record, head.seq + 1);
        ({ state, changes: change } = applyRecordChanges(head, record));
      } catch (err) {
        if (!(err instanceof ReplayError)) throw err;
        throw new CustosError('RULE_VIOLATION', `Another console recorded first, and what you signed no longer holds: ${err.problem}. Nothing was recorded.`);
      }
    }
  }

  /** Consumes the stream from this console's cursor to its head, batch by batch. */
  private async catchUp(replication: LogReplication, mine: Mine | null = null): Promise<Omit<AdoptReport, 'refused'> & { refused: { at: number; reason: string; conflict: boolean }[] }> {
    const report = { adopted: 0, refused: [] as { at: number; reason: string; conflict: boolean }[], present: 0, cursor: this.store.teamEntries.cursor() };
    for (;;) {
      const batch = await replication.entriesAfter(report.cursor);
      if (batch.length === 0) return report;
      if (batch[0] !== undefined && batch[0].streamSeq !== report.cursor + 1) throw streamGap(report.cursor, batch[0].streamSeq);
      const done = this.inOneTransaction(() => {
        const counted = { adopted: 0, present: 0, refused: [] as { at: number; reason: string; conflict: boolean }[], cursor: report.cursor };
        for (const entry of batch) {
          if (entry.streamSeq !== counted.cursor + 1) throw streamGap(counted.cursor, entry.streamSeq);
          const c = this.consume(entry.body, { source: 'stream', streamSeq: entry.streamSeq }, replication.genesis, mine);
          if (c.kind === 'adopted') counted.adopted++;
          else if (c.kind === 'present') counted.present++;
          else counted.refused.push({ at: entry.streamSeq, reason: c.reason, conflict: c.conflict });
          counted.cursor = entry.streamSeq;
        }
        return counted;
      });
      report.adopted += done.adopted;
      report.present += done.present;
      report.refused.push(...done.refused);
      report.cursor = done.cursor;
    }
  }

  /**
   * One entry signed elsewhere: refused in words (kept with its stream seq, never applied) unless it is a record in
   * canonical form that replays onto this log's head with every signature verified; else committed like any record.
   * A record this log already holds is mapped to its stream entry; the one this console is appending is committed as its own.
   */
  private consume(body: string, origin: Origin, pin: GenesisPin | null, mine: Mine | null): Consumed {
    const refuse = (reason: string, conflictsWith: number | null = null): Consumed => {
      // Before this folder holds its vault, what is refused depends on the genesis it was told to accept (a person's
      // input, perhaps mistyped): nothing is kept, so a join with the right vault reads the stream from its start.
      if (origin.source === 'stream' && this.store.records.lastSeq() !== null) {
        const at = this.now();
        this.store.transaction(() =>
          this.store.teamEntries.record({ streamSeq: origin.streamSeq, recordSeq: null, refused: reason, bodyHash: bodyHash(body), excerpt: body.slice(0, EXCERPT_CHARS), conflictsWith, seenAt: at }),
        );
      }
      return { kind: 'refused', reason, conflict: conflictsWith !== null };
    };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse('not a record: it is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse('not a record: not a JSON object');
    let canonical: string;
    try {
      canonical = canonicalize(parsed as CanonicalValue);
    } catch {
      return refuse('not a record: not canonical JSON');
    }
    // Honest consoles send a record exactly as their log holds it; another encoding of it would fingerprint differently.
    if (canonical !== body) return refuse('not a record as a log holds it: its JSON is not in canonical form');
    const seq = (parsed as { seq?: unknown }).seq;
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return refuse('not a record: it has no valid seq');
    const record = parsed as GovernanceRecord;

    const existing = this.guard.check();
    if (existing.recordCount === 0 && existing.projection === null) return this.consumeGenesis(record, origin, pin, refuse);
    const { state, header } = this.verified();
    if (seq <= state.seq) {
      const local = this.store.records.bodyAt(seq);
      if (local === body) {
        if (origin.source === 'bundle') return { kind: 'present' };
        if (this.store.teamEntries.streamSeqOf(seq) === null) {
          const at = this.now();
          this.store.transaction(() => this.store.teamEntries.record({ streamSeq: origin.streamSeq, recordSeq: seq, refused: null, bodyHash: bodyHash(body), excerpt: null, seenAt: at }));
          return { kind: 'present' };
        }
        return refuse(`a copy of record ${seq}, which the team log already gave (stream entry ${this.store.teamEntries.streamSeqOf(seq)})`);
      }
      const contested = origin.source === 'stream' ? this.contests(record, seq) : null;
      if (contested !== null) return refuse(contested.reason, contested.conflictsWith);
      return refuse(`record ${seq} is already in this vault's log: a replayed or out-of-place record`);
    }
    let replayed: { state: GovernanceState; changes: StateChanges };
    try {
      replayed = applyRecordChanges(state, record);
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      return refuse(`${err.problem} (${err.code})`);
    }
    const streamSeq = origin.source === 'stream' ? origin.streamSeq : null;
    if (mine !== null && mine.found === null && sameSignedRecord(mine.record, record)) {
      mine.found = this.commit(replayed.changes, replayed.state, record, header.identityPath, ownAudit(mine.prepared, replayed.state, record, mine.record), mine.prepared.alsoWrite, streamSeq);
      return { kind: 'adopted' };
    }
    this.commit(replayed.changes, replayed.state, record, header.identityPath, adoptedAudit(record, origin), undefined, streamSeq);
    return { kind: 'adopted' };
  }

  /**
   * An entry at the seq of this console's first record the stream does not hold (made before it joined, or apart from
   * the team): checked on the log the two share (the records up to there), so a valid one is told apart from junk
   * (which a hostile writer could send to block the push). A valid one means the team's history went another way.
   */
  private contests(record: GovernanceRecord, seq: number): { reason: string; conflictsWith: number | null } | null {
    const shared = this.store.teamEntries.lastMappedRecord() ?? -1;
    if (seq !== shared + 1) return null;
    try {
      const upTo = this.store.records.all().slice(0, seq).map((r) => JSON.parse(r.body) as unknown);
      if (upTo.length === 0) replay([record]);
      else checkRecordOnto(replay(upTo), record, { verifySignatures: true });
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      return { reason: `${err.problem} (${err.code})`, conflictsWith: null };
    }
    return { reason: `a valid record ${seq} of the team log, where this console holds its own record ${seq}, which the team log does not hold`, conflictsWith: seq };
  }

  /** The first record of an empty data folder: only the pinned vault's genesis (vault id and administrator) is taken. */
  private consumeGenesis(record: GovernanceRecord, origin: Origin, pin: GenesisPin | null, refuse: (reason: string) => Consumed): Consumed {
    if (pin === null) throw new CustosError('VAULT_NOT_FOUND', "This data folder holds no vault: join with the vault's id and its genesis administrator's address (--vault, --genesis).");
    if (record.type !== 'genesis') return refuse(`record ${record.seq} (${String(record.type)}) comes before this vault's genesis`);
    const admin = (record as { admin?: { identityAddress?: unknown } }).admin?.identityAddress;
    if (record.vaultId !== pin.vaultId || typeof admin !== 'string' || admin.toLowerCase() !== pin.adminAddress.toLowerCase()) {
      return refuse(`a genesis of vault ${String(record.vaultId)} by ${String(admin)}, not of vault ${pin.vaultId} by ${pin.adminAddress}`);
    }
    let next: GovernanceState;
    try {
      next = replay([record]);
    } catch (err) {
      if (!(err instanceof ReplayError)) throw err;
      return refuse(`${err.problem} (${err.code})`);
    }
    this.commit(null, next, record, record.admin.devicePath, adoptedAudit(record, origin), undefined, origin.source === 'stream' ? origin.streamSeq : null);
    return { kind: 'adopted' };
  }

  /**
   * A batch of stream entries adopted in one transaction (each with its record, projection rows, audit entry and stream
   * cursor, as alone): one commit and one head-file write instead of one per record. All or nothing: after a rollback
   * the guard forgets what it verified since, and nothing is announced.
   */
  private inOneTransaction<T>(work: () => T): T {
    const written: Written[] = [];
    this.batch = written;
    let result: T;
    try {
      result = this.store.transaction(work);
    } catch (err) {
      this.guard.forget();
      throw err;
    } finally {
      this.batch = null;
    }
    this.guard.flushHead();
    for (const w of written) this.onCommitted(w);
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

/** The audit entry this console drafted for its own record, naming the seq the record ended at after a rebase. */
function ownAudit(prepared: Prepared, state: GovernanceState, record: GovernanceRecord, signed: GovernanceRecord): Omit<AuditDraft, 'at'> {
  const audit = prepared.audit(state, record);
  return record.seq === signed.seq ? audit : withRecordSeq(audit, record.seq);
}

function notInTeam(): CustosError {
  return new CustosError('TEAM_STREAM', 'This console is not joined to a team: run custos team join first.');
}

function streamGap(cursor: number, got: number): CustosError {
  return new CustosError('TEAM_STREAM', `The team server skipped stream entries: after entry ${cursor} it gave ${got}. Nothing was recorded; the server's stream was altered, tell its administrator.`);
}

function divergence(seq: number, streamSeq: number): CustosError {
  return new CustosError(
    'TEAM_STREAM',
    `This console's records from ${seq} on cannot join the team log: it already holds another valid record ${seq} (stream entry ${streamSeq}). They were made apart from the team; nothing was published. Keep this data folder aside and join the team with an empty one.`,
  );
}

export function noVault(): CustosError {
  return new CustosError('VAULT_NOT_FOUND', 'There is no vault in this data folder yet. Create one, or open the folder that holds it.');
}
