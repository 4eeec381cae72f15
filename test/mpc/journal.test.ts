// The signer's journal read back as written, and any edit to an entry's text noticed (the chain is over the text).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HostJournal } from '../../main/mpc-host/journal';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function journalWithRecords(count: number): { dir: string; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'custos-journal-'));
  dirs.push(dir);
  const j = HostJournal.open(dir, () => 1);
  j.append(Array.from({ length: count }, (_, seq) => ({ kind: 'record' as const, seq, hash: 'ab'.repeat(32), receivedAt: 1, body: JSON.stringify({ type: 'note', seq, text: 'a "quoted" ,"entry": text' }) })));
  return { dir, file: path.join(dir, 'journal.jsonl') };
}

describe('the signer journal', () => {
  it('reads back every record it wrote, with the line each is on', () => {
    const { dir } = journalWithRecords(5);
    const j = HostJournal.open(dir, () => 1);
    expect(j.problem).toBeNull();
    expect(j.pinned.map((p) => p.seq)).toEqual([0, 1, 2, 3, 4]);
    expect(j.lineOf(4)?.n).toBe(5);
    expect(j.lineOf(5)).toBeUndefined();
  });

  it('notices a record body edited, and an entry re-serialised with other spacing', () => {
    const { dir, file } = journalWithRecords(3);
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('"seq\\":1', '"seq\\":7'));
    expect(HostJournal.open(dir, () => 1).problem).toMatch(/edited at line 3/);
    const lines = original.split('\n');
    const spaced = lines.map((l, i) => (i === 2 ? l.replace('"kind":"record"', '"kind": "record"') : l)).join('\n');
    writeFileSync(file, spaced);
    expect(HostJournal.open(dir, () => 1).problem).toMatch(/edited at line 3/);
  });
});
