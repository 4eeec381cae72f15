// Errors a person fixes in a form say which field and what to do, in their words: a wrong-network or mistyped address,
// an amount the free coins cannot pay, a name already in use, a whitelist entry of another network.
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

const MAINNET = 'bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297';
const request = (destination: string, amount = '100000') => h.transfers.create({ walletId: h.walletId, destination, amount, feeRate: 1, deviceId: h.device.dave });

describe('errors about what the person entered', () => {
  it('a mainnet destination for a regtest wallet names the destination and both networks, before any device is asked', async () => {
    const before = h.records().length;
    const err = await expectError(request(MAINNET), 'BAD_INPUT', /^This is a mainnet address; the wallet is on regtest\.$/);
    expect(err.toData()).toMatchObject({ field: 'destination' });
    expect(h.records()).toHaveLength(before);
  });

  it('a mistyped address says so in words, never with the decoder’s message', async () => {
    const typo = h.exchange.slice(0, -1) + (h.exchange.endsWith('q') ? 'p' : 'q');
    const err = await expectError(request(typo), 'BAD_INPUT');
    expect(err.message).toBe('This address has a typing mistake (a character is wrong, missing or extra): copy it again from its source.');
    expect(err.field).toBe('destination');
    const garbage = await expectError(request('not an address at all'), 'BAD_INPUT');
    expect(garbage.message).not.toMatch(/bech32|base58|checksum|Invalid|Unknown|decode/i);
    expect(garbage.field).toBe('destination');
  });

  it('an amount the free coins cannot pay names the amount', async () => {
    const err = await expectError(request(h.exchange, '90000000'), 'RULE_VIOLATION', /^Cold BTC cannot pay 0\.9 BTC: only 0\.34 BTC is free\.$/);
    expect(err.toData()).toMatchObject({ field: 'amount' });
  });

  it('an amount below the dust limit names the amount', async () => {
    const err = await expectError(request(h.exchange, '100'), 'BAD_INPUT', /below the dust limit/);
    expect(err.field).toBe('amount');
  });

  it('a group name already in use names the name field', async () => {
    const err = await expectError(h.vault.proposeGroupCreate({ name: 'ops', memberIds: [h.ids.dave], deviceId: h.device.alice }), 'RULE_VIOLATION');
    expect(err.message).toBe('A group is already named ops: choose another name. Nothing was signed.');
    expect(err.field).toBe('name');
  });

  it('a whitelist entry of another network names the entry’s address', async () => {
    const document = JSON.stringify({ name: 'Cold storage', network: 'regtest', entries: [{ address: MAINNET, label: 'Vault' }] });
    const err = await expectError(h.vault.proposeWhitelist({ document, deviceId: h.device.alice }), 'BAD_INPUT');
    expect(err.message).toBe('The whitelist cannot be used: entry 1, address: this is a mainnet address; the list is on regtest.');
    expect(err.field).toBe('entries.0.address');
  });
});
