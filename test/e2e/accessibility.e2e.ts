// axe-core on every screen of the console, with a vault made by the real services (users, groups, a 2-of-3 wallet
// under a policy, a whitelist, coins, a transfer request): no serious or critical violation.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taprootPayment } from '../../crypto/bitcoin';
import { transferHarness } from '../transfers/helpers';
import { axeViolations, describeViolations } from './axe';
import { PHRASES } from '../vault/phrases';
import { actAs, addVirtualDevice, nav, type Person } from './console-steps';
import { startHarnessOn, type Harness } from './harness';

const DAVE: Person = { name: 'Dave', device: 'Dave Ledger', mnemonic: PHRASES.dave };
const ERIN: Person = { name: 'Erin', device: 'Erin Ledger', mnemonic: PHRASES.erin };
let h: Harness;
let walletId = '';
let requestId = '';

beforeAll(async () => {
  const t = await transferHarness();
  walletId = t.walletId;
  requestId = (await t.transfers.create({ walletId, destination: t.elsewhere, amount: '100000', feeRate: 2, deviceId: t.device.dave })).id;
  h = await startHarnessOn(t);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

/** Once what the screen loaded is shown: a table still loading, or a fade half-way, is a colour no screen rests on. */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('.n-data-table--loading, [aria-busy="true"]'));
  await page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity));
}

async function check(page: Page): Promise<void> {
  await settled(page);
  expect(describeViolations(await axeViolations(page))).toEqual([]);
}

/** Every screen of the vault, by its address. */
const routes = () => ['#/dashboard', '#/devices', '#/users', '#/groups', '#/proposals', '#/wallets', `#/wallets/${walletId}`, `#/wallets/${walletId}/policy`, '#/whitelists', '#/transfers', `#/transfers/${requestId}`, '#/audit', '#/team'];

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
    ['Team', 'Team'],
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

/** Elements wider than the window (or scrolled sideways): what makes a screen overflow horizontally. */
async function overflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width) out.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('main *, .main-column *'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= width + 1 || getComputedStyle(el).position === 'fixed') continue;
      // Inside a region that scrolls or clips on its own and fits the window, it does not push the page sideways.
      let contained = false;
      for (let a = el.parentElement; a !== null && a !== document.body; a = a.parentElement) {
        if (/(auto|scroll|hidden|clip)/.test(getComputedStyle(a).overflowX) && a.getBoundingClientRect().right <= width + 1) {
          contained = true;
          break;
        }
      }
      if (!contained) out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ')[0] : ''} ends at ${Math.round(r.right)}px`);
    }
    return out.slice(0, 5);
  });
}

describe('The inbox', () => {
  it('counts the transfer an approver may approve on the navigation, and lists it on the dashboard', async () => {
    const { page } = h;
    await nav(page, 'Devices').click();
    await addVirtualDevice(page, page.getByRole('button', { name: 'Add virtual device' }).first(), ERIN);
    await actAs(page, ERIN);
    const badges = page.getByRole('navigation', { name: 'Main' }).getByRole('status');
    await badges.filter({ hasText: '1' }).and(page.getByLabel('Transfers: 1 waiting for you')).waitFor();
    expect(await badges.count()).toBe(1);
    await nav(page, 'Dashboard').click();
    const item = page.getByRole('list', { name: 'Transfers and key ceremonies waiting for you' }).getByRole('link', { name: `Approve or reject ${requestId}: 0.001 BTC from Cold BTC` });
    await item.click();
    await page.getByRole('heading', { name: `Request ${requestId}`, level: 1 }).waitFor();
    await check(page);
  });
});

describe('Diagnostics', () => {
  it('shows what it collected (versions, the vault, the signer, devices, log lines) before it is copied', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Copy diagnostics' }).click();
    const dialog = page.getByRole('dialog', { name: 'Diagnostics' });
    const text = dialog.getByRole('textbox', { name: 'Diagnostics text' });
    await expect.poll(async () => await text.inputValue()).toMatch(/^Custos diagnostics, /);
    const value = await text.inputValue();
    expect(value).toMatch(/Custos 0\.1\.0 \(browser-host\), MPC host protocol 3/);
    expect(value).toMatch(/Vault: Treasury \(v-[^)]+\), last record seq \d+, integrity ok/);
    expect(value).toMatch(/MPC signer [0-9a-f]{16}: pinned to Treasury/);
    await dialog.getByRole('button', { name: 'Copy diagnostics', exact: true }).waitFor();
    await check(page);
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
  });
});

describe('Dark mode, following the system setting', () => {
  it('turns every screen dark, with no serious or critical axe violation', async () => {
    const { page } = h;
    await page.emulateMedia({ colorScheme: 'dark' });
    try {
      const found: string[] = [];
      for (const route of routes()) {
        await page.evaluate((to) => (location.hash = to), route);
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = (background.match(/\d+/g) ?? ['255', '255', '255']).map(Number);
        if ((r! + g! + b!) / 3 > 60) found.push(`${route}: the page is not dark (${background})`);
        await settled(page);
        for (const v of describeViolations(await axeViolations(page))) found.push(`${route}: ${v}`);
        if (route === `#/transfers/${requestId}`) await h.screenshot('dark-transfer.png');
      }
      expect(found).toEqual([]);
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
    }
  });
});

describe('Every screen at 1024×700', () => {
  it('has no horizontal overflow', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 1024, height: 700 });
    const found: string[] = [];
    for (const route of routes()) {
      await page.evaluate((to) => (location.hash = to), route);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      await page.waitForLoadState('networkidle');
      for (const o of await overflow(page)) found.push(`${route}: ${o}`);
    }
    await page.setViewportSize({ width: 1280, height: 820 });
    expect(found).toEqual([]);
  });
});

describe('Below 1024 pixels, and from the keyboard', () => {
  it('folds the navigation behind a Menu button, which opens it and closes once a screen is chosen', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 980, height: 700 });
    try {
      const link = nav(page, 'Wallets');
      await link.waitFor({ state: 'hidden' });
      const menu = page.getByRole('button', { name: 'Menu' });
      expect(await menu.getAttribute('aria-expanded')).toBe('false');
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      await link.click();
      await page.getByRole('heading', { name: 'Wallets', level: 1 }).waitFor();
      await link.waitFor({ state: 'hidden' });
      expect(await overflow(page)).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 820 });
    }
    await page.getByRole('button', { name: 'Menu' }).waitFor({ state: 'hidden' });
  });

  it('remembers who acted last, by their device, across a reload', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Menu' }).waitFor({ state: 'hidden' });
    await nav(page, 'Devices').click();
    await addVirtualDevice(page, page.getByRole('button', { name: 'Add virtual device' }).first(), DAVE);
    await actAs(page, DAVE);
    await page.reload();
    await page.getByRole('group', { name: 'Acting as' }).getByRole('status').filter({ hasText: /^\s*Dave ·/ }).waitFor();
  });

  it('a dialog opened from the keyboard gives focus back to what opened it when it closes', async () => {
    const { page } = h;
    await nav(page, 'Devices').click();
    const opener = page.getByRole('button', { name: 'Add virtual device' }).first();
    await opener.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Add virtual device' });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => opener.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  it('a skip link takes the keyboard past the navigation to the screen', async () => {
    const { page } = h;
    // A fresh page: the keyboard starts from its top, as a person arriving would.
    await page.evaluate(() => (location.hash = '#/transfers'));
    await page.reload();
    await page.getByRole('heading', { name: 'Transfers', level: 1 }).waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('button', { name: 'Skip to content' });
    expect(await skip.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main-content');
  });
});

describe('Errors in place and the device prompt beside the dialog', () => {
  it('an error beside its field, then the device prompt beside the dialog: no violation, and focus goes to the prompt and back', async () => {
    const { page } = h;
    // Dave (an operator) acts, as the test before left it.
    await nav(page, 'Transfers').click();
    await page.getByRole('button', { name: 'New transfer' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New transfer' });
    await dialog.getByRole('combobox', { name: 'From wallet' }).selectOption({ label: 'Cold BTC (Bitcoin regtest)' });
    await dialog.getByText('Policy version 1 in force.').waitFor();
    const destination = dialog.getByRole('textbox', { name: 'Destination address' });
    await destination.fill(taprootPayment(schnorr.getPublicKey(hexToBytes('0f'.repeat(32))), 'mainnet').address);
    await dialog.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.001');
    await dialog.getByRole('button', { name: 'Request on device' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'This is a mainnet address; the wallet is on regtest.' }).waitFor();
    await check(page);

    await destination.fill(taprootPayment(schnorr.getPublicKey(hexToBytes('0e'.repeat(32))), 'regtest').address);
    const start = dialog.getByRole('button', { name: 'Request on device' });
    await start.click();
    const prompt = page.getByRole('dialog', { name: 'Review message' });
    await prompt.waitFor();
    await expect.poll(() => prompt.evaluate((p) => p.contains(document.activeElement))).toBe(true);
    await check(page);
    await prompt.getByRole('button', { name: 'Reject', exact: true }).click();
    await prompt.waitFor({ state: 'detached' });
    await dialog.getByRole('alert').and(page.locator('[data-code="REJECTED_ON_DEVICE"]')).waitFor();
    // Focus goes back into the dialog it came from.
    await expect
      .poll(() => dialog.evaluate((d) => (d.contains(document.activeElement) ? 'inside' : (document.activeElement?.outerHTML ?? 'none').slice(0, 160))))
      .toBe('inside');
    await check(page);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });
});
