// axe-core on every screen of the console, with a vault made by the real services (users, groups, a 2-of-3 wallet
// under a policy, a whitelist, coins, a transfer request): no serious or critical violation.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferHarness } from '../transfers/helpers';
import { axeViolations, describeViolations } from './axe';
import { nav } from './console-steps';
import { startHarness, type Harness } from './harness';

let h: Harness;
let walletId = '';
let requestId = '';

beforeAll(async () => {
  const t = await transferHarness();
  walletId = t.walletId;
  requestId = (await t.transfers.create({ walletId, destination: t.elsewhere, amount: '100000', feeRate: 2, deviceId: t.device.dave })).id;
  await t.client.close();
  t.vault.close();
  t.store.close();
  await t.devices.close();
  h = await startHarness({ dataDir: t.dir });
}, 240_000);
afterAll(async () => {
  await h?.close();
});

async function check(page: Page): Promise<void> {
  expect(describeViolations(await axeViolations(page))).toEqual([]);
}

describe('Accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  const screens: [string, string][] = [
    ['Dashboard', 'Treasury'],
    ['Devices', 'Devices'],
    ['Users', 'Users'],
    ['Groups', 'Groups'],
    ['Proposals', 'Proposals'],
    ['Wallets', 'Wallets'],
    ['Whitelists', 'Whitelists'],
    ['Transfers', 'Transfers'],
    ['Audit log', 'Audit log'],
  ];
  for (const [link, heading] of screens) {
    it(`${link}: no serious or critical violation`, async () => {
      const { page } = h;
      await page.getByRole('heading', { name: 'Treasury', level: 1 }).or(page.getByRole('navigation', { name: 'Main' })).first().waitFor();
      await nav(page, link).click();
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await check(page);
    });
  }

  it('the wallet, its policy and a transfer request: no serious or critical violation', async () => {
    const { page } = h;
    for (const [hash, heading] of [[`#/wallets/${walletId}`, 'Cold BTC'], [`#/wallets/${walletId}/policy`, /Policy/], [`#/transfers/${requestId}`, `Request ${requestId}`]] as const) {
      await page.evaluate((to) => (location.hash = to), hash);
      await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await check(page);
    }
    expect(h.consoleErrors).toEqual([]);
  });
});
