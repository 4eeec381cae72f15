// How the signer takes the part of main's log it lacks: the tail must bind to what it pinned, through main's log
// fingerprint (main/store/log-head.ts), so a log cut short or rewritten anywhere is refused without main resending it whole.
import { recordHash } from '../../crypto/transfers/evidence';
import { extendFingerprint } from '../store/log-head';
import type { LogTail } from './protocol';

/** What the signer holds of the log: each pinned record's hash (by seq), and the fingerprint of them all. */
export interface PinnedLog {
  readonly pinned: readonly { readonly seq: number; readonly hash: string }[];
  readonly fingerprint: string;
}

export type TailOutcome =
  | { fresh: { seq: number; body: string }[]; fingerprint: string }
  /** The signer lacks records before the tail (it restarted with less, or main guessed too far): resend from `from`. */
  | { resendFrom: number }
  | { refused: string };

/**
 * The records of `tail` the signer has not seen, and the fingerprint its log reaches with them; refused when main's log
 * is shorter than the pinned one, repeats a pinned record with other bytes, or reaches another head (a record before
 * the tail was rewritten). Hashes each new record once; records already pinned cost one hash each only when resent.
 */
export function takeTail(log: PinnedLog, tail: LogTail): TailOutcome {
  const count = log.pinned.length;
  if (tail.fromSeq > count) return { resendFrom: count };
  const mainCount = tail.fromSeq + tail.records.length;
  if (mainCount < count) return { refused: `the console's log has ${mainCount} records; this signer has seen ${count}: records were removed` };
  for (let seq = tail.fromSeq; seq < count; seq++) {
    if (recordHash(tail.records[seq - tail.fromSeq] as string) !== log.pinned[seq]?.hash) return { refused: `record ${seq} is not the one this signer saw: the log was rewritten` };
  }
  const fresh = tail.records.slice(count - tail.fromSeq).map((body, i) => ({ seq: count + i, body }));
  let fingerprint = log.fingerprint;
  for (const f of fresh) fingerprint = extendFingerprint(fingerprint, f.seq, f.body);
  if (fingerprint !== tail.head) {
    return { refused: `the console's log of ${mainCount} records is not the one this signer holds${fresh.length > 0 ? ' followed by the records it sent' : ''}: the log was rewritten` };
  }
  return { fresh, fingerprint };
}
