// The signer's checkpoint beside its journal: the governance state it replayed up to one pinned record, bound to that
// record's journal line and to the log's fingerprint there, so a restarted host replays only the records after it.
// The file is a cache the journal can always rebuild: deleted, it costs a full replay; edited, it is tampering.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { canonicalize } from '../../crypto/canonical';
import type { GovernanceState } from '../../crypto/governance';

export const CHECKPOINT_FILE = 'checkpoint.json';
const FORMAT = 1;

/** What a checkpoint says, once its digests hold; the gate still checks its journal line against the journal. */
export interface HostCheckpoint {
  /** The last pinned record the state includes. */
  seq: number;
  /** The journal line that pinned it, and that line's hash. */
  line: number;
  lineHash: string;
  /** The log's fingerprint over records 0..seq (main/store/log-head.ts). */
  fingerprint: string;
  state: GovernanceState;
}

interface Header {
  format: number;
  seq: number;
  line: number;
  lineHash: string;
  fingerprint: string;
  /** sha256 of the state's canonical JSON (the file's second line, byte for byte). */
  stateDigest: string;
  /** sha256 of this header's other fields, canonical: a header edited alone is caught too. */
  digest: string;
}

export type CheckpointRead = { checkpoint: HostCheckpoint } | { absent: true } | { problem: string };

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The state's digest: one place, so the host and its tests agree on what a checkpoint's state hashes to. */
export const stateDigestOf = (canonicalState: string): string => sha256Hex(canonicalState);

const headerDigest = (h: Omit<Header, 'digest'>): string => sha256Hex(canonicalize(h));

export const checkpointFile = (dir: string): string => path.join(dir, CHECKPOINT_FILE);

/**
 * Writes the checkpoint atomically: a new file, fsync'ed, renamed over the old one (and the folder fsync'ed where the
 * platform allows), so a crash leaves the old checkpoint or the new one, never half of one: a leftover temporary file
 * is never read.
 */
export function writeCheckpoint(dir: string, cp: HostCheckpoint): void {
  const state = canonicalize(cp.state);
  const body = { format: FORMAT, seq: cp.seq, line: cp.line, lineHash: cp.lineHash, fingerprint: cp.fingerprint, stateDigest: stateDigestOf(state) };
  const header: Header = { ...body, digest: headerDigest(body) };
  const file = checkpointFile(dir);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(header)}\n${state}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  syncFolder(dir);
}

/** Reads the checkpoint and checks its digests; says in plain words what does not hold. */
export function readCheckpoint(dir: string): CheckpointRead {
  const file = checkpointFile(dir);
  // A temporary file is what a crash mid-write leaves: never trusted, removed so it cannot be mistaken later.
  rmSync(`${file}.tmp`, { force: true });
  if (!existsSync(file)) return { absent: true };
  const text = readFileSync(file, 'utf8');
  const cut = text.indexOf('\n');
  const edited = (why: string): CheckpointRead => ({ problem: `the signer's checkpoint (${file}) was edited: ${why}` });
  if (cut < 0 || !text.endsWith('\n')) return edited('it is cut short');
  let header: Header;
  try {
    header = JSON.parse(text.slice(0, cut)) as Header;
  } catch {
    return edited('its header is not JSON');
  }
  const shapeOk =
    typeof header === 'object' &&
    header !== null &&
    header.format === FORMAT &&
    Number.isSafeInteger(header.seq) &&
    header.seq >= 0 &&
    Number.isSafeInteger(header.line) &&
    header.line >= 0 &&
    [header.lineHash, header.fingerprint, header.stateDigest, header.digest].every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h));
  if (!shapeOk) return edited('its header is not one this signer writes');
  const { digest, ...body } = header;
  if (headerDigest({ format: body.format, seq: body.seq, line: body.line, lineHash: body.lineHash, fingerprint: body.fingerprint, stateDigest: body.stateDigest }) !== digest) {
    return edited('its header does not match its digest');
  }
  const stateText = text.slice(cut + 1, -1);
  if (stateDigestOf(stateText) !== header.stateDigest) return edited('its state does not match its digest');
  let state: GovernanceState;
  try {
    state = JSON.parse(stateText) as GovernanceState;
  } catch {
    return edited('its state is not JSON');
  }
  return { checkpoint: { seq: header.seq, line: header.line, lineHash: header.lineHash, fingerprint: header.fingerprint, state } };
}

function syncFolder(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows opens no folder for fsync; the rename is still atomic there.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
