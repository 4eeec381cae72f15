// How the console writes what a person reads: times with their date and time zone, audit actions in words.

/** "6 Dec 2026, 14:05 UTC": unambiguous in any locale (month in letters, 24-hour clock, the zone named). */
export function formatWhen(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
}

/** What each audit action means, in words; the code stays available (on hover, in exports). */
const ACTIONS: Record<string, string> = {
  'vault.create': 'Created the vault',
  'proposal.create': 'Proposed a change',
  'proposal.approve': 'Approved a proposal',
  'proposal.reject': 'Rejected a proposal',
  'wallet.dkg': 'Recorded a new wallet key',
  'wallet.refresh': 'Recorded refreshed key shares',
  'wallet.reshare': 'Recorded a reshared key',
  'transfer.request': 'Requested a transfer',
  'transfer.approve': 'Approved a transfer',
  'transfer.reject': 'Rejected a transfer',
  'transfer.cancel': 'Cancelled a transfer',
  'transfer.signed': 'Signed a transfer',
  'node.register': 'Registered a signer node',
  'log.adopt': 'Adopted a record from the team log',
};

export function describeAction(code: string): string {
  return ACTIONS[code] ?? code;
}

/** When a record of the vault's log was made, or a dash when the log does not say. */
export function whenRecorded(iso: string | null): string {
  return iso === null ? '—' : formatWhen(iso);
}

/** The hover text of a date read from the log: its record's number, for whoever checks the log itself. */
export function recordHint(seq: number): string {
  return `Record ${seq} of the vault's signed log`;
}
