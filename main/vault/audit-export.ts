// Renders the audit chain as CSV or JSON an auditor can check offline (scripts/verify-audit-export.mjs).
import type { AuditEntry } from '../../crypto/audit-chain';
import { canonicalize } from '../../crypto/canonical';

export const EXPORT_FORMAT = 'custos-audit-export';
export const EXPORT_VERSION = 1;

export const PROCEDURE =
  'Each entry hashes the one before it: hash = sha256(canonical JSON of {action, actor, at, deviceSignature (when present), ' +
  'payload, prevHash, seq, subject}), keys sorted, no spaces; the first prevHash is 0x followed by 64 zeros. Check it with ' +
  '`node verify-audit-export.mjs <file> --head <the head hash you pinned>` (no Custos code needed); see docs/audit-verification.md.';

export interface ExportMeta {
  readonly vaultId: string;
  readonly vaultName: string;
  readonly exportedAt: string;
  readonly head: string;
}

const COLUMNS = ['seq', 'at', 'actor', 'action', 'subject', 'payload', 'deviceSignature', 'prevHash', 'hash'] as const;

/** RFC 4180: quote a field that holds a comma, a quote or a line break; double the quotes inside. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function exportCsv(entries: Iterable<AuditEntry>, meta: ExportMeta, count: number): string {
  const lines = [
    `# ${EXPORT_FORMAT} v${EXPORT_VERSION}; vault ${meta.vaultName} (${meta.vaultId}); exported ${meta.exportedAt}; ${count} entries; head ${meta.head}`,
    `# ${PROCEDURE}`,
    COLUMNS.join(','),
  ];
  for (const e of entries) {
    lines.push(
      [String(e.seq), e.at, e.actor, e.action, e.subject, canonicalize(e.payload), e.deviceSignature ?? '', e.prevHash, e.hash].map(csvField).join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export function exportJson(entries: Iterable<AuditEntry>, meta: ExportMeta, count: number): string {
  const list = [...entries];
  return JSON.stringify(
    {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      vault: { id: meta.vaultId, name: meta.vaultName },
      exportedAt: meta.exportedAt,
      count,
      head: meta.head,
      procedure: PROCEDURE,
      entries: list,
    },
    null,
    1,
  );
}
