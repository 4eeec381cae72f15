#!/usr/bin/env node
// Checks a Custos audit export (JSON or CSV) offline, with node:crypto only: an auditor runs it without Custos' code.
//
//   node verify-audit-export.mjs <export.json|export.csv> [--head 0x<hash pinned earlier>]
//
// Exit 0: every entry links to the one before it and hashes to its recorded hash (and, with --head, the
// chain ends at the pinned head). Exit 1: the first entry that does not hold is named. Exit 2: usage.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const GENESIS = '0x' + '00'.repeat(32);

/** Canonical JSON: object keys sorted (UTF-16 order), no whitespace, strings and numbers as JSON.stringify writes them. */
function canonical(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('a number is not finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
  return '{' + Object.keys(value).sort().map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
}

/** What each entry's hash covers: every field but the hash, deviceSignature only when present. */
function entryHash(e) {
  const fields = { action: e.action, actor: e.actor, at: e.at, payload: e.payload, prevHash: e.prevHash, seq: e.seq, subject: e.subject };
  if (e.deviceSignature !== undefined && e.deviceSignature !== null && e.deviceSignature !== '') fields.deviceSignature = e.deviceSignature;
  return '0x' + createHash('sha256').update(canonical(fields), 'utf8').digest('hex');
}

/** RFC 4180 fields of one line (the export writes no line breaks inside fields). */
function csvFields(line) {
  const out = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= line.length) throw new Error('an unterminated quoted field');
        if (line[i] === '"' && line[i + 1] === '"') { value += '"'; i += 2; }
        else if (line[i] === '"') { i++; break; }
        else value += line[i++];
      }
      out.push(value);
      if (i < line.length && line[i] !== ',') throw new Error('text after a quoted field');
      i++;
    } else {
      const end = line.indexOf(',', i);
      const stop = end === -1 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

function readExport(text) {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    const doc = JSON.parse(trimmed);
    if (doc.format !== 'custos-audit-export' || doc.version !== 1) throw new Error('not a custos-audit-export v1 JSON file');
    return { entries: doc.entries, head: doc.head, count: doc.count };
  }
  const lines = text.split(/\r?\n/).filter((l) => l !== '');
  const meta = lines.find((l) => l.startsWith('# custos-audit-export v1'));
  if (meta === undefined) throw new Error('not a custos-audit-export v1 CSV file');
  const rows = lines.filter((l) => !l.startsWith('#'));
  const header = csvFields(rows.shift() ?? '');
  const expected = ['seq', 'at', 'actor', 'action', 'subject', 'payload', 'deviceSignature', 'prevHash', 'hash'];
  if (header.join(',') !== expected.join(',')) throw new Error(`unexpected columns: ${header.join(',')}`);
  const entries = rows.map((row) => {
    const f = csvFields(row);
    if (f.length !== expected.length) throw new Error(`a row has ${f.length} fields, not ${expected.length}`);
    if (!/^\d+$/.test(f[0])) throw new Error(`seq ${f[0]} is not a number`);
    return { seq: Number(f[0]), at: f[1], actor: f[2], action: f[3], subject: f[4], payload: JSON.parse(f[5]), deviceSignature: f[6] === '' ? undefined : f[6], prevHash: f[7], hash: f[8] };
  });
  const m = / (\d+) entries; head (0x[0-9a-f]{64})/.exec(meta);
  return { entries, head: m?.[2], count: m ? Number(m[1]) : undefined };
}

function verify(entries, pinnedHead) {
  let prev = GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.seq !== i) return { ok: false, at: e.seq ?? i, reason: `expected seq ${i}, found ${e.seq}: an entry was deleted, inserted or moved` };
    if (e.prevHash !== prev) return { ok: false, at: i, reason: `entry ${i} does not link to the entry before it` };
    if (entryHash(e) !== e.hash) return { ok: false, at: i, reason: `entry ${i} was changed after it was written` };
    prev = e.hash;
  }
  if (pinnedHead !== undefined && pinnedHead !== prev) return { ok: false, at: entries.length, reason: 'the chain does not end at the pinned head: entries were removed from the end (or it is another log)' };
  return { ok: true, head: prev };
}

const args = process.argv.slice(2);
const file = args.find((a) => !a.startsWith('--'));
const headAt = args.indexOf('--head');
const pinned = headAt >= 0 ? args[headAt + 1] : undefined;
if (file === undefined || (headAt >= 0 && !/^0x[0-9a-f]{64}$/.test(pinned ?? ''))) {
  process.stderr.write('usage: node verify-audit-export.mjs <export.json|export.csv> [--head 0x<64 hex>]\n');
  process.exit(2);
}
try {
  const { entries, head, count } = readExport(readFileSync(file, 'utf8'));
  const result = verify(entries, pinned);
  if (!result.ok) {
    process.stdout.write(`BROKEN at entry ${result.at}: ${result.reason}\n`);
    process.exit(1);
  }
  // The file's own header must agree with its entries (an edited header is an edited file).
  if ((count !== undefined && count !== entries.length) || (head !== undefined && head !== result.head)) {
    process.stdout.write(`BROKEN: the file says ${count} entries ending at ${head}; its entries are ${entries.length} ending at ${result.head}\n`);
    process.exit(1);
  }
  process.stdout.write(`OK: ${entries.length} entries, head ${result.head}${pinned ? ' (matches the pinned head)' : ''}\n`);
} catch (err) {
  process.stdout.write(`BROKEN: the file cannot be read as a Custos audit export: ${err.message}\n`);
  process.exit(1);
}
