// Views say when things happened (the time of the signed record), not only at which sequence number of the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { walletView } from '../../main/wallets/views';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;

beforeAll(async () => {
  h = await transferHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

/** The createdAt each record of the log signed, by seq; an approval signs none and gets the time it was appended. */
function recordTimes(): Map<number, string> {
  return new Map(h.records().map((body) => JSON.parse(body) as { seq: number; createdAt?: string }).map((r) => [r.seq, r.createdAt ?? appended(r.seq)]));
}
const appended = (seq: number) => (h.store.db.prepare('SELECT recorded_at AS at FROM records WHERE seq = ?').get(seq) as { at: string }).at;

describe('dates of records in views', () => {
  it('users, wallets, the policy and whitelists carry the time of the record that made them', () => {
    const times = recordTimes();
    const users = h.vault.listUsers();
    expect(users.length).toBeGreaterThan(3);
    for (const u of users) {
      expect(u.registeredAt).toBe(times.get(u.registeredAtSeq));
      expect(Number.isNaN(Date.parse(u.registeredAt!))).toBe(false);
    }
    const state = h.vault.readState();
    const wallet = walletView(state, state.wallets[0]!, Date.now(), h.vault.timeOf);
    expect(wallet.createdAt).toBe(times.get(wallet.createdAtSeq));
    const policy = h.transfers.policy(h.walletId)!;
    expect(policy.adoptedAt).toBe(times.get(policy.adoptedAtSeq));
    const [list] = h.transfers.whitelists();
    expect(list!.changedAt).toBe(times.get(list!.changedAtSeq));
    // Each is a different moment of the vault's history, in order.
    expect(Date.parse(policy.adoptedAt!)).toBeGreaterThanOrEqual(Date.parse(list!.changedAt!));
  });

  it('a seq the log does not hold has no time', () => {
    expect(h.vault.timeOf(10_000)).toBeNull();
  });
});
