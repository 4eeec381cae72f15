// In a vault with a wallet key, transfers, approvals and a signed transaction, no record can be placed a second time
// by rebasing it (what a hostile writer of a team's log would try): replay refuses every copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebaseRecord, REBASE_WINDOW, replayErrors, signedSeq, type GovernanceRecord } from '../../crypto/governance';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;

beforeAll(async () => {
  h = await transferHarness();
  const small = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId: small, deviceId: h.device.erin });
  await h.transfers.sign(small);
  const other = (await h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount: '300000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.reject({ requestId: other, deviceId: h.device.erin });
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('a record placed again', () => {
  it('is refused for every record type of the log', () => {
    const bodies = h.records();
    const records = bodies.map((b) => JSON.parse(b) as GovernanceRecord);
    const types = new Set<string>();
    for (const original of records.slice(1)) {
      if (bodies.length - signedSeq(original) > REBASE_WINDOW) continue;
      types.add(original.type);
      const problems = replayErrors([...records, rebaseRecord(original, records.length)]);
      expect(problems.length, `${original.type} at seq ${original.seq}`).toBe(1);
    }
    expect([...types].sort()).toEqual(expect.arrayContaining(['approval', 'proposal', 'transfer-approval', 'transfer-rejection', 'transfer-request', 'transfer-signed', 'wallet-key']));
  });
});
