// A signed record moved to a later seq after it lost the race for its own in a team's log, without new signatures.
import { canonicalize } from '../canonical.js';
import { signedSeq } from './records.js';
import { ReplayError } from './replay.js';
import { REBASE_WINDOW } from './types.js';
import type { GenesisRecord, GovernanceRecord } from './types.js';

type Placed = Exclude<GovernanceRecord, GenesisRecord>;

/**
 * The same signed record placed at `seq`: what a console does when another console's record won the seq its devices
 * signed at. Replay checks it again at `seq` (it is refused there if what was signed no longer holds: a proposal
 * decided meanwhile, a user revoked, a policy replaced). Throws a ReplayError past REBASE_WINDOW: an old signature may
 * not drift into a log that has moved on by more than that.
 */
export function rebaseRecord<R extends GovernanceRecord>(record: R, seq: number): R {
  if (record.type === 'genesis') throw new ReplayError('RULE_BROKEN', seq, record.seq, 'a genesis record cannot move: it is seq 0 of its vault');
  const basis = signedSeq(record);
  if (!Number.isSafeInteger(seq) || seq < basis) throw new ReplayError('SEQUENCE', seq, record.seq, `a record signed at seq ${basis} cannot move back to seq ${seq}`);
  if (seq - basis > REBASE_WINDOW) {
    throw new ReplayError('SEQUENCE', seq, record.seq, `the record was signed at seq ${basis}, ${seq - basis} records ago (at most ${REBASE_WINDOW}): its devices must sign it again`);
  }
  const { basis: _old, ...rest } = record as Placed;
  return (seq === basis ? { ...rest, seq } : { ...rest, seq, basis }) as R;
}

/** Whether two records are the same signed record, wherever each was placed (a console recognising its own). */
export function sameSignedRecord(a: GovernanceRecord, b: GovernanceRecord): boolean {
  return canonicalize(unplaced(a)) === canonicalize(unplaced(b));
}

function unplaced(record: GovernanceRecord): Record<string, unknown> {
  const { seq: _seq, basis: _basis, ...rest } = record as Placed;
  return { ...rest, signedAt: signedSeq(record) };
}
