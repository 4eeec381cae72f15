// Balances first, in Chromium on a vault the real services built (a signed transfer, a pending one holding a coin): the
// wallets list's balance column, the dashboard's total per network, the wallet page's balance, held and free with the
// request that holds it, its recent transfers, and the velocity and balance charts drawn by Chart.js under the console's
// Content-Security-Policy, each with its numbers in words beside it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatBtc } from '../../crypto/amounts';
import type { WalletFundsView } from '../../preload/contract';
import { transferHarness } from '../transfers/helpers';
import { nav, openWallet } from './console-steps';
import { startHarnessOn, type Harness } from './harness';

let h: Harness;
let walletId = '';
let signedId = '';
let pendingId = '';
/** What main counted before the console opened: the figures the screens must show. */
let funds: WalletFundsView;

beforeAll(async () => {
  const t = await transferHarness();
  walletId = t.walletId;
  signedId = (await t.transfers.create({ walletId, destination: t.elsewhere, amount: '500000', feeRate: 2, deviceId: t.device.dave })).id;
  await t.transfers.approve({ requestId: signedId, deviceId: t.device.erin });
  await t.transfers.sign(signedId);
  pendingId = (await t.transfers.create({ walletId, destination: t.elsewhere, amount: '100000', feeRate: 2, deviceId: t.device.dave })).id;
  funds = t.transfers.balance(walletId);
  h = await startHarnessOn(t);
}, 300_000);
afterAll(async () => {
  await h?.close();
});

/** What a person reads in an element, spaces between its cells and lines. */
const text = async (locator: { innerText(): Promise<string> }) => (await locator.innerText()).replace(/\s+/g, ' ').trim();

describe('Balances first', () => {
  it('the dashboard opens with the vault’s total per network, held and free', async () => {
    const { page } = h;
    await page.getByRole('heading', { name: 'Treasury', level: 1 }).waitFor();
    const totals = page.getByRole('region', { name: 'Balances' });
    const regtest = totals.getByTestId('network-total').filter({ hasText: 'Bitcoin regtest (test coins)' });
    await regtest.getByTestId('network-total-amount').filter({ hasText: formatBtc(funds.balance.total) }).waitFor();
    expect(await text(regtest)).toContain(`in 1 wallet · ${formatBtc(funds.balance.held)} held by pending requests · ${formatBtc(funds.balance.free)} free`);
    expect(await totals.getByTestId('network-total').count()).toBe(1);
  });

  it('the wallets list has a balance column with each wallet’s BTC, and what is free while a request holds coins', async () => {
    const { page } = h;
    await nav(page, 'Wallets').click();
    const table = page.getByRole('table', { name: 'Wallets' });
    await table.getByRole('columnheader', { name: 'Balance' }).waitFor();
    const cell = table.getByRole('row', { name: /Cold BTC/ }).getByTestId('wallet-balance-cell');
    await cell.filter({ hasText: formatBtc(funds.balance.total) }).waitFor();
    expect(await text(cell)).toBe(`${formatBtc(funds.balance.total)} ${formatBtc(funds.balance.free)} free`);
  });

  it('the wallet page opens with its balance, what the pending request holds (linked), what is free, and its recent transfers', async () => {
    const { page } = h;
    // Every Content-Security-Policy violation from here on (the page stays one document: screens change by hash).
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { cspViolations: string[] }).cspViolations = seen;
      document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await openWallet(page, 'Cold BTC');
    const panel = page.getByRole('region', { name: 'Balance', exact: true });
    await panel.getByTestId('balance-total').filter({ hasText: formatBtc(funds.balance.total) }).waitFor();
    expect(await text(panel.getByTestId('balance-held'))).toBe(formatBtc(funds.balance.held));
    expect(await text(panel.getByTestId('balance-free'))).toBe(formatBtc(funds.balance.free));
    expect(BigInt(funds.balance.held)).toBeGreaterThan(0n);
    const holder = panel.getByRole('list', { name: 'Requests holding coins' }).getByRole('listitem');
    expect(await text(holder)).toBe(`Request ${pendingId} holds ${formatBtc(funds.balance.held)} until it is signed, rejected or cancelled.`);
    const recent = panel.getByRole('table', { name: 'Recent transfers' });
    const rows = recent.getByRole('row');
    // A header row, then the newest request first.
    expect(await rows.count()).toBe(3);
    expect(await text(rows.nth(1))).toMatch(new RegExp(`^Request ${pendingId} 0\\.001 BTC .* Waiting for approvals`));
    expect(await text(rows.nth(2))).toMatch(new RegExp(`^Request ${signedId} 0\\.005 BTC .* Signed`));
    // The first thing the page shows is the balance: it comes before the wallet's key, custodians and coins.
    const order = await page.evaluate(() => Array.from(document.querySelectorAll('main h2')).map((e) => e.textContent?.trim()));
    expect(order[0]).toBe('Balance');
    await recent.getByRole('link', { name: `Request ${signedId}` }).click();
    await page.getByRole('heading', { name: `Request ${signedId}`, level: 1 }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { name: 'Cold BTC', level: 1 }).waitFor();
  });

  it('draws the velocity used and the balance over time on canvas, with the same numbers in words, and nothing the CSP refuses', async () => {
    const { page } = h;
    const velocity = page.getByRole('region', { name: 'Velocity used' });
    const bars = velocity.getByRole('img');
    await bars.waitFor();
    expect(await bars.evaluate((e) => e.tagName)).toBe('CANVAS');
    // The wallet's 24-hour limit: 0.005 BTC signed of 0.05 BTC, as the policy engine counts it.
    expect(funds.velocity).toEqual([expect.objectContaining({ scope: 'wallet', windowSeconds: 86_400, used: '500000', max: '5000000' })]);
    expect(await bars.getAttribute('aria-label')).toContain('Every transfer, 24 h: 0.005 BTC of 0.05 BTC used (10%), 0.045 BTC left');
    const row = velocity.getByRole('table', { name: 'Velocity used in each window' }).getByRole('row', { name: /Every transfer/ });
    expect(await text(row)).toBe('Every transfer 24 h 0.005 BTC 0.05 BTC 0.045 BTC 1');

    const history = page.getByRole('region', { name: 'Balance over time' });
    const line = history.getByRole('img');
    await line.waitFor();
    expect(await line.evaluate((e) => e.tagName)).toBe('CANVAS');
    const summary = await text(history.getByTestId('balance-history-summary'));
    expect(summary).toMatch(new RegExp(`^Balance over time: 7 changes since .+\\. It is ${formatBtc(funds.balance.total).replace('.', '\\.')} now; highest 0\\.34 BTC, lowest 0\\.2 BTC\\.$`));
    expect(await line.getAttribute('aria-label')).toBe(summary);
    await history.getByText('The changes, newest first').click();
    const changes = history.getByRole('table', { name: 'Changes of the balance' });
    expect(await text(changes.getByRole('row').nth(1))).toContain(`Request ${signedId} signed: 0.005 BTC sent`);
    // Chart.js drew something: the canvas has pixels that are not blank.
    const inked = await line.evaluate((c) => {
      const canvas = c as HTMLCanvasElement;
      const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(inked).toBeGreaterThan(100);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(h.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
    expect(h.consoleErrors).toEqual([]);
    // The policy is in force on this page (so the silence above means something): it refuses an inline script, and says so
    // (once per policy: the page's meta tag and the host's header each report it).
    const ran = await page.evaluate(() => {
      const probe = document.createElement('script');
      probe.textContent = 'window.inlineScriptRan = true';
      document.head.append(probe);
      probe.remove();
      return (window as unknown as { inlineScriptRan?: boolean }).inlineScriptRan ?? false;
    });
    expect(ran).toBe(false);
    await expect.poll(() => page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations.length)).toBeGreaterThan(0);
    h.consoleErrors.length = 0;
  });

  it('follows dark mode: the charts redraw in the dark scheme’s colours', async () => {
    const { page } = h;
    const textColour = async () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--c-text').trim());
    const pixels = () =>
      page.getByRole('region', { name: 'Velocity used' }).getByRole('img').evaluate((c) => (c as HTMLCanvasElement).toDataURL());
    const light = await pixels();
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      await expect.poll(textColour).toBe('#e4e7ec');
      await expect.poll(pixels).not.toBe(light);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });
});
