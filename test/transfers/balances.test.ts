// What main answers about a wallet's money, on a real vault (SQLite file, virtual Ledgers, the MPC host process): the
// balance is the unspent coins, open requests hold what they will spend, signing moves the balance by the amount and
// the fee, the velocity used is the policy engine's own count (the one a request's decision shows), and the balance
// over time ends at the balance.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { networkTotals, walletBalance } from '../../main/transfers/balances';
import { TransferService } from '../../main/transfers/service';
import { adopted } from '../wallets/helpers';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
const HOUR = 3600_000;

beforeAll(async () => {
  h = await transferHarness();
  // Version 2 adds a rule limit, so both scopes of velocity show: 0.02 BTC and 3 transfers per hour under "Small".
  const v1 = validatePolicy(h.vault.readState().policies[0]!.document);
  const rules = v1.rules.map((r) => (r.id === 'small' ? { ...r, velocity: [{ windowSeconds: 3600, maxAmount: 2_000_000n, maxCount: 3 }] } : r));
  const doc = policyDocument({ ...v1, version: 2, rules });
  await adopted(h, () => h.vault.proposePolicy({ document: JSON.stringify(doc), deviceId: h.device.alice }));
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const ALL = 20_000_000 + 10_000_000 + 4 * 1_000_000;

describe("a wallet's balance", () => {
  let requestId = '';
  let fee = 0n;

  it('is the sum of its unspent coins, all free before any request; the vault total is per network', () => {
    const { balance, policy, history } = h.transfers.balance(h.walletId);
    expect(balance).toEqual({ walletId: h.walletId, network: 'regtest', total: String(ALL), held: '0', heldBy: [], free: String(ALL), coins: 6 });
    expect(policy).toEqual({ version: 2 });
    expect(history).toHaveLength(6);
    expect(h.transfers.balances()).toEqual({ wallets: [balance], totals: [{ network: 'regtest', total: String(ALL), held: '0', free: String(ALL), wallets: 1 }] });
  });

  it('an open request holds the coins it will spend, names itself as their holder, and only the rest is free', async () => {
    const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave });
    requestId = r.id;
    fee = BigInt(r.fee);
    // Largest first: the 0.2 BTC coin pays it.
    const { balance } = h.transfers.balance(h.walletId);
    expect(balance).toMatchObject({ total: String(ALL), held: '20000000', heldBy: [{ requestId, amount: '20000000' }], free: String(ALL - 20_000_000), coins: 6 });
    expect(h.transfers.balances().totals[0]).toMatchObject({ held: '20000000', free: String(ALL - 20_000_000) });
  });

  it('once signed, its coins are spent and its change comes back: the balance falls by the amount and the fee, nothing is held', async () => {
    await h.transfers.approve({ requestId, deviceId: h.device.erin });
    const signed = await h.transfers.sign(requestId);
    expect(signed.status).toBe('signed');
    const after = BigInt(ALL) - 500_000n - fee;
    const { balance, history } = h.transfers.balance(h.walletId);
    expect(balance).toMatchObject({ total: after.toString(), held: '0', heldBy: [], free: after.toString(), coins: 6 });
    // Six coins recorded, then one point for the transfer (its coin spent and its change back, at its signing time).
    expect(history.map((p) => p.kind)).toEqual(['coin', 'coin', 'coin', 'coin', 'coin', 'coin', 'transfer']);
    const last = history.at(-1)!;
    expect(last).toMatchObject({ at: signed.signed!.at, change: (-500_000n - fee).toString(), balance: after.toString(), requestId });
    expect(last.event).toBe(`Request ${requestId} signed: 0.005 BTC sent, ${Number(fee) / 1e8} BTC fee`);
    for (const p of history) expect(Number.isNaN(Date.parse(p.at))).toBe(false);
    expect(history[0]!.event).toBe('Coin recorded: made-up regtest prevout');
  });

  it('velocity used in each window is what the policy engine counts: the same numbers a new request is decided with', async () => {
    const { velocity } = h.transfers.balance(h.walletId);
    expect(velocity).toEqual([
      { scope: 'wallet', rule: null, windowSeconds: 86_400, used: '500000', max: '5000000', left: '4500000', usedCount: 1, maxCount: null },
      { scope: 'rule', rule: { id: 'small', name: 'Small' }, windowSeconds: 3600, used: '500000', max: '2000000', left: '1500000', usedCount: 1, maxCount: 3 },
    ]);
    const next = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 2, deviceId: h.device.dave });
    expect(next.velocity.map((v) => ({ scope: v.scope, windowSeconds: v.windowSeconds, used: v.used, max: v.max }))).toEqual(
      velocity.map((v) => ({ scope: v.scope, windowSeconds: v.windowSeconds, used: v.used, max: v.max })),
    );
    await h.transfers.cancel({ requestId: next.id, deviceId: h.device.dave });
  });

  it('a transfer leaves each window when the window has passed it', () => {
    const signedAt = Date.parse(h.transfers.get(requestId).signed!.at);
    const later = (ms: number) => new TransferService({ vault: h.vault, store: h.store, devices: h.devices, host: h.host, clock: () => new Date(signedAt + ms) }).balance(h.walletId).velocity;
    expect(later(2 * HOUR).map((v) => v.used)).toEqual(['500000', '0']);
    expect(later(25 * HOUR).map((v) => [v.used, v.usedCount])).toEqual([
      ['0', 0],
      ['0', 0],
    ]);
  });

  it('places a coin recorded before the console kept dates at the wallet key’s date', () => {
    h.store.db.prepare("UPDATE utxos SET recorded_at = NULL WHERE txid = ?").run('fd'.repeat(32));
    const keyAt = h.vault.readState().wallets.find((w) => w.id === h.walletId)!.keySince!.at;
    const { history } = h.transfers.balance(h.walletId);
    expect(history[0]).toMatchObject({ at: keyAt, kind: 'coin', change: '20000000', balance: '20000000' });
    expect(history.at(-1)!.balance).toBe(h.transfers.balance(h.walletId).balance.total);
  });
});

describe('the vault total', () => {
  const coin = (txid: string, amount: string) => ({ walletId: 'w', txid, vout: 0, amount, path: '0/0', label: 'x', spentBy: null, recordedAt: null });
  it('never adds a test network’s coins to mainnet money', () => {
    const main = walletBalance('a', 'mainnet', [coin('aa', '150000000')], new Map());
    const reg = walletBalance('b', 'regtest', [coin('bb', '700000000'), coin('cc', '1')], new Map([['cc:0', 'R-4']]));
    const main2 = walletBalance('c', 'mainnet', [coin('dd', '50000000')], new Map([['dd:0', 'R-2']]));
    expect(networkTotals([reg, main, main2])).toEqual([
      { network: 'mainnet', total: '200000000', held: '50000000', free: '150000000', wallets: 2 },
      { network: 'regtest', total: '700000001', held: '1', free: '700000000', wallets: 1 },
    ]);
  });
});
