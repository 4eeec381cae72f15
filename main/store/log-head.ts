// The signed log's head, kept in a file apart from the database: how many records the log held after its last commit,
// and the fingerprint of those records. A log whose last records were cut off (with their audit entries, which no hash
// inside the database can show) no longer reaches the head this file names.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOG_HEAD_FILE = 'log-head.json';

/** fp(0): the fingerprint of an empty log. */
export const FINGERPRINT_START = '0'.repeat(64);

/** fp(n) = sha256(fp(n−1) ‖ seq ‖ body): cheap to recompute over the whole log, and to extend by one record. */
export function extendFingerprint(previous: string, seq: number, body: string): string {
  return createHash('sha256').update(previous).update(`\n${seq}\n`).update(body).digest('hex');
}

/** The head of a log as it stands. */
export function headOf(records: readonly { seq: number; body: string }[]): LogHead {
  let fingerprint = FINGERPRINT_START;
  for (const r of records) fingerprint = extendFingerprint(fingerprint, r.seq, r.body);
  return { count: records.length, fingerprint };
}

export interface LogHead {
  /** Records in the log (its last seq + 1). */
  readonly count: number;
  /** fp(count): extendFingerprint over those records. */
  readonly fingerprint: string;
}

export const logHeadFile = (databaseFile: string): string => path.join(path.dirname(databaseFile), LOG_HEAD_FILE);

/** The head, null when there is no file, or `unreadable` when there is one that does not parse as a head. */
export function readLogHead(file: string): LogHead | null | 'unreadable' {
  if (!existsSync(file)) return null;
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as { count?: unknown; fingerprint?: unknown };
    if (typeof h.count === 'number' && Number.isSafeInteger(h.count) && h.count >= 0 && typeof h.fingerprint === 'string' && /^[0-9a-f]{64}$/.test(h.fingerprint)) {
      return { count: h.count, fingerprint: h.fingerprint };
    }
  } catch {
    // reported as unreadable
  }
  return 'unreadable';
}

/**
 * Written after each commit (a new file, fsync'ed, then renamed over the old one). A crash between the database's
 * commit and this write leaves the head one record behind, which is no problem: only a log shorter than its head is.
 */
export function writeLogHead(file: string, head: LogHead): void {
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(head) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
