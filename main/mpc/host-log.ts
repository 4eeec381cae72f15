// What main hands the MPC host of its signed log: the tail the host lacks, bound to main's whole log by its fingerprint
// (main/store/log-head.ts), so the host checks a log cut short or rewritten without being sent all of it.
import { extendFingerprint, FINGERPRINT_START } from '../store/log-head';
import type { LogTail } from '../mpc-host/protocol';

/** main's log as the client sends it: the records from `fromSeq` on, and the fingerprint of the whole log. */
export interface HostLog {
  /** The records from `fromSeq` on (none past the log's end: the host then sees how long main's log is). */
  tail(fromSeq: number): LogTail;
}

/** What the client's methods take: a log source, or every record body in seq order (tests, a tool with the log in hand). */
export type LogInput = HostLog | readonly string[];

export const hostLogOf = (log: LogInput): HostLog => (isBodies(log) ? bodiesLog(log) : log);

const isBodies = (log: LogInput): log is readonly string[] => Array.isArray(log);

/** A log held whole in memory: its fingerprint is computed once, over every body. */
export function bodiesLog(bodies: readonly string[]): HostLog {
  let head: string | null = null;
  return {
    tail(fromSeq) {
      head ??= bodies.reduce((fp, body, seq) => extendFingerprint(fp, seq, body), FINGERPRINT_START);
      const from = Math.min(fromSeq, bodies.length);
      return { fromSeq: from, records: bodies.slice(from), head };
    },
  };
}
