// Wallets end to end in Chromium: a 2-of-3 regtest wallet proposed, approved and keyed by its custodians' virtual
// Ledgers, its receive address and QR code, a reshare to 3 of 4 and a refresh that keep the address and bump the key version.
import readQR from '@paulmillr/qr/decode.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actAs, approveAs, approveOnScreen, approveScreens, ceremonyScreens, expectNoProblem, foundVault, mnemonicOf, nav, openWallet, register, setQuorum } from './console-steps';
import { startHarness, type Harness } from './harness';

const PEOPLE = {
  alice: { name: 'Alice', device: 'Alice Ledger', mnemonic: mnemonicOf(0x51) },
  bob: { name: 'Bob', device: 'Bob Ledger', mnemonic: mnemonicOf(0x52) },
  carol: { name: 'Carol', device: 'Carol Ledger', mnemonic: mnemonicOf(0x53) },
  dave: { name: 'Dave', device: 'Dave Ledger', mnemonic: mnemonicOf(0x54) },
} as const;
const VAULT = 'Treasury';
const WALLET = 'Cold reserve';
// Key ceremonies run the MPC host and one device screen per custodian: longer than a governance step.
const CEREMONY_TIMEOUT = 180_000;

/** Reads the receive QR code back from its pixels: the SVG drawn on a canvas in the page, decoded here. */
async function decodeReceiveQr(page: Page): Promise<string> {
  const image = await page.getByTestId('receive-qr').evaluate(async (svg) => {
    const markup = new XMLSerializer().serializeToString(svg);
    const img = new Image();
    img.src = `data:image/svg+xml;base64,${btoa(markup)}`;
    await img.decode();
    const size = 400;
    const canvas = document.createElement('canvas');
    canvas.width = size;
    canvas.height = size;
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, size, size);
    return { width: size, height: size, data: Array.from(ctx.getImageData(0, 0, size, size).data) };
  });
  return readQR({ width: image.width, height: image.height, data: new Uint8Array(image.data) });
}

const receiveAddress = async (page: Page) => ((await page.getByTestId('receive-address').getByTitle(/^bcrt1p/).getAttribute('title')) ?? '').trim();

describe('Wallets in the console', () => {
  let h: Harness;
  let firstAddress = '';
  let firstOutputKey = '';

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('founds a vault of three administrators with a quorum of 2', async () => {
    const { page } = h;
    await foundVault(page, VAULT, PEOPLE.alice);

    await register(page, PEOPLE.bob, ['administrator']);
    await register(page, PEOPLE.carol, ['administrator']);
    await setQuorum(page, 2, 3);
  });

  it('proposes a 2-of-3 regtest wallet, which waits for its key once the quorum approves', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await nav(page, 'Wallets').click();
    await page.getByRole('heading', { name: 'No wallets yet' }).waitFor();
    await page.getByRole('button', { name: 'New wallet' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New wallet' });
    await dialog.getByRole('textbox', { name: 'Wallet name' }).fill(WALLET);
    expect(await dialog.getByRole('combobox', { name: 'Network' }).inputValue()).toBe('regtest');
    for (const p of [PEOPLE.alice, PEOPLE.bob, PEOPLE.carol]) await dialog.getByRole('checkbox', { name: p.name, exact: true }).click();
    await dialog.getByRole('textbox', { name: 'Threshold (signatures needed)' }).fill('2');
    await dialog.getByTestId('new-wallet-key-t-of-n').filter({ hasText: '2 of 3' }).waitFor();
    // What Alice's device will show is on screen before it starts.
    await dialog.getByText('Threshold: 2 of 3').waitFor();
    await dialog.getByText('Network: Bitcoin regtest').waitFor();
    await dialog.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, new RegExp(`create wallet[\\s\\S]*${WALLET}`));
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);

    const waiting = () => page.getByRole('region', { name: 'Waiting for approval' });
    const title = new RegExp(`^Create wallet ${WALLET}`);
    await waiting().getByRole('article', { name: title }).waitFor();
    await approveAs(page, [PEOPLE.bob, PEOPLE.carol], waiting, title);

    const row = page.getByRole('table', { name: 'Wallets' }).getByRole('row').filter({ hasText: WALLET });
    await row.getByText('Awaiting its key').waitFor();
    await row.getByText('2 of 3').waitFor();
  });

  it('fails the key ceremony when a custodian rejects their screen, and keeps it owed', async () => {
    const { page } = h;
    await openWallet(page, WALLET);
    const box = page.getByTestId('ceremony-box');
    await box.getByRole('button', { name: 'Run key ceremony' }).click();
    // The console's MPC signer is pinned to nothing yet: a custodian's device confirms the vault first (asked once).
    await approveScreens(page, [{ statement: new RegExp(`PIN vault on signer[\\s\\S]*Vault: ${VAULT}`) }]);
    // Then each custodian's device shows what their part is for; the first one rejects it.
    const prompt = page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: /USE key share[\s\S]*CREATE wallet key[\s\S]*Threshold: 2 of 3/ });
    await prompt.getByRole('button', { name: 'Reject', exact: true }).click();

    const problems = page.getByRole('region', { name: 'Problems' });
    await problems.getByText(`Running the key ceremony of ${WALLET}:`).waitFor();
    await box.getByTestId('ceremony-progress').and(page.locator('[data-outcome="failed"]')).waitFor();
    expect(await box.getByTestId('ceremony-stage-devices').getAttribute('data-state')).toBe('failed');
    await page.getByTestId('wallet-status').and(page.locator('[data-status="awaiting-key"]')).waitFor();
    expect(await box.getByRole('button', { name: 'Run key ceremony' }).isEnabled()).toBe(true);
    // Dismissed, so the next steps' check for problems starts clean.
    await problems.getByRole('button', { name: /close/i }).click();
    await problems.waitFor({ state: 'detached' });
  });

  it(
    "runs the key ceremony on the custodians' devices and shows the receive address with its QR code",
    async () => {
      const { page } = h;
      await openWallet(page, WALLET);
      await page.getByTestId('wallet-status').and(page.locator('[data-status="awaiting-key"]')).waitFor();
      const box = page.getByTestId('ceremony-box');
      await box.getByRole('heading', { name: 'Key ceremony owed: Key generation' }).waitFor();
      await expect.poll(() => box.locator('[data-testid="ceremony-custodian"][data-connected="true"]').count()).toBe(3);
      // Before the key exists the approved custodians are listed, none holding a share yet.
      expect(await page.locator('[data-testid="custodian-row"][data-share="none"]').count()).toBe(3);

      await box.getByRole('button', { name: 'Run key ceremony' }).click();
      // Each custodian approves the use of their device's part, then, once the host made the key, attests it.
      const asked = await approveScreens(page, ceremonyScreens({ uses: 3, attests: 3 }), { timeout: 60_000 });
      const three = [PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device].sort();
      expect(asked.slice(0, 3).sort()).toEqual(three);
      expect(asked.slice(3).sort()).toEqual(three);

      const done = page.getByTestId('ceremony-last').getByTestId('ceremony-progress');
      await done.and(page.locator('[data-outcome="done"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      for (const stage of ['devices', 'host', 'record']) expect(await done.getByTestId(`ceremony-stage-${stage}`).getAttribute('data-state')).toBe('done');
      await expectNoProblem(page);

      await page.getByTestId('wallet-status').and(page.locator('[data-status="active"]')).waitFor();
      expect((await page.getByTestId('wallet-threshold').textContent())?.trim()).toBe('2 of 3');
      expect((await page.getByTestId('wallet-key-version').textContent())?.trim()).toBe('1');
      firstOutputKey = (await page.getByTestId('wallet-output-key').getByTitle(/^[0-9a-f]{64}$/).getAttribute('title')) ?? '';
      expect(firstOutputKey).toMatch(/^[0-9a-f]{64}$/);
      for (const d of ['receive', 'change', 'root']) expect(await page.getByTestId(`descriptor-${d}`).getByTitle(/^tr\(/).count()).toBe(1);
      expect(await page.getByTestId('custodian-row').count()).toBe(3);
      expect(await page.locator('[data-testid="custodian-row"][data-share="sealed"]').count()).toBe(3);

      firstAddress = await receiveAddress(page);
      expect(firstAddress).toMatch(/^bcrt1p[02-9ac-hj-np-z]{58}$/);
      expect(await decodeReceiveQr(page)).toBe(firstAddress.toUpperCase());
      // The address list derives the same first receive address.
      await page.getByTestId('wallet-addresses').locator('[data-testid="address-row"][data-path="0/0"]').getByTitle(firstAddress).waitFor();

      // "Verify on device": the acting custodian's Ledger shows the address in a statement it signs.
      await actAs(page, PEOPLE.carol);
      const row = page.getByTestId('wallet-addresses').locator('[data-testid="address-row"][data-path="0/0"]');
      await row.getByRole('button', { name: 'Verify on device' }).click();
      const shownOn = await approveScreens(page, [{ statement: /VERIFY address[\s\S]*Wallet: Cold reserve[\s\S]*Path: 0\/0/ }]);
      expect(shownOn).toEqual([PEOPLE.carol.device]);
      await row.getByTestId('address-verification').getByRole('status').filter({ hasText: "Shown and signed on Carol's Ledger" }).waitFor();
      await expectNoProblem(page);
    },
    CEREMONY_TIMEOUT,
  );

  it(
    'reshares the wallet to 3 of 4 with a new custodian, keeping its receive address',
    async () => {
      const { page } = h;
      await actAs(page, PEOPLE.alice);
      await register(page, PEOPLE.dave, ['approver']);
      await nav(page, 'Proposals').click();
      const pendingList = () => page.getByRole('list', { name: 'Proposals' });
      await approveAs(page, [PEOPLE.bob, PEOPLE.carol], pendingList, /^Add user Dave/);

      await actAs(page, PEOPLE.alice);
      await openWallet(page, WALLET);
      await page.getByRole('button', { name: 'Propose reshare' }).click();
      const dialog = page.getByRole('dialog', { name: `Reshare ${WALLET}` });
      await dialog.getByRole('checkbox', { name: 'Dave', exact: true }).click();
      await dialog.getByRole('textbox', { name: 'Threshold (signatures needed)' }).fill('3');
      await dialog.getByTestId('reshare-key-t-of-n').filter({ hasText: '3 of 4' }).waitFor();
      await dialog.getByText('New threshold: 3 of 4').waitFor();
      await dialog.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, new RegExp(`reshare wallet[\\s\\S]*${WALLET}`));
      await dialog.waitFor({ state: 'hidden' });
      await expectNoProblem(page);

      const waiting = () => page.getByRole('region', { name: 'Waiting for approval' });
      const title = new RegExp(`^Reshare wallet ${WALLET} to 3 of 4`);
      await approveAs(page, [PEOPLE.bob, PEOPLE.carol], waiting, title);

      const box = page.getByTestId('ceremony-box');
      await box.getByRole('heading', { name: 'Key ceremony owed: Reshare' }).waitFor();
      const receivers = box.getByText(/^New custodians: .* \(3 of 4\)\.$/);
      for (const p of Object.values(PEOPLE)) expect(await receivers.textContent()).toContain(p.name);
      await box.getByRole('button', { name: 'Run key ceremony' }).click();
      // Two custodians of the key in force (its threshold) deal it anew: each approves the use of their share, then
      // opens it; all four custodians of the new key attest it.
      const asked = await approveScreens(page, ceremonyScreens({ uses: 2, secrets: true, attests: 4, use: /USE key share[\s\S]*RESHARE wallet key/ }), { timeout: 60_000 });
      const dealers = [asked[0]!, asked[2]!];
      expect(asked[1]).toBe(dealers[0]);
      expect(asked[3]).toBe(dealers[1]);
      expect(new Set(dealers).size).toBe(2);
      for (const d of dealers) expect([PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device]).toContain(d);
      expect(asked.slice(4).sort()).toEqual(Object.values(PEOPLE).map((p) => p.device).sort());
      await page.getByTestId('ceremony-last').getByTestId('ceremony-progress').and(page.locator('[data-outcome="done"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);

      await page.getByTestId('wallet-threshold').filter({ hasText: '3 of 4' }).waitFor();
      expect((await page.getByTestId('wallet-key-version').textContent())?.trim()).toBe('2');
      expect(await page.locator('[data-testid="custodian-row"][data-share="sealed"]').count()).toBe(4);
      await page.getByTestId('wallet-custodians').getByRole('rowheader', { name: 'Dave' }).waitFor();
      // Same key, same addresses: a reshare deals new shares of the key in force.
      expect(await page.getByTestId('wallet-output-key').getByTitle(/^[0-9a-f]{64}$/).getAttribute('title')).toBe(firstOutputKey);
      expect(await receiveAddress(page)).toBe(firstAddress);
      expect(await decodeReceiveQr(page)).toBe(firstAddress.toUpperCase());

      await nav(page, 'Wallets').click();
      const row = page.getByRole('table', { name: 'Wallets' }).getByRole('row').filter({ hasText: WALLET });
      await row.getByText('3 of 4').waitFor();
      await row.getByText('Active', { exact: true }).waitFor();
    },
    CEREMONY_TIMEOUT,
  );

  it(
    'refreshes the shares of all four custodians by proposal, keeping the key and the address',
    async () => {
      const { page } = h;
      await actAs(page, PEOPLE.alice);
      await openWallet(page, WALLET);
      await page.getByRole('button', { name: 'Propose refresh' }).click();
      const dialog = page.getByRole('dialog', { name: `Refresh the shares of ${WALLET}` });
      await dialog.getByText('Change: refresh wallet shares').waitFor();
      await dialog.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, new RegExp(`refresh wallet shares[\\s\\S]*${WALLET}`));
      await dialog.waitFor({ state: 'hidden' });
      await expectNoProblem(page);
      await approveAs(page, [PEOPLE.bob, PEOPLE.carol], () => page.getByRole('region', { name: 'Waiting for approval' }), new RegExp(`^Refresh the shares of wallet ${WALLET}`));

      const box = page.getByTestId('ceremony-box');
      await box.getByRole('heading', { name: 'Key ceremony owed: Share refresh' }).waitFor();
      await box.getByRole('button', { name: 'Run key ceremony' }).click();
      // A refresh needs every custodian of the key in force.
      const asked = await approveScreens(page, ceremonyScreens({ uses: 4, secrets: true, attests: 4, use: /USE key share[\s\S]*REFRESH key shares/ }), { timeout: 60_000 });
      const all = Object.values(PEOPLE).map((p) => p.device).sort();
      expect(asked.filter((_, i) => i < 8 && i % 2 === 0).sort()).toEqual(all);
      expect(asked.slice(8).sort()).toEqual(all);
      await page.getByTestId('ceremony-last').getByTestId('ceremony-progress').and(page.locator('[data-outcome="done"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);

      await page.getByTestId('wallet-key-version').filter({ hasText: '3' }).waitFor();
      expect((await page.getByTestId('wallet-threshold').textContent())?.trim()).toBe('3 of 4');
      expect(await page.getByTestId('wallet-output-key').getByTitle(/^[0-9a-f]{64}$/).getAttribute('title')).toBe(firstOutputKey);
      expect(await receiveAddress(page)).toBe(firstAddress);
    },
    CEREMONY_TIMEOUT,
  );

  it('logs no console error (no CSP violation, no uncaught error)', () => {
    expect(h.consoleErrors).toEqual([]);
  });
});
