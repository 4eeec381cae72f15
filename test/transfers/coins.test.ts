// A request holds only the coins it needs (largest first), the coins say which request holds them, and a request that
// the free coins cannot pay is refused in words a person acts on: how much is free, and which request holds the rest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../vault/helpers';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;

beforeAll(async () => {
  h = await transferHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const request = (amount: string) => h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount, feeRate: 1, deviceId: h.device.dave });
const holders = () => Object.fromEntries(h.transfers.utxos(h.walletId).map((c) => [`${c.txid.slice(0, 4)}:${c.vout}`, c.heldBy]));

describe('coins and the requests that hold them', () => {
  it('each request holds the coins it needs, and the coins name it', async () => {
    expect(Object.values(holders()).every((x) => x === null)).toBe(true);
    const a = await request('4500000');
    const b = await request('4500000');
    // Largest first: 0.2 BTC pays the first, 0.1 BTC the second; the four 0.01 BTC coins stay free.
    expect(holders()).toMatchObject({ 'fdfd:0': a.id, 'fefe:1': b.id, 'e0e0:0': null, 'e1e1:1': null, 'e2e2:2': null, 'e3e3:3': null });
  });

  it('a request the free coins cannot pay says how much is free and which requests hold the rest', async () => {
    const [a, b] = h.transfers.list({ offset: 0, limit: 10 }).transfers.map((t) => t.id).reverse();
    await expectError(
      request('4500000'),
      'RULE_VIOLATION',
      new RegExp(`^Cold BTC cannot pay 0\\.045 BTC: only 0\\.04 BTC is free: 0\\.2 BTC is held by request ${a}, 0\\.1 BTC is held by request ${b} until they are signed, rejected or cancelled\\.$`),
    );
    // Rejected, the first request lets its coin go: the same request can now be made.
    await h.transfers.reject({ requestId: a!, deviceId: h.device.erin });
    expect(holders()['fdfd:0']).toBeNull();
    const c = await request('4500000');
    expect(holders()['fdfd:0']).toBe(c.id);
  });
});
