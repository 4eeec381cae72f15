// `npm run bench`: Custos' paths next to their floor (the bare library call) in the same run; ratios, not seconds.
// MPC sizes: MPC_BENCH_SIZES="2,3 3,5" or --mpc-sizes=2,3,3,5 style "t,n" pairs ("none" skips MPC; default: all, 67-of-100 included).
// --no-transfers skips the transfer rows (TRANSFER_BENCH_* in transfers-bench.ts make them smaller).
// --history-sizes=1000,10000 limits the long-history rows to those vault sizes ("none" skips; default 1k, 10k, 100k).
// The run's JSON goes to test-results/bench.json; --record also writes docs/bench/latest.json (the README's table).
import { availableParallelism, loadavg } from 'node:os';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { appendEntry, entryPreimage, verifyChain, type AuditEntry } from '../../crypto/audit-chain';
import { personalMessageHash } from '../../crypto/ethereum';
import { DeviceManager } from '../../main/devices/manager';
import { mpcBench } from './mpc';
import { transferBench } from './transfers-bench';
import { statementVerification } from './verification';
import { historyBench, historySizes } from './history-bench';
import { teamBench } from './team-bench';
import { relayRows } from './relay-rows';
import { writeBenchJson } from './bench-json';
import type { Row, Target } from './row';


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
    note: 'floor: sha256 of the same preimages; target ≥ 100,000/s (issues 5 and 11)',
  };
}

const startedAt = new Date().toISOString();
const loadStart = loadavg();
const historySpec = process.argv.find((a) => a.startsWith('--history-sizes='))?.slice('--history-sizes='.length) ?? process.env.HISTORY_BENCH_SIZES;
const sizes = historySizes(historySpec);

const mpcSpec = process.argv.find((a) => a.startsWith('--mpc-sizes='))?.slice('--mpc-sizes='.length) ?? process.env.MPC_BENCH_SIZES;
const rows: Row[] = [await deviceSigning(), statementVerification(), await auditChain()];
const mpc = mpcSpec?.trim() === 'none' ? null : await mpcBench(mpcSpec);
if (mpc) rows.push(...mpc.rows);
// Transfers: approval verification, a 1,000-approver decision, listing among 100k requests, last approval → signed tx.
const transfers = process.argv.includes('--no-transfers') ? null : await transferBench();
if (transfers) rows.push(...transfers.rows);
// Long history: generated vaults (cached in the temp folder) of each size; an approval, start-up, host restart, lists.
const history = sizes.length === 0 ? null : await historyBench(sizes);
if (history) rows.push(...history.rows);
// --no-team skips the team log rows (a nats-server on 127.0.0.1; skipped with a note when none is installed).
if (!process.argv.includes('--no-team')) rows.push(...(await teamBench()).rows);
// --no-relay skips the relay rows (signing and DKG with a process per party through a nats-server on 127.0.0.1, and
// 2-of-3 signing with 50 ms per hop; RELAY_BENCH_ROUNDS sets the rounds per row, 5 by default).
const relay = process.argv.includes('--no-relay') ? null : await relayRows();
if (relay) rows.push(...relay.rows);
const audit = rows.find((r) => r.name === 'audit chain verification');
const targets: Target[] = [
  ...(audit ? [{ target: 'audit chain verification ≥ 100,000 entries/s', measured: `${Math.round(audit.custos).toLocaleString('en-US')}/s`, met: audit.custos >= 100_000 }] : []),
  ...(history?.targets ?? []),
  ...transferTargets(transfers?.json),
  ...(mpc?.targets ?? []),
];
const fmt = (n: number) => (!Number.isFinite(n) ? '—' : n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1));
const fmtRatio = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
console.log('Custos benchmarks (Node ' + process.version + '); ratio = Custos time per op ÷ floor time per op\n');
console.log(['benchmark', 'unit', 'custos', 'floor', 'ratio'].join(' | '));
console.log('---|---|---|---|---');
for (const r of rows) console.log([r.name, r.unit, fmt(r.custos), fmt(r.floor), fmtRatio(r.ratio)].join(' | '));
console.log('\nnotes:');
for (const r of rows) console.log(`- ${r.name}: ${r.note}`);
const loadEnd = loadavg();
console.log(`\ntargets (1-min load average ${loadStart[0]?.toFixed(2)} at start, ${loadEnd[0]?.toFixed(2)} at end, ${availableParallelism()} cores):`);
for (const t of targets) console.log(t.met === null ? `- not measured: ${t.target} (${t.measured})` : `- ${t.met ? 'met' : 'NOT met'}: ${t.target} — measured ${t.measured}`);
const files = writeBenchJson(
  {
    bench: 'custos',
    settings: {
      startedAt,
      finishedAt: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cores: availableParallelism(),
      loadavg: { start: loadStart, end: loadEnd },
      mpcSizes: mpcSpec?.trim() ?? 'all',
      historySizes: sizes,
      transfers: transfers !== null,
      argv: process.argv.slice(2),
      env: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(MPC|TRANSFER|HISTORY|TEAM|RELAY)_BENCH_/.test(k))),
    },
    rows,
    targets,
    details: { ...(mpc ? { mpc: mpc.json } : {}), ...(transfers ? { transfers: transfers.json } : {}), ...(history ? { history: history.json } : {}), ...(relay ? { relay: relay.json } : {}) },
  },
  process.argv.includes('--record'),
);
console.log(`\nJSON: ${files.join(', ')}`);

/** The transfer bench's own targets, from its JSON (each part says whether it met its target). */
function transferTargets(json: Record<string, unknown> | undefined): Target[] {
  if (json === undefined) return [];
  const part = (k: string) => json[k] as Record<string, unknown> | undefined;
  const out: Target[] = [];
  const v = part('approvalVerification');
  if (v) out.push({ target: 'transfer approvals verified ≥ 1,000/s per core', measured: `${(v.perCpuSecond as { verifyStatement: number }).verifyStatement}/CPU-s`, met: v.targetMet as boolean });
  const d = part('policyDecision');
  if (d) out.push({ target: 'policy decision on 1,000 approvers < 1 s', measured: `${d.ms as number} ms`, met: d.targetMet as boolean });
  const l = part('listing');
  for (const k of ['newest first', 'one wallet']) {
    const x = l?.[k] as { p95: number; targetMet: boolean } | undefined;
    if (x) out.push({ target: `list 50 requests among ${(l?.requests as number).toLocaleString('en-US')} in the store (${k}), p95 ≤ 20 ms`, measured: `${x.p95} ms`, met: x.targetMet });
  }
  return out;
}
