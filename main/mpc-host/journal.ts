// The MPC signer's own memory, apart from main's database: one hash-chained, append-only journal (its id, the anchor a
// person confirmed, every log record it pinned with when it first saw it, every transfer it signed, every ceremony it
// ran) and a head file naming the journal's last entry, so a journal cut short or deleted is noticed, not trusted.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { HostAnchor } from '../../crypto/governance/host-anchor';
import type { KeyCeremony } from '../../crypto/governance/types';

export type JournalEntry =
  | { kind: 'host'; hostId: string; createdAt: number }
  | { kind: 'anchor'; anchor: HostAnchor; confirmedBy: string; signature: string; at: number }
  | { kind: 'record'; seq: number; hash: string; receivedAt: number; body: string }
  | { kind: 'signed'; requestId: string; walletId: string; ruleId: string; amount: string; signedAt: number }
  | { kind: 'ceremony'; ceremonyId: string; walletId: string; ceremony: KeyCeremony; at: number };

export type SignedEntry = Extract<JournalEntry, { kind: 'signed' }>;
export type PinnedEntry = Extract<JournalEntry, { kind: 'record' }>;

interface Line {
  n: number;
  prev: string;
  hash: string;
  entry: JournalEntry;
}

const JOURNAL = 'journal.jsonl';
const HEAD = 'head.json';
const START = '0'.repeat(64);

const lineHash = (prev: string, n: number, entry: JournalEntry): string => hashOfText(prev, n, JSON.stringify(entry));
const hashOfText = (prev: string, n: number, entryText: string): string => createHash('sha256').update(prev).update(`\n${n}\n`).update(entryText).digest('hex');

/**
 * The entry's text as written: a line is JSON.stringify({ n, prev, hash, entry }), so the entry is what follows the
 * first `,"entry":` (no header field can hold it) up to the closing brace. Hashing that text, rather than the entry
 * serialised again, keeps reading a long journal to one parse per line; an edit to the entry still changes the text.
 */
function entryText(line: string): string | null {
  const at = line.indexOf(',"entry":');
  return at < 0 || !line.endsWith('}') ? null : line.slice(at + 9, -1);
}

/**
 * Opened once per host process. `problem` is set when the folder does not hold together (a journal shorter than its
 * head, a rewritten line, a deleted file): the host then signs nothing and says why until a person resolves it.
 */
export class HostJournal {
  readonly hostId: string;
  anchor: Extract<JournalEntry, { kind: 'anchor' }> | null = null;
  readonly pinned: PinnedEntry[] = [];
  readonly signed: SignedEntry[] = [];
  readonly ceremonies = new Set<string>();
  /** For each pinned record (by seq): the journal line it is on, and that line's hash (what a checkpoint binds to). */
  private readonly pinnedLines: { n: number; hash: string }[] = [];
  private n = 0;
  private head = START;

  private constructor(
    private readonly dir: string,
    hostId: string,
    public problem: string | null,
  ) {
    this.hostId = hostId;
  }

  static open(dir: string, now: () => number): HostJournal {
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, JOURNAL);
    const headFile = path.join(dir, HEAD);
    const lines = existsSync(file) ? readLines(file) : { lines: [] as Line[], damage: null as string | null };
    const head = existsSync(headFile) ? readHead(headFile) : null;
    let problem = lines.damage;
    if (problem === null) problem = headProblem(lines.lines, head, existsSync(file));
    const first = lines.lines[0]?.entry;
    const hostId = first?.kind === 'host' ? first.hostId : randomBytes(8).toString('hex');
    const journal = new HostJournal(dir, hostId, problem);
    for (const line of lines.lines) journal.take(line);
    if (journal.problem === null && lines.lines.length === 0) journal.append([{ kind: 'host', hostId, createdAt: now() }]);
    else if (journal.problem === null && (head === null || (head !== 'unreadable' && head.n < journal.n - 1))) journal.writeHead();
    return journal;
  }

  /** Appends entries (each fsync'ed with the journal), then moves the head: a crash in between loses nothing. */
  append(entries: JournalEntry[]): void {
    if (this.problem !== null) throw new Error(this.problem);
    if (entries.length === 0) return;
    const lines: Line[] = [];
    let prev = this.head;
    let n = this.n;
    for (const entry of entries) {
      const hash = lineHash(prev, n, entry);
      lines.push({ n, prev, hash, entry });
      prev = hash;
      n++;
    }
    const fd = openSync(path.join(this.dir, JOURNAL), 'a');
    try {
      writeSync(fd, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    for (const line of lines) this.take(line);
    this.writeHead();
  }

  private take(line: Line): void {
    this.n = line.n + 1;
    this.head = line.hash;
    const e = line.entry;
    switch (e.kind) {
      case 'anchor':
        // A signer is pinned once; a second anchor in the journal is an edit, never a re-pin.
        if (this.anchor !== null) this.problem ??= `the signer's journal names a second vault anchor at entry ${line.n + 1}`;
        else this.anchor = e;
        return;
      case 'record':
        this.pinned.push(e);
        this.pinnedLines.push({ n: line.n, hash: line.hash });
        return;
      case 'signed':
        this.signed.push(e);
        return;
      case 'ceremony':
        this.ceremonies.add(e.ceremonyId);
        return;
      case 'host':
        return;
    }
  }

  /** The journal line that pinned record `seq`, and its hash; undefined when no such record is pinned. */
  lineOf(seq: number): { n: number; hash: string } | undefined {
    return this.pinnedLines[seq];
  }

  /** The signer's folder (its journal, head and checkpoint). */
  get folder(): string {
    return this.dir;
  }

  private writeHead(): void {
    const file = path.join(this.dir, HEAD);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ n: this.n - 1, hash: this.head }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }
}

/** Reads and checks the chain; only a torn last line (a crash mid-write) is dropped, anything else is damage. */
function readLines(file: string): { lines: Line[]; damage: string | null } {
  const text = readFileSync(file, 'utf8');
  const raw = text.split('\n');
  const lines: Line[] = [];
  let prev = START;
  for (const [i, item] of raw.entries()) {
    if (item.trim() === '') continue;
    let line: Line;
    try {
      line = JSON.parse(item) as Line;
    } catch {
      if (i >= raw.length - 2) break;
      return { lines: [], damage: `the signer's journal is damaged at line ${i + 1}` };
    }
    const text = entryText(item);
    const ok =
      line !== null &&
      typeof line === 'object' &&
      line.n === lines.length &&
      line.prev === prev &&
      typeof line.entry === 'object' &&
      line.entry !== null &&
      text !== null &&
      line.hash === hashOfText(prev, line.n, text);
    if (!ok) return { lines: [], damage: `the signer's journal was edited at line ${i + 1}: its hash chain does not hold` };
    if (line.n === 0 && line.entry.kind !== 'host') return { lines: [], damage: "the signer's journal does not start with its own id" };
    lines.push(line);
    prev = line.hash;
  }
  return { lines, damage: null };
}

function readHead(file: string): { n: number; hash: string } | 'unreadable' {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as { n?: unknown; hash?: unknown };
    if (typeof h.n === 'number' && Number.isSafeInteger(h.n) && typeof h.hash === 'string') return { n: h.n, hash: h.hash };
  } catch {
    // reported below
  }
  return 'unreadable';
}

function headProblem(lines: Line[], head: { n: number; hash: string } | 'unreadable' | null, journalExists: boolean): string | null {
  if (head === 'unreadable') return "the signer's head file cannot be read";
  if (head === null) {
    // Only the very first write can crash before any head exists.
    return lines.length <= 1 ? null : "the signer's head file is missing: its journal cannot be told complete";
  }
  if (!journalExists) return "the signer's journal is missing (its head file says it held entries)";
  const atHead = lines[head.n];
  if (atHead === undefined) return `the signer's journal was cut short: its head names entry ${head.n + 1}, the journal holds ${lines.length}`;
  if (atHead.hash !== head.hash) return `the signer's journal was rewritten: entry ${head.n + 1} is not the one its head names`;
  // Entries past the head chain onto it: a crash between the journal's fsync and the head's rename.
  return null;
}
