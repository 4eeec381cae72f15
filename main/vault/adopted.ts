// What the one writer needs to adopt a record signed elsewhere (the team log, a bundle file): where it came from, how
// an entry that is not a record is named, and the truthful audit entry of a record this console did not make.
import { createHash } from 'node:crypto';
import type { AuditDraft } from '../../crypto/audit-chain';
import type { GovernanceRecord } from '../../crypto/governance';

/** Where an adopted record came from: an entry of the vault's team stream, or a bundle file (no stream seq). */
export type Origin = { readonly source: 'stream'; readonly streamSeq: number } | { readonly source: 'bundle' };

/** The vault a console accepts a genesis of: its id and its genesis administrator's address (given out of band). */
export interface GenesisPin {
  readonly vaultId: string;
  readonly adminAddress: string;
}

/** A refused entry's body is kept up to this many characters: enough to see what it was, bounded against a flood. */
export const EXCERPT_CHARS = 2_048;

export const bodyHash = (body: string): string => createHash('sha256').update(body, 'utf8').digest('hex');

/** The person (user id) whose device signed a record; key and signed-transfer records have no one signer. */
export function signerOf(record: GovernanceRecord): string {
  switch (record.type) {
    case 'genesis':
      return record.admin.id;
    case 'proposal':
      return record.proposerId;
    case 'transfer-request':
      return record.initiatorId;
    case 'wallet-key':
      // Every custodian of the new key attested it on their device; no one of them made it.
      return 'custodians';
    case 'transfer-signed':
      // Its proof is the transaction's input signatures, made by the custodians' MPC parties.
      return 'mpc-signers';
    default:
      return record.userId;
  }
}

function subjectOf(record: GovernanceRecord): string {
  switch (record.type) {
    case 'genesis':
      return record.vaultId;
    case 'proposal':
    case 'approval':
    case 'rejection':
    case 'wallet-key':
      return record.proposalId;
    case 'node-key':
      return record.nodeId;
    default:
      return record.requestId;
  }
}

/**
 * The audit entry of a record made on another console: who signed it, that it came from the team log (or a bundle),
 * and which stream entry; the device signature it carries, where it has one.
 */
export function adoptedAudit(record: GovernanceRecord, origin: Origin): Omit<AuditDraft, 'at'> {
  const signature = 'signature' in record ? record.signature : undefined;
  return {
    actor: signerOf(record),
    action: 'log.adopt',
    subject: subjectOf(record),
    payload: {
      recordSeq: record.seq,
      recordType: record.type,
      from: origin.source === 'stream' ? 'the team log' : 'a bundle file',
      ...(origin.source === 'stream' ? { streamSeq: origin.streamSeq } : {}),
      ...(record.type === 'wallet-key' ? { attestedBy: record.attestations.map((a) => a.userId) } : {}),
    },
    ...(signature === undefined ? {} : { deviceSignature: signature }),
  };
}

/** A record this console signed, rebased onto a later seq: its own audit entry names the seq it ended at. */
export function withRecordSeq(draft: Omit<AuditDraft, 'at'>, seq: number): Omit<AuditDraft, 'at'> {
  const payload = draft.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || !('recordSeq' in payload)) return draft;
  return { ...draft, payload: { ...payload, recordSeq: seq } };
}
