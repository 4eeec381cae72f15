// The long-history part of `npm run bench` (issue 11): generated vaults of 1,000 / 10,000 / 100,000 records, and what a
// person waits for in them (an approval, start-up, the host after a restart, lists), next to a floor where one exists.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { renderStatement } from '../../crypto/statements';
import { transferStatement } from '../../crypto/transfers/statements';
import { dispatch } from '../../main/ipc/dispatch';
import { silentLogger } from '../../main/log';
import { hostClientFor } from '../../main/mpc/launch-node';
import type { Row, Target } from './row';
import { openSession, type HistorySession } from './history-session';
import { cachedVault, type VaultManifest } from './vault-generator';

export const HISTORY_SIZES = [1_000, 10_000, 100_000];
/** Approvals per size (interleaved across sizes), list calls per channel and size. */
const APPROVALS = Number(process.env.HISTORY_BENCH_APPROVALS ?? 5);
const LIST_CALLS = Number(process.env.HISTORY_BENCH_LIST_CALLS ?? 100);

const log = (line: string) => process.stderr.write(`[history bench] ${line}\n`);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const round = (x: number, d = 2) => Number(x.toFixed(d));
const fmtN = (n: number) => n.toLocaleString('en-US');
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}
const median = (xs: number[]) => quantile(xs, 0.5);

/** "--history-sizes=1000,10000" (or HISTORY_BENCH_SIZES); "none" skips; default all three. */
export function historySizes(spec: string | undefined): number[] {
  if (spec === undefined || spec.trim() === '') return HISTORY_SIZES;
  if (spec.trim() === 'none') return [];
  const sizes = spec.split(',').map((s) => Number(s.trim().replace(/_/g, '')));
  const bad = sizes.find((n) => !Number.isSafeInteger(n) || n < 500);
  if (bad !== undefined) throw new Error(`--history-sizes takes record counts of at least 500 separated by commas (like 1000,10000), not "${spec}"`);
  return [...new Set(sizes)].sort((a, b) => a - b);
}

interface ChildResult {
  records: number;
  floorMs: number;
  startupMs: number;
  replayMs: number;
  rssAfterStartup: number;
  rss: number;
  maxRss: number;
}

/** Start-up and full replay in a fresh process over a copy-free read of the cached vault (neither writes to it). */
async function coldProcess(dir: string): Promise<ChildResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(HERE, 'history-child.ts'), dir], { maxBuffer: 1 << 20, timeout: 3_600_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as ChildResult;
}

/** The host program on the session's signer folder (which pinned the whole log): started, asked its status, synced. */
async function hostRestart(s: HistorySession): Promise<{ readyMs: number; floorMs: number }> {
  const bodies = s.store.records.all().map((r) => r.body);
  let start = performance.now();
  await s.host.start();
  const status = await s.host.status();
  if (status.problem !== null || status.anchor === null) throw new Error(`bench: the restarted host is not ready: ${status.problem ?? 'pinned to nothing'}`);
  await s.host.syncLog(bodies, { timeoutMs: 3_600_000 });
  const readyMs = performance.now() - start;
  // The floor: the same program on an empty signer folder, started and answering its status.
  const empty = mkdtempSync(path.join(tmpdir(), 'custos-bench-empty-host-'));
  const bare = hostClientFor(empty);
  try {
    start = performance.now();
    await bare.start();
    await bare.status();
    return { readyMs, floorMs: performance.now() - start };
  } finally {
    await bare.close();
    rmSync(empty, { recursive: true, force: true });
  }
}

/** p95 of `audit.list` / `transfers.list` through IPC dispatch, each call next to the repository page under it. */
async function listing(s: HistorySession, channel: 'audit.list' | 'transfers.list'): Promise<{ p50: number; p95: number; floorP50: number; floorP95: number; total: number }> {
  const total = channel === 'audit.list' ? s.store.audit.count() : s.store.transfers.page({ offset: 0, limit: 1 }).total;
  const offsets = Array.from({ length: LIST_CALLS }, (_, i) => Math.floor((((i * 7919) % LIST_CALLS) / LIST_CALLS) * Math.max(0, total - 50)));
  const custos: number[] = [];
  const floor: number[] = [];
  const call = async (offset: number) => {
    const r = await dispatch(s.handlers, channel, { offset, limit: 50 }, silentLogger);
    if (!r.ok) throw new Error(`bench: ${channel} failed: ${r.error.message}`);
  };
  const bare = (offset: number) => (channel === 'audit.list' ? s.store.audit.page({ offset, limit: 50 }) : s.store.transfers.page({ offset, limit: 50 }));
  for (const o of offsets.slice(0, 5)) {
    await call(o);
    bare(o);
  }
  for (const o of offsets) {
    let start = performance.now();
    await call(o);
    custos.push(performance.now() - start);
    start = performance.now();
    bare(o);
    floor.push(performance.now() - start);
  }
  return { p50: median(custos), p95: quantile(custos, 0.95), floorP50: median(floor), floorP95: quantile(floor, 0.95), total };
}

interface PerSize {
  size: number;
  manifest: VaultManifest;
  generatedMs: number | null;
  cold: ChildResult;
  host: { readyMs: number; floorMs: number };
  audit: Awaited<ReturnType<typeof listing>>;
  requests: Awaited<ReturnType<typeof listing>>;
  approvals: { ms: number[]; syncMs: number[]; floorMs: number[] };
}

/** One approval of a waiting request by a member of Approvers (guard, device, replay, commit), then the host's sync. */
async function approveOne(s: HistorySession, m: VaultManifest, round: number): Promise<{ ms: number; syncMs: number; floorMs: number }> {
  const requestId = m.pending[round];
  if (requestId === undefined) throw new Error(`bench: the vault has ${m.pending.length} waiting requests; ask for fewer approvals`);
  const approver = m.people.filter((p) => p.groups.includes('Approvers'))[round % 10] as VaultManifest['people'][number];
  const deviceId = s.device.get(approver.name) as string;
  // The floor: the same device showing and signing this approval's statement alone (rendered before the clock starts).
  const state = s.vault.readState();
  const t = state.transfers.find((x) => x.id === requestId);
  if (t === undefined) throw new Error(`bench: no request ${requestId}`);
  const wallet = state.wallets.find((w) => w.id === t.request.walletId);
  const text = renderStatement(transferStatement(state, wallet?.name ?? '?', 'transfer-approval', state.seq + 1, t.request));
  let start = performance.now();
  await s.devices.signStatement(deviceId, "m/44'/60'/0'/0/0", text);
  const floorMs = performance.now() - start;
  start = performance.now();
  const view = await s.transfers.approve({ requestId, deviceId });
  const approved = performance.now();
  await s.syncHost();
  const end = performance.now();
  if (view.approvals.length !== 1) throw new Error(`bench: request ${requestId} has ${view.approvals.length} approvals after one`);
  return { ms: end - start, syncMs: end - approved, floorMs };
}

export async function historyBench(sizes: number[]): Promise<{ rows: Row[]; targets: Target[]; json: Record<string, unknown> }> {
  const per: PerSize[] = [];
  const sessions: HistorySession[] = [];
  try {
    for (const size of sizes) {
      const genStart = performance.now();
      const { dir, manifest, generated } = await cachedVault(size, '1', log);
      const generatedMs = generated ? performance.now() - genStart : null;
      if (generated) log(`${fmtN(size)} records generated in ${(generatedMs! / 1000).toFixed(0)} s`);
      log(`${fmtN(size)} records: start-up and full replay in a fresh process`);
      const cold = await coldProcess(dir);
      log(`${fmtN(size)} records: a console over a copy, the host restarted on its signer folder`);
      const s = await openSession(dir, manifest, `history-${size}`);
      sessions.push(s);
      const host = await hostRestart(s);
      log(`${fmtN(size)} records: audit.list and transfers.list through IPC`);
      const audit = await listing(s, 'audit.list');
      const requests = await listing(s, 'transfers.list');
      per.push({ size, manifest, generatedMs, cold, host, audit, requests, approvals: { ms: [], syncMs: [], floorMs: [] } });
    }
    // Approvals alternate between the sizes, so each size sees the same neighbours on the shared cores.
    for (let r = 0; r < APPROVALS; r++) {
      for (const [i, p] of per.entries()) {
        log(`approval ${r + 1}/${APPROVALS} at ${fmtN(p.size)} records`);
        const a = await approveOne(sessions[i] as HistorySession, p.manifest, r);
        p.approvals.ms.push(a.ms);
        p.approvals.syncMs.push(a.syncMs);
        p.approvals.floorMs.push(a.floorMs);
      }
    }
  } finally {
    for (const s of sessions) await s.close();
  }
  return { rows: rowsOf(per), targets: targetsOf(per, sizes), json: jsonOf(per) };
}

function rowsOf(per: PerSize[]): Row[] {
  const rows: Row[] = [];
  for (const p of per) {
    const n = fmtN(p.size);
    const a = { ms: median(p.approvals.ms), sync: median(p.approvals.syncMs), floor: median(p.approvals.floorMs) };
    rows.push({
      name: `one transfer approval as the console makes it, ${n} records`,
      unit: 'ms/op',
      custos: a.ms,
      floor: a.floor,
      ratio: a.ms / a.floor,
      note: `transfers.approve (check before change, the statement signed on a virtual Ledger and verified, replay, commit) then the MPC host's log sync (${round(a.sync, 1)} ms of it); median of ${p.approvals.ms.length}; floor: the same device signing the same statement alone`,
    });
    rows.push({
      name: `console start-up (store opened, start-up check, first status), ${n} records`,
      unit: 'ms',
      custos: p.cold.startupMs,
      floor: p.cold.floorMs,
      ratio: p.cold.startupMs / p.cold.floorMs,
      note: `a fresh process; RSS after ${fmtN(Math.round(p.cold.rssAfterStartup / 2 ** 20))} MiB; floor: the store opened and every record read; target ≤ 2 s at 100,000 records (absolute)`,
    });
    rows.push({
      name: `MPC host ready after a restart (start, status, log sync), ${n} records`,
      unit: 'ms',
      custos: p.host.readyMs,
      floor: p.host.floorMs,
      ratio: p.host.readyMs / p.host.floorMs,
      note: 'the host on a signer folder that pinned the whole log; floor: the same program on an empty folder, started and answering its status; target ≤ 2 s at 100,000 records',
    });
    rows.push({
      name: `full replay from genesis (vault.verify), ${n} records`,
      unit: 'records/s',
      custos: (p.cold.records * 1000) / p.cold.replayMs,
      floor: NaN,
      ratio: NaN,
      note: `every signature, projection row and audit entry again, ${round(p.cold.replayMs / 1000, 1)} s; RSS ${fmtN(Math.round(p.cold.rss / 2 ** 20))} MiB after, peak ${fmtN(Math.round(p.cold.maxRss / 2 ** 20))} MiB (the process's own); reported, no target`,
    });
    for (const [channel, l] of [['audit.list', p.audit], ['transfers.list', p.requests]] as const) {
      rows.push({
        name: `${channel} through IPC, 50 of ${fmtN(l.total)}, ${n} records`,
        unit: 'ms (p95)',
        custos: l.p95,
        floor: l.floorP95,
        ratio: l.p95 / l.floorP95,
        note: `dispatch → handler → service over ${LIST_CALLS} pages spread across all offsets, p50 ${round(l.p50, 2)} ms; floor: the repository's page call, alternating with it; target p95 ≤ 20 ms at 100,000 records`,
      });
    }
  }
  return rows;
}

function targetsOf(per: PerSize[], sizes: number[]): Target[] {
  const at = (size: number) => per.find((p) => p.size === size);
  const big = at(100_000);
  const small = at(1_000);
  const missing = (what: string) => ({ measured: `${what} records in the run; it had ${sizes.map(fmtN).join(', ') || 'none'}`, met: null });
  const targets: Target[] = [];
  const approval = (p: PerSize) => median(p.approvals.ms);
  targets.push({
    target: 'one approval at 100,000 records ≤ 1.2× its cost at 1,000 (same run)',
    ...(big && small ? { measured: `${round(approval(big) / approval(small))}× (${round(approval(big), 0)} vs ${round(approval(small), 0)} ms)`, met: approval(big) <= 1.2 * approval(small) } : missing('needs 1,000 and 100,000')),
  });
  targets.push({ target: 'console start-up ≤ 2 s at 100,000 records (absolute)', ...(big ? { measured: `${round(big.cold.startupMs / 1000, 2)} s`, met: big.cold.startupMs <= 2000 } : missing('needs 100,000')) });
  targets.push({ target: 'MPC host ready after a restart ≤ 2 s at 100,000 records', ...(big ? { measured: `${round(big.host.readyMs / 1000, 2)} s`, met: big.host.readyMs <= 2000 } : missing('needs 100,000')) });
  for (const [name, key] of [['audit list', 'audit'], ['request list', 'requests']] as const) {
    targets.push({ target: `${name} p95 ≤ 20 ms at 100,000 records (through IPC)`, ...(big ? { measured: `${round(big[key].p95)} ms`, met: big[key].p95 <= 20 } : missing('needs 100,000')) });
  }
  return targets;
}

function jsonOf(per: PerSize[]): Record<string, unknown> {
  return Object.fromEntries(
    per.map((p) => [
      p.size,
      {
        generatedMs: p.generatedMs === null ? null : round(p.generatedMs, 0),
        generator: p.manifest.timings,
        prefixRecords: p.manifest.prefixRecords,
        startup: { ms: round(p.cold.startupMs), floorMs: round(p.cold.floorMs), rssMiB: round(p.cold.rssAfterStartup / 2 ** 20, 0) },
        replay: { ms: round(p.cold.replayMs, 0), recordsPerSecond: round((p.cold.records * 1000) / p.cold.replayMs, 0), rssMiB: round(p.cold.rss / 2 ** 20, 0), peakRssMiB: round(p.cold.maxRss / 2 ** 20, 0) },
        hostRestart: { readyMs: round(p.host.readyMs), floorMs: round(p.host.floorMs) },
        auditList: mapRound(p.audit),
        transfersList: mapRound(p.requests),
        approvals: { ms: p.approvals.ms.map((x) => round(x)), hostSyncMs: p.approvals.syncMs.map((x) => round(x)), deviceFloorMs: p.approvals.floorMs.map((x) => round(x)) },
      },
    ]),
  );
}

const mapRound = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 3)]));
