// A policy that asks for a refresh of the key shares after a number of signatures or days: once it is due, main asks no
// device and the MPC host refuses on its own; after the refresh (same key, new shares) the wallet signs again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shareRefreshDue } from '../../crypto/transfers/share-refresh';
import { walletView } from '../../main/wallets/views';
import { expectError } from '../vault/helpers';
import { adopted } from '../wallets/helpers';
import { consentingSigners, transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
const DAY = 86_400_000;

beforeAll(async () => {
  h = await transferHarness({ shareRefresh: { afterSignatures: 1, afterDays: 30 } });
}, 240_000);
afterAll(async () => {
  await h?.close();
});

async function readyRequest(): Promise<string> {
  const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
  await h.transfers.approve({ requestId: r.id, deviceId: h.device.erin });
  return r.id;
}

const screens = () => Object.values(h.screens).reduce((n, s) => n + s.length, 0);
const wallet = () => h.vault.readState().wallets.find((w) => w.id === h.walletId)!;

describe('a policy asking for a refresh of the shares after 1 signature or 30 days', () => {
  it('counts the age of the key in force by days, and signatures made with it from the log and a signer’s own ledger', () => {
    const state = h.vault.readState();
    const keyTime = Date.parse(wallet().keySince!.at);
    expect(shareRefreshDue(state, h.walletId, { ledger: [], keyTime, now: keyTime + 29 * DAY })).toBeNull();
    expect(shareRefreshDue(state, h.walletId, { ledger: [], keyTime, now: keyTime + 30 * DAY })).toMatch(/every 30 days, and key version 1 is 30 days old/);
    // A signature the signer made that the log does not hold yet counts; one made before this key does not.
    const ledger = (signedAt: number) => [{ requestId: 'R-9', walletId: h.walletId, signedAt }];
    expect(shareRefreshDue(state, h.walletId, { ledger: ledger(keyTime + 1), keyTime, now: keyTime + 2 })).toMatch(/after 1 signature, and key version 1 has made 1/);
    expect(shareRefreshDue(state, h.walletId, { ledger: ledger(keyTime - 1), keyTime, now: keyTime + 2 })).toBeNull();
  });

  it('signs the first request, after which main asks no device and the host refuses on its own', async () => {
    const first = await readyRequest();
    expect((await h.transfers.sign(first)).status).toBe('signed');
    expect(walletView(h.vault.readState(), wallet()).refreshDue).toMatch(/refresh of Cold BTC's key shares after 1 signature/);

    const second = await readyRequest();
    const before = screens();
    await expectError(h.transfers.sign(second), 'POLICY_DENIED', /cannot be signed yet: the policy asks for a refresh of Cold BTC's key shares after 1 signature, and key version 1 has made 1: administrators propose a refresh/);
    expect(screens()).toBe(before);
    const direct = h.host.signTransfer({ ceremonyId: 'refresh-due', requestId: second, records: h.records(), signers: await consentingSigners(h, second) });
    await expect(direct).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/asks for a refresh of Cold BTC's key shares/) });
  });

  it('signs again once the administrators approved a refresh and the custodians ran it: same key, new shares', async () => {
    const outputKey = wallet().key!.outputKey;
    await adopted(h, () => h.vault.proposeRefresh({ walletId: h.walletId, deviceId: h.device.alice }));
    await h.ceremonies.run(h.walletId);
    expect(wallet().key).toMatchObject({ keyVersion: 2, outputKey });
    expect(walletView(h.vault.readState(), wallet()).refreshDue).toBeNull();
    const waiting = h.transfers.list({ offset: 0, limit: 50 }).transfers.find((t) => t.status === 'ready')!;
    expect((await h.transfers.sign(waiting.id)).status).toBe('signed');
  });
});
