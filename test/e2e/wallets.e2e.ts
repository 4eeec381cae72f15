// Wallets end to end in Chromium: a 2-of-3 regtest wallet proposed, approved and keyed by its custodians' virtual
// Ledgers, its receive address and QR code, a reshare to 3 of 4 and a refresh that keep the address and bump the key version.
import readQR from '@paulmillr/qr/decode.js';
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness';

/** One fixed mnemonic per person, so every run has the same identities. */
const mnemonicOf = (byte: number) => entropyToMnemonic(new Uint8Array(16).fill(byte), wordlist);
const PEOPLE = {
  alice: { name: 'Alice', device: 'Alice Ledger', mnemonic: mnemonicOf(0x51) },
  bob: { name: 'Bob', device: 'Bob Ledger', mnemonic: mnemonicOf(0x52) },
  carol: { name: 'Carol', device: 'Carol Ledger', mnemonic: mnemonicOf(0x53) },
  dave: { name: 'Dave', device: 'Dave Ledger', mnemonic: mnemonicOf(0x54) },
} as const;
type Person = (typeof PEOPLE)[keyof typeof PEOPLE];
const VAULT = 'Treasury';
const WALLET = 'Cold reserve';
// Key ceremonies run the MPC host and one device screen per custodian: longer than a governance step.
const CEREMONY_TIMEOUT = 180_000;

/** Fails with the console's own words when it shows a problem (the alert area), instead of timing out later. */
async function expectNoProblem(page: Page): Promise<void> {
  const problems = page.getByRole('region', { name: 'Problems' });
  if (await problems.count()) throw new Error(`the console shows a problem: ${(await problems.textContent())?.trim()}`);
}

const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** Approves the virtual device screen that shows `text` in the prompt dialog, and waits until that screen is gone. */
async function approveOnScreen(page: Page, text: RegExp): Promise<void> {
  const prompt = page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: text });
  await prompt.waitFor();
  await prompt.getByText('Virtual — not secure').first().waitFor();
  await prompt.getByRole('button', { name: 'Approve', exact: true }).click();
  await prompt.waitFor({ state: 'hidden' });
}

async function addVirtualDevice(page: Page, opener: Locator, person: Person): Promise<void> {
  await opener.click();
  const dialog = page.getByRole('dialog', { name: 'Add virtual device' });
  await dialog.waitFor();
  await dialog.getByRole('textbox', { name: 'Label (optional)' }).fill(person.device);
  await dialog.getByText('Use a mnemonic I give').click();
  await dialog.getByRole('textbox', { name: 'Mnemonic' }).fill(person.mnemonic);
  await dialog.getByRole('button', { name: 'Add device' }).click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Switches the header's "Acting as" to a person's device and waits until main says who it is. */
async function actAs(page: Page, person: Person): Promise<void> {
  const select = page.getByRole('combobox', { name: 'Acting as' });
  const value = await select.getByRole('option').filter({ hasText: person.device }).getAttribute('value');
  expect(value).toBeTruthy();
  await select.selectOption(value!);
  await page.getByRole('group', { name: 'Acting as' }).getByRole('status').filter({ hasText: new RegExp(`^\\s*${person.name} ·`) }).waitFor();
}

/** Registers a user from the Users screen, adding their virtual device inline; both devices' screens are approved. */
async function register(page: Page, person: Person, role: string): Promise<void> {
  await nav(page, 'Users').click();
  await page.getByRole('button', { name: 'Register user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register a user' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(person.name);
  for (const r of ['administrator', 'operator', 'approver', 'auditor']) {
    const box = dialog.getByRole('checkbox', { name: new RegExp(`^${r}`, 'i') });
    if ((await box.isChecked()) !== (r === role)) await box.click();
  }
  await addVirtualDevice(page, dialog.getByRole('button', { name: 'Add virtual device' }), person);
  await dialog.getByRole('button', { name: 'Register on devices' }).click();
  await approveOnScreen(page, new RegExp(`register device[\\s\\S]*User: ${person.name}`));
  await approveOnScreen(page, /propose change/);
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}

/**
 * Approves, as each person in turn, the pending proposal whose card shows in `scope` (the screen the test is on),
 * until the card leaves the pending list.
 */
async function approveAs(page: Page, people: Person[], scope: () => Locator, title: RegExp): Promise<void> {
  await scope().getByRole('article', { name: title }).waitFor();
  for (const person of people) {
    await actAs(page, person);
    const card = scope().getByRole('article', { name: title });
    if (!(await card.count())) break;
    await card.getByRole('button', { name: /^Approve / }).click();
    const dialog = page.getByRole('dialog', { name: /^Approve: / });
    await dialog.getByText('Custos v1: APPROVE change').waitFor();
    await dialog.getByRole('button', { name: 'Approve on device' }).click();
    await approveOnScreen(page, /APPROVE change/);
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);
  }
  await scope().getByRole('article', { name: title }).waitFor({ state: 'detached' });
}

/**
 * Approves each custodian's "Provide public secret key" screen as it comes, one device at a time; answers the
 * devices that were asked. Each device is asked once per ceremony, so its label tells its screen from the next one.
 */
async function approveCeremonyScreens(page: Page, count: number): Promise<string[]> {
  const asked: string[] = [];
  for (let i = 0; i < count; i++) {
    const prompt = page.getByRole('dialog', { name: 'Provide public secret key' }).filter({ hasNotText: new RegExp(asked.map((d) => `on ${d}`).join('|') || '^$') });
    await prompt.waitFor();
    const device = /on (.+? Ledger)/.exec((await prompt.textContent()) ?? '')?.[1];
    expect(device).toBeTruthy();
    asked.push(device!);
    await prompt.getByRole('button', { name: 'Approve', exact: true }).click();
  }
  await page.getByRole('dialog', { name: 'Provide public secret key' }).waitFor({ state: 'hidden' });
  return asked;
}

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

async function openWallet(page: Page): Promise<void> {
  await nav(page, 'Wallets').click();
  await page.getByRole('table', { name: 'Wallets' }).getByRole('link', { name: WALLET }).click();
  await page.getByRole('heading', { name: WALLET, level: 1 }).waitFor();
}

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
    await page.getByRole('heading', { name: 'Create the vault' }).waitFor();
    await page.getByRole('textbox', { name: 'Vault name' }).fill(VAULT);
    await page.getByRole('textbox', { name: 'Your name (the first administrator)' }).fill(PEOPLE.alice.name);
    await addVirtualDevice(page, page.getByRole('form', { name: 'The vault and its first administrator' }).getByRole('button', { name: 'Add virtual device' }), PEOPLE.alice);
    await page.getByRole('button', { name: 'Create vault on device' }).click();
    await approveOnScreen(page, /register device/);
    await approveOnScreen(page, /create vault/);
    await page.getByRole('heading', { name: VAULT, level: 1 }).waitFor();

    await register(page, PEOPLE.bob, 'administrator');
    await register(page, PEOPLE.carol, 'administrator');
    await page.getByRole('button', { name: 'Set quorum' }).click();
    const dialog = page.getByRole('dialog', { name: 'Set the administrator quorum' });
    await dialog.getByRole('textbox', { name: 'Approvals needed for a change' }).fill('2');
    await dialog.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /propose change/);
    await dialog.waitFor({ state: 'hidden' });
    await nav(page, 'Dashboard').click();
    await page.getByLabel('Administrator quorum', { exact: true }).filter({ hasText: '2 of 3 administrators' }).waitFor();
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
    await openWallet(page);
    const box = page.getByTestId('ceremony-box');
    await box.getByRole('button', { name: 'Run key ceremony' }).click();
    const prompt = page.getByRole('dialog', { name: 'Provide public secret key' });
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
      await openWallet(page);
      await page.getByTestId('wallet-status').and(page.locator('[data-status="awaiting-key"]')).waitFor();
      const box = page.getByTestId('ceremony-box');
      await box.getByRole('heading', { name: 'Key ceremony owed: Key generation' }).waitFor();
      await expect.poll(() => box.locator('[data-testid="ceremony-custodian"][data-connected="true"]').count()).toBe(3);
      // Before the key exists the approved custodians are listed, none holding a share yet.
      expect(await page.locator('[data-testid="custodian-row"][data-share="none"]').count()).toBe(3);

      await box.getByRole('button', { name: 'Run key ceremony' }).click();
      const asked = await approveCeremonyScreens(page, 3);
      expect(asked.sort()).toEqual([PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device].sort());

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
    },
    CEREMONY_TIMEOUT,
  );

  it(
    'reshares the wallet to 3 of 4 with a new custodian, keeping its receive address',
    async () => {
      const { page } = h;
      await actAs(page, PEOPLE.alice);
      await register(page, PEOPLE.dave, 'approver');
      await nav(page, 'Proposals').click();
      const pendingList = () => page.getByRole('list', { name: 'Proposals' });
      await approveAs(page, [PEOPLE.bob, PEOPLE.carol], pendingList, /^Add user Dave/);

      await actAs(page, PEOPLE.alice);
      await openWallet(page);
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
      // The custodians of the key in force deal it anew: each of their devices opens its share.
      const asked = await approveCeremonyScreens(page, 3);
      expect(asked.sort()).toEqual([PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device].sort());
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
      await openWallet(page);
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
      const asked = await approveCeremonyScreens(page, 4);
      expect(asked.sort()).toEqual(Object.values(PEOPLE).map((p) => p.device).sort());
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
