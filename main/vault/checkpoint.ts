// The verified checkpoint in main's store: how one is made from a replayed state, and how one read from disk is checked.
import { createHash } from 'node:crypto';
import { canonicalize } from '../../crypto/canonical';
import type { GovernanceState } from '../../crypto/governance';
import type { CheckpointRow } from '../store';

/**
 * A checkpoint every this many records. Start-up replays at most this many records after it (every signature
 * checked); writing one canonicalizes the whole state, so the cost is spread over this many commits.
 */
export const CHECKPOINT_INTERVAL = 500;

/**
 * The state's digest from its canonical text: 0x-hex SHA-256, the same value as crypto/governance stateDigest(state)
 * (sha256 of canonicalize(state)), computed from the text the checkpoint stores so it is canonicalized only once.
 */
export function stateTextDigest(canonicalText: string): string {
  return '0x' + createHash('sha256').update(canonicalText, 'utf8').digest('hex');
}

/** The checkpoint after record `state.seq`, bound to the log's fingerprint and the audit chain's head at that record. */
export function checkpointOf(state: GovernanceState, logFingerprint: string, auditHead: { seq: number; hash: string }, at: string): CheckpointRow {
  const text = canonicalize(state);
  return { seq: state.seq, state: text, stateDigest: stateTextDigest(text), logFingerprint, auditSeq: auditHead.seq, auditHash: auditHead.hash, writtenAt: at };
}

/** Whether a checkpoint is due after the record at `seq`, given the seq of the newest one (null: none). */
export function checkpointDue(seq: number, lastCheckpointSeq: number | null, interval = CHECKPOINT_INTERVAL): boolean {
  return seq - (lastCheckpointSeq ?? -1) >= interval;
}

/**
 * A checkpoint read from disk, checked against itself and against the log: its state must hash to its digest, and the
 * log's fingerprint after its seq (computed from the stored records) must be the one it names. Either failing is an
 * edit (of the checkpoint, or of the records it covers): the caller reports it and replays from genesis.
 */
export function openCheckpoint(
  row: CheckpointRow,
  log: { count: number; fingerprintAt: (seq: number) => string | undefined },
): { state: GovernanceState; problems: [] } | { state: null; problems: string[] } {
  const problems: string[] = [];
  if (stateTextDigest(row.state) !== row.stateDigest) {
    problems.push(`The checkpoint at record ${row.seq} was edited: its state no longer hashes to the digest stored with it.`);
  }
  if (row.seq >= log.count) {
    problems.push(`The checkpoint names record ${row.seq} but the signed log holds ${log.count} records: the checkpoint is for another log, or records were removed.`);
  } else if (log.fingerprintAt(row.seq) !== row.logFingerprint) {
    problems.push(`The checkpoint at record ${row.seq} is for another log: the log's records 0..${row.seq} are not the ones it was made from (the checkpoint or the log was edited).`);
  }
  if (problems.length > 0) return { state: null, problems };
  let state: GovernanceState;
  try {
    state = JSON.parse(row.state) as GovernanceState;
  } catch {
    return { state: null, problems: [`The checkpoint at record ${row.seq} cannot be read as a state: it was edited.`] };
  }
  if (state === null || typeof state !== 'object' || state.seq !== row.seq) {
    return { state: null, problems: [`The checkpoint at record ${row.seq} holds the state of another record: it was edited.`] };
  }
  return { state, problems: [] };
}
