import { replay } from '../crypto/governance';
import { appendEntry, type AuditEntry } from '../crypto/audit-chain';
import { standardVault } from './crypto/fixtures';
import { Store } from '../main/store';
import { verifyAuditChain, IntegrityGuard } from '../main/vault/integrity';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const v = standardVault();
const N = Number(process.argv[2] ?? 1000);
for (let i = 0; v.records.length < N; i++) {
  const p = v.propose('alice', { type: 'create-group', group: { id: `g${i}`, name: `Group ${i}`, members: [] } }, `px${i}`);
  v.approve('bob', p).approve('carol', p);
}
const recs = structuredClone(v.records);
let t = performance.now();
replay(recs);
console.log(`replay of ${recs.length} records: ${(performance.now() - t).toFixed(0)} ms`);

const dir = mkdtempSync(path.join(tmpdir(), 'custos-measure-'));
const store = Store.open(dir);
let prev: AuditEntry | null = null;
t = performance.now();
store.transaction(() => {
  for (let i = 0; i < 100_000; i++) {
    prev = appendEntry(prev, { at: '2025-01-01T00:00:00.000Z', actor: `u-${i % 7}`, action: ['proposal.create', 'proposal.approve', 'proposal.reject'][i % 3]!, subject: `p-${i}`, payload: { recordSeq: i, title: 'Create group X' }, deviceSignature: '0x' + 'ab'.repeat(65) });
    store.audit.append(prev);
  }
});
console.log(`append 100k audit entries (one tx): ${(performance.now() - t).toFixed(0)} ms`);
for (const f of [{}, { actor: 'u-3' }, { action: 'proposal.reject' }, { actor: 'u-3', action: 'proposal.reject' }]) {
  t = performance.now();
  const r = store.audit.page({ offset: 5000, limit: 200, ...f });
  console.log(`audit.list offset 5000 limit 200 ${JSON.stringify(f)}: total ${r.total}, ${(performance.now() - t).toFixed(1)} ms`);
}
t = performance.now();
const ver = verifyAuditChain(store, null);
console.log(`verify 100k audit chain: ${ver.valid} ${(performance.now() - t).toFixed(0)} ms`);
const g = new IntegrityGuard(store, () => new Date());
g.check();
t = performance.now();
g.check();
console.log(`guard re-check with unchanged data_version (100k audit entries, no records): ${(performance.now() - t).toFixed(1)} ms`);
store.close();
