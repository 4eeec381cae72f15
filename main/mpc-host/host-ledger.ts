// The MPC host's own memory, apart from main's database: the signed log as it first saw it (pinned, with the time it saw
// each record) and the transfers it signed. Append-only files, each line fsync'ed before the host answers.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { PinnedRecord } from '../../crypto/transfers/evidence';

export interface LedgerEntry {
  requestId: string;
  walletId: string;
  ruleId: string;
  /** Sats, decimal. */
  amount: string;
  /** ms since the epoch, by the host's clock. */
  signedAt: number;
}

const LOG = 'pinned-log.jsonl';
const SIGNED = 'signed.jsonl';

export class HostLedger {
  readonly pinned: (PinnedRecord & { body: string })[] = [];
  readonly signed: LedgerEntry[] = [];

  private constructor(private readonly dir: string) {}

  /** Opens (creating) the folder and reads what it holds; a torn last line (a crash mid-write) is dropped, not trusted. */
  static open(dir: string): HostLedger {
    mkdirSync(dir, { recursive: true });
    const ledger = new HostLedger(dir);
    for (const line of readLines(path.join(dir, LOG))) {
      const r = line as PinnedRecord & { body: string };
      if (r.seq !== ledger.pinned.length) throw new Error(`the host's pinned log is out of order at line ${ledger.pinned.length + 1}`);
      ledger.pinned.push(r);
    }
    for (const line of readLines(path.join(dir, SIGNED))) ledger.signed.push(line as LedgerEntry);
    return ledger;
  }

  pin(records: readonly (PinnedRecord & { body: string })[]): void {
    if (records.length === 0) return;
    append(path.join(this.dir, LOG), records.map((r) => JSON.stringify(r)));
    this.pinned.push(...records);
  }

  recordSigned(entry: LedgerEntry): void {
    append(path.join(this.dir, SIGNED), [JSON.stringify(entry)]);
    this.signed.push(entry);
  }
}

function readLines(file: string): unknown[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: unknown[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as unknown);
    } catch {
      // Only the last line can be torn by a crash; anywhere else it is damage nobody should sign past.
      if (i < lines.length - 2) throw new Error(`${path.basename(file)} is damaged at line ${i + 1}`);
    }
  }
  return out;
}

function append(file: string, lines: string[]): void {
  const fd = openSync(file, 'a');
  try {
    writeSync(fd, lines.join('\n') + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
