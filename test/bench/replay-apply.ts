// Per-record cost of applying one record to a governance state holding 1,000 vs 10,000 transfers (run: npx tsx test/bench/replay-apply.ts).
// The state is the standard test vault padded with transfers in their stored shape (loaded as a checkpoint would be);
// the record is a transfer approval with signatures unchecked, so what is timed is the state handling, not secp256k1.
// Before the Replayer (a whole-state structuredClone and sort per record) one run gave 12.4 ms at 1,000 transfers and
// 310 ms at 10,000; after, every row but the indexing ones stays flat (about 0.03-0.1 ms) on the same machine.
import { applyRecord, Replayer } from '../../crypto/governance/index.js';
import type { GovernanceState, TransferDecisionRecord, TransferState } from '../../crypto/governance/index.js';
import { standardVault } from '../crypto/fixtures.js';

const base = standardVault().state;

function padded(transfers: number): GovernanceState {
  const list: TransferState[] = [];
  for (let i = 0; i < transfers; i++) {
    const id = `req-${(i * 7919) % 1_000_003}-${i}`;
    list.push({
      id,
      seq: 100 + i,
      request: {
        type: 'transfer-request', seq: 100 + i, vaultId: base.vaultId, requestId: id, walletId: 'w1', initiatorId: 'dave',
        destination: 'bcrt1qexampleexampleexampleexampleexample0', amount: '500000', fee: '300',
        psbt: 'cHNidP8B'.padEnd(600, 'A'), inputPaths: ['0/1'], changePath: '1/0', sighashes: ['ab'.repeat(32)],
        policyVersion: 1, policyHash: '0x' + 'cd'.repeat(32), createdAt: '2025-02-01T00:00:00Z', signature: '0x' + '11'.repeat(65),
      },
      approvals: [], rejections: [], signed: null, cancelled: null,
    });
  }
  list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ...base, transfers: list };
}

const approval = (state: GovernanceState, requestId: string, userId: string): TransferDecisionRecord => ({
  type: 'transfer-approval', seq: state.seq + 1, vaultId: state.vaultId, requestId, userId, at: '2025-02-02T00:00:00Z', signature: '0x' + '00'.repeat(65),
});

function perRecord(label: string, transfers: number, records: number, step: (state: GovernanceState, i: number) => GovernanceState, from = padded(transfers)): void {
  let state = from;
  for (let i = 0; i < 50; i++) state = step(state, i); // warm-up
  const start = performance.now();
  for (let i = 50; i < records + 50; i++) state = step(state, i);
  const ms = (performance.now() - start) / records;
  console.log(`${label.padEnd(44)} ${String(transfers).padStart(6)} transfers: ${ms.toFixed(3)} ms per record`);
}

const users = ['alice', 'bob', 'carol', 'dave'];
const target = (state: GovernanceState, i: number): TransferState => state.transfers[(i * 37) % state.transfers.length] as TransferState;
for (const n of [1_000, 10_000]) {
  perRecord('applyRecord, a state it returned', n, 800, (state, i) =>
    applyRecord(state, approval(state, target(state, i).id, users[i % users.length] as string), { verifySignatures: false }));
  // A fresh copy each time: what applyRecord costs on a state it did not make (it indexes it first).
  perRecord('applyRecord, any other state (indexed first)', n, 50, (state, i) =>
    applyRecord({ ...state }, approval(state, target(state, i).id, users[i % users.length] as string), { verifySignatures: false }));
  const replayer = Replayer.fromState(padded(n));
  const first = replayer.state();
  perRecord('Replayer.check then apply', n, 800, (state, i) => {
    const record = approval(state, target(first, i).id, users[i % users.length] as string);
    replayer.check(record);
    replayer.apply(record, { verifySignatures: false });
    return { ...state, seq: replayer.seq };
  }, first);
  perRecord('Replayer.apply, then state() handed out', n, 800, (state, i) => {
    replayer.apply(approval(state, target(first, i).id, users[(i + 1) % users.length] as string), { verifySignatures: false });
    return replayer.state();
  }, replayer.state());
}

// Loading a checkpoint (a one-time pass per start-up or per state not made here): the cost it is fair to pay once.
for (const n of [1_000, 10_000]) {
  const state = JSON.parse(JSON.stringify(padded(n))) as GovernanceState;
  const start = performance.now();
  for (let i = 0; i < 20; i++) Replayer.fromState({ ...state });
  console.log(`${'Replayer.fromState (checkpoint indexed)'.padEnd(44)} ${String(n).padStart(6)} transfers: ${((performance.now() - start) / 20).toFixed(3)} ms per load`);
}
