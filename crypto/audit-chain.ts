// Append-only, hash-chained audit entries: each hashes the one before it, so any edit, deletion, insertion or reordering shows.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalize, quote } from './canonical.js';
import type { CanonicalValue } from './canonical.js';

/** prevHash of the first entry. */
export const AUDIT_GENESIS_HASH = '0x' + '00'.repeat(32);

/** What a service writes; seq, prevHash and hash are the chain's. */
export interface AuditDraft {
  /** ISO-8601 UTC time, passed in by the caller's clock. */
  readonly at: string;
  /** Who acted: a user id, or a system actor such as "system". */
  readonly actor: string;
  /** What happened, e.g. "proposal.approved". */
  readonly action: string;
  /** What it happened to, e.g. a proposal id. */
  readonly subject: string;
  /** Details as JSON (canonicalised for hashing: no undefined, no NaN). */
  readonly payload: CanonicalValue;
  /** 0x-hex device signature that authorised the action, where one exists. */
  readonly deviceSignature?: string;
}

export interface AuditEntry extends AuditDraft {
  readonly seq: number;
  readonly prevHash: string;
  /** sha256 of the canonical JSON of every other field (prevHash included), 0x-hex. */
  readonly hash: string;
}

export interface ChainVerification {
  readonly valid: boolean;
  /** Entries checked (all of them when valid). */
  readonly entries: number;
  /** Seq (or, if unreadable, the index) of the first entry that does not hold. */
  readonly brokenAt?: number;
  readonly reason?: string;
  /** Hash of the last valid entry: an auditor pins it to detect a truncated tail later. */
  readonly head: string;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const HASH = /^0x[0-9a-f]{64}$/;
const SIGNATURE = /^0x(?:[0-9a-f]{2})+$/;

/**
 * The canonical text hashed for an entry: exactly canonicalize({action, actor, at, deviceSignature?,
 * payload, prevHash, seq, subject}), written by hand in sorted-key order because verification runs over
 * whole logs and generic key sorting per entry is the slow part.
 */
export function entryPreimage(entry: Omit<AuditEntry, 'hash'>): string {
  return (
    '{"action":' + quote(entry.action) +
    ',"actor":' + quote(entry.actor) +
    ',"at":' + quote(entry.at) +
    (entry.deviceSignature === undefined ? '' : ',"deviceSignature":' + quote(entry.deviceSignature)) +
    ',"payload":' + canonicalize(entry.payload) +
    ',"prevHash":' + quote(entry.prevHash) +
    ',"seq":' + String(entry.seq) +
    ',"subject":' + quote(entry.subject) +
    '}'
  );
}

export function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return '0x' + bytesToHex(sha256(utf8ToBytes(entryPreimage(entry))));
}

function draftProblem(d: AuditDraft): string | null {
  if (typeof d.at !== 'string' || !ISO_TIME.test(d.at)) return 'at must be an ISO-8601 UTC time';
  for (const k of ['actor', 'action', 'subject'] as const) {
    if (typeof d[k] !== 'string' || d[k].length === 0) return `${k} must be a non-empty string`;
  }
  if (d.deviceSignature !== undefined && (typeof d.deviceSignature !== 'string' || !SIGNATURE.test(d.deviceSignature))) {
    return 'deviceSignature must be 0x + lowercase hex';
  }
  return null;
}

/** The entry that follows `prev` (null for the first), hashed. Throws on a malformed draft. */
export function appendEntry(prev: AuditEntry | null, draft: AuditDraft): AuditEntry {
  const problem = draftProblem(draft);
  if (problem !== null) throw new TypeError(`audit entry: ${problem}`);
  // Copy only known fields, so an extra property can't ride along unhashed.
  const base: Omit<AuditEntry, 'hash'> = {
    seq: prev === null ? 0 : prev.seq + 1,
    at: draft.at,
    actor: draft.actor,
    action: draft.action,
    subject: draft.subject,
    payload: draft.payload,
    ...(draft.deviceSignature === undefined ? {} : { deviceSignature: draft.deviceSignature }),
    prevHash: prev === null ? AUDIT_GENESIS_HASH : prev.hash,
  };
  return { ...base, hash: hashEntry(base) };
}

/**
 * Checks seq continuity, each prevHash link and each hash. `from` verifies a slice of a longer chain
 * (an export) against the last entry before it; `expectedHead`, when pinned earlier, catches a
 * truncated tail, which a chain alone cannot show.
 */
export function verifyChain(
  entries: readonly AuditEntry[],
  options: { readonly from?: { readonly seq: number; readonly hash: string }; readonly expectedHead?: string } = {},
): ChainVerification {
  let prevHash = options.from?.hash ?? AUDIT_GENESIS_HASH;
  let seq = options.from === undefined ? 0 : options.from.seq + 1;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i] as AuditEntry;
    const broken = (reason: string): ChainVerification => ({
      valid: false,
      entries: i,
      brokenAt: typeof e?.seq === 'number' ? e.seq : i,
      reason,
      head: prevHash,
    });
    if (typeof e !== 'object' || e === null) return broken(`entry ${i} is not an object`);
    if (e.seq !== seq) return broken(`expected seq ${seq}, found ${String(e.seq)}: an entry was deleted, inserted or moved`);
    if (e.prevHash !== prevHash) return broken(`entry ${seq} does not link to the entry before it`);
    if (typeof e.hash !== 'string' || !HASH.test(e.hash)) return broken(`entry ${seq} has no valid hash`);
    const problem = draftProblem(e);
    if (problem !== null) return broken(`entry ${seq}: ${problem}`);
    let hash: string;
    try {
      hash = hashEntry(e);
    } catch (err) {
      return broken(`entry ${seq} cannot be hashed: ${(err as Error).message}`);
    }
    if (hash !== e.hash) return broken(`entry ${seq} was changed after it was written`);
    prevHash = e.hash;
    seq++;
  }
  if (options.expectedHead !== undefined && options.expectedHead !== prevHash) {
    return { valid: false, entries: entries.length, brokenAt: seq, reason: 'the chain does not end at the pinned head: entries were removed from the end', head: prevHash };
  }
  return { valid: true, entries: entries.length, head: prevHash };
}
