// `npm run bench`: Custos' paths next to their floor (the bare library call) in the same run; ratios, not seconds.
// MPC sizes: MPC_BENCH_SIZES="2,3 3,5" or --mpc-sizes=2,3,3,5 style "t,n" pairs ("none" skips MPC; default: all, 67-of-100 included).
// --no-transfers skips the transfer rows (TRANSFER_BENCH_* in transfers-bench.ts make them smaller).
import { availableParallelism } from 'node:os';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { appendEntry, entryPreimage, verifyChain, type AuditEntry } from '../../crypto/audit-chain';
import { personalMessageHash } from '../../crypto/ethereum';
import { DeviceManager } from '../../main/devices/manager';
import { mpcBench } from './mpc';
import { transferBench } from './transfers-bench';
import type { Row } from './row';
import { statementVerification } from './verification';


/** Runs `fn` repeatedly for about `ms` (after a warm-up) and returns operations per second. */
async function rate(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  const warmUntil = performance.now() + ms / 5;
  while (performance.now() < warmUntil) await fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    ops += 1;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

async function deviceSigning(): Promise<Row> {
  const manager = new DeviceManager();
  const { device, ledger } = manager.addVirtual({
    mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about',
  });
  ledger.screen.setResponder(() => 'approve');
  const path = "m/44'/60'/0'/0/0";
  const text = 'Custos v1: APPROVE change\nVault: Bench\nSeq: 1';
  const custos = await rate(() => manager.signStatement(device.id, path, text));
  await manager.close();
  const key = secp256k1.utils.randomSecretKey();
  const floor = await rate(() => secp256k1.sign(personalMessageHash(text), key, { prehash: false }));
  return {
    name: 'statement signed on a virtual Ledger',
    unit: 'signatures/s',
    custos,
    floor,
    ratio: floor / custos,
    note: 'manager → hw-app-eth → HID framing → emulator (+ app check, identity, verification) vs noble sign',
  };
}

async function auditChain(): Promise<Row> {
  const entries: AuditEntry[] = [];
  let prev: AuditEntry | null = null;
  for (let i = 0; i < 20_000; i++) {
    prev = appendEntry(prev, {
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      actor: `user-${i % 7}`,
      action: 'proposal.approve',
      subject: `proposal-${i}`,
      payload: { seq: i, note: 'bench' },
    });
    entries.push(prev);
  }
  const custos = (await rate(() => verifyChain(entries), 2000)) * entries.length;
  const preimages = entries.map((e) => utf8ToBytes(entryPreimage(e)));
  const floor = (await rate(() => preimages.forEach((p) => sha256(p)), 2000)) * entries.length;
  return {
    name: 'audit chain verification',
    unit: 'entries/s',
    custos,
    floor,
    ratio: floor / custos,
    note: 'floor: sha256 of the same preimages; issue 5 target ≥ 100,000/s',
  };
}

const mpcSpec = process.argv.find((a) => a.startsWith('--mpc-sizes='))?.slice('--mpc-sizes='.length) ?? process.env.MPC_BENCH_SIZES;
const rows: Row[] = [await deviceSigning(), statementVerification(), await auditChain()];
const mpc = mpcSpec?.trim() === 'none' ? null : await mpcBench(mpcSpec);
if (mpc) rows.push(...mpc.rows);
// Transfers: approval verification, a 1,000-approver decision, listing among 100k requests, last approval → signed tx.
const transfers = process.argv.includes('--no-transfers') ? null : await transferBench();
if (transfers) rows.push(...transfers.rows);
const fmt = (n: number) => (!Number.isFinite(n) ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const fmtRatio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
console.log('Custos benchmarks (Node ' + process.version + '); ratio = Custos time per op ÷ floor time per op\n');
console.log(['benchmark', 'unit', 'custos', 'floor', 'ratio'].join(' | '));
console.log('---|---|---|---|---');
for (const r of rows) console.log([r.name, r.unit, fmt(r.custos), fmt(r.floor), fmtRatio(r.ratio)].join(' | '));
console.log('\nnotes:');
for (const r of rows) console.log(`- ${r.name}: ${r.note}`);
if (mpc) {
  const load = mpc.json.loadavg as { start: number[]; end: number[] };
  console.log(`\nMPC targets (1-min load average ${load.start[0]} at start, ${load.end[0]} at end, ${availableParallelism()} cores):`);
  for (const t of mpc.targets) console.log(`- ${t.met ? 'met' : 'NOT met'}: ${t.target} — measured ${t.measured}`);
}
console.log(JSON.stringify({ bench: 'custos', node: process.version, rows, ...(mpc ? { mpc: mpc.json } : {}), ...(transfers ? { transfers: transfers.json } : {}) }));
