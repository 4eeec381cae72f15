// Transfers end to end in Chromium: a policy written in the Advanced JSON view and adopted by the quorum, coins recorded,
// requests made on the operator's virtual Ledger, a rejection and two approvals on the approvers' devices, the policy
// simulator replaying them under a draft, and the signed transaction checked outside Custos.
import { readFile } from 'node:fs/promises';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taprootPayment } from '../../crypto/bitcoin';
import { verifyTransaction } from '../../main/cli/demo-verify';
import { actAs, approveAs, approveOnScreen, approveScreens, ceremonyScreens, decide, expectNoProblem, foundVault, mnemonicOf, nav, openRequest, openWallet, register, setQuorum, statusOf, type Person } from './console-steps';
import { startHarness, type Harness } from './harness';

const PEOPLE = {
  alice: { name: 'Alice', device: 'Alice Ledger', mnemonic: mnemonicOf(0x61) },
  bob: { name: 'Bob', device: 'Bob Ledger', mnemonic: mnemonicOf(0x62) },
  carol: { name: 'Carol', device: 'Carol Ledger', mnemonic: mnemonicOf(0x63) },
  olivia: { name: 'Olivia', device: 'Olivia Ledger', mnemonic: mnemonicOf(0x64) },
  adam: { name: 'Adam', device: 'Adam Ledger', mnemonic: mnemonicOf(0x65) },
  amy: { name: 'Amy', device: 'Amy Ledger', mnemonic: mnemonicOf(0x66) },
} as const;
const VAULT = 'Treasury';
const WALLET = 'Cold reserve';
// Key ceremonies and signing run the MPC host and one device screen per custodian: longer than a governance step.
const CEREMONY_TIMEOUT = 180_000;

/** Regtest Taproot payments to keys nobody here holds: where the requests send. */
const destination = (seed: string) => taprootPayment(schnorr.getPublicKey(hexToBytes(seed.repeat(32))), 'regtest');
const SMALL_TO = destination('0b').address;
const REJECTED_TO = destination('0c').address;
const LARGE = destination('0d');
const LARGE_TO = LARGE.address;
const EXCHANGE_TO = destination('0e').address;
/** The same kind of address on mainnet: a wallet on regtest cannot pay it. */
const MAINNET_TO = taprootPayment(schnorr.getPublicKey(hexToBytes('0f'.repeat(32))), 'mainnet').address;

/** Proposes a group while the vault is being founded (the founder's proposal applies at once). */
async function createGroup(page: Page, name: string, members: Person[]): Promise<void> {
  await nav(page, 'Groups').click();
  await page.getByRole('button', { name: 'Create group' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create a group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill(name);
  for (const m of members) await dialog.getByRole('checkbox', { name: m.name, exact: true }).click();
  await dialog.getByRole('button', { name: 'Propose on device' }).click();
  await approveOnScreen(page, new RegExp(`create group[\\s\\S]*Group: ${name}`));
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
  await page.getByRole('table', { name: 'Groups' }).getByRole('rowheader', { name, exact: true }).waitFor();
}

async function openPolicy(page: Page): Promise<void> {
  await openWallet(page, WALLET);
  await page.getByTestId('wallet-policy').getByRole('link', { name: /policy/i }).click();
  await page.getByRole('heading', { name: `Policy of ${WALLET}`, level: 1 }).waitFor();
}

/** The full value a CopyText shows (its title holds it whole). */
const fullValue = async (scope: Locator) => ((await scope.locator('.value').first().getAttribute('title')) ?? '').trim();

/** Requests a transfer as the acting operator from the New transfer dialog; answers the request's id from its screen. */
async function requestTransfer(page: Page, to: string, btc: string, sats: string): Promise<string> {
  await nav(page, 'Transfers').click();
  await page.getByRole('heading', { name: 'Transfers', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'New transfer' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New transfer' });
  await dialog.getByRole('combobox', { name: 'From wallet' }).selectOption({ label: `${WALLET} (Bitcoin regtest)` });
  await dialog.getByText('Policy version 1 in force.').waitFor();
  await dialog.getByRole('textbox', { name: 'Destination address' }).fill(to);
  await dialog.getByRole('textbox', { name: 'Amount (BTC)' }).fill(btc);
  // BTC to sats by string arithmetic: what main receives is exact.
  await dialog.getByTestId('transfer-sats').filter({ hasText: `${sats} sats` }).waitFor();
  await dialog.getByRole('textbox', { name: 'Fee rate (sat/vB)' }).fill('2');
  // What the operator's device will show is on screen before it starts.
  await dialog.getByText('Custos v1: REQUEST transfer').waitFor();
  await dialog.getByText(`Amount: ${btc} BTC`).waitFor();
  await dialog.getByRole('button', { name: 'Request on device' }).click();
  await approveOnScreen(page, new RegExp(`REQUEST transfer[\\s\\S]*Amount: ${btc.replace('.', '\\.')} BTC`));
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
  const heading = page.getByRole('heading', { name: /^Request R-\d+$/, level: 1 });
  await heading.waitFor();
  return ((await heading.textContent()) ?? '').replace('Request', '').trim();
}

/** Opens the New transfer dialog as the operator Olivia, with the wallet chosen and its policy read. */
async function openNewTransfer(page: Page): Promise<Locator> {
  await actAs(page, PEOPLE.olivia);
  await nav(page, 'Transfers').click();
  await page.getByRole('heading', { name: 'Transfers', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'New transfer' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'New transfer' });
  await dialog.getByRole('combobox', { name: 'From wallet' }).selectOption({ label: `${WALLET} (Bitcoin regtest)` });
  await dialog.getByText('Policy version 1 in force.').waitFor();
  return dialog;
}

const cells = async (row: Locator) => (await row.locator('td, th').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());

describe('Transfers under policy in the console', () => {
  let h: Harness;
  let walletId = '';
  const ids = { small: '', rejected: '', large: '' };

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('founds a vault with three administrators, an operator, two approvers and the groups Ops and Approvers', async () => {
    const { page } = h;
    await foundVault(page, VAULT, PEOPLE.alice);

    // While the vault is being founded the founder's proposals apply at once: the people and groups first.
    await register(page, PEOPLE.bob, ['administrator']);
    await register(page, PEOPLE.carol, ['administrator']);
    await register(page, PEOPLE.olivia, ['operator']);
    await register(page, PEOPLE.adam, ['approver']);
    await register(page, PEOPLE.amy, ['approver']);
    await createGroup(page, 'Ops', [PEOPLE.olivia]);
    await createGroup(page, 'Approvers', [PEOPLE.adam, PEOPLE.amy]);
  });

  it(
    'creates a 2-of-3 regtest wallet and runs its key ceremony, then sets the administrator quorum to 2',
    async () => {
      const { page } = h;
      await actAs(page, PEOPLE.alice);
      await nav(page, 'Wallets').click();
      await page.getByRole('button', { name: 'New wallet' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'New wallet' });
      await dialog.getByRole('textbox', { name: 'Wallet name' }).fill(WALLET);
      for (const p of [PEOPLE.alice, PEOPLE.bob, PEOPLE.carol]) await dialog.getByRole('checkbox', { name: p.name, exact: true }).click();
      await dialog.getByRole('textbox', { name: 'Threshold (signatures needed)' }).fill('2');
      await dialog.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, new RegExp(`create wallet[\\s\\S]*${WALLET}`));
      await dialog.waitFor({ state: 'hidden' });
      await expectNoProblem(page);

      await openWallet(page, WALLET);
      walletId = /#\/wallets\/([^/?]+)/.exec(page.url())?.[1] ?? '';
      expect(walletId).not.toBe('');
      await page.getByTestId('ceremony-box').getByRole('button', { name: 'Run key ceremony' }).click();
      // The console's MPC signer is pinned to the vault once, on a custodian's device; then each custodian approves
      // their part of the key ceremony, and attests the key it made.
      const asked = await approveScreens(page, ceremonyScreens({ anchor: true, uses: 3, attests: 3 }), { timeout: 60_000 });
      expect(asked.slice(1, 4).sort()).toEqual([PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device].sort());
      await page.getByTestId('wallet-status').and(page.locator('[data-status="active"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);
      // Without a policy nothing can be requested, and the wallet's screen says so.
      await page.getByTestId('wallet-policy').getByText('No policy yet').waitFor();

      await setQuorum(page, 2, 3);
    },
    CEREMONY_TIMEOUT,
  );

  it('records three made-up regtest coins on the wallet', async () => {
    const { page } = h;
    await openWallet(page, WALLET);
    const coins = page.getByTestId('wallet-coins');
    await coins.getByText('No coins recorded yet').waitFor();
    for (let i = 1; i <= 3; i++) {
      await coins.getByRole('button', { name: 'Record a coin' }).click();
      const form = coins.getByRole('form', { name: 'Record a coin' });
      await form.getByText('On regtest a made-up prevout is fine').waitFor();
      await form.getByRole('button', { name: 'Make one up' }).click();
      expect(await form.getByRole('textbox', { name: 'Transaction id (txid)' }).inputValue()).toMatch(/^[0-9a-f]{64}$/);
      await form.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.05');
      await form.getByTestId('coin-sats').filter({ hasText: '5000000 sats' }).waitFor();
      await form.getByRole('textbox', { name: 'Label' }).fill(`Made-up coin ${i}`);
      await form.getByRole('button', { name: 'Record coin' }).click();
      await form.waitFor({ state: 'detached' });
      await expectNoProblem(page);
    }
    await expect.poll(() => coins.getByTestId('coin-row').count()).toBe(3);
    // The wallet's page opens with the balance main counts from the coins.
    await page.getByTestId('balance-total').filter({ hasText: /^0\.15 BTC$/ }).waitFor();
  });

  it('adopts a policy written in the Advanced JSON view once two administrators approve it', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await openPolicy(page);
    await page.getByTestId('no-policy').waitFor();
    const idOf = async (group: string) => fullValue(page.getByTestId('group-id').and(page.locator(`[data-name="${group}"]`)));
    const ops = await idOf('Ops');
    const approvers = await idOf('Approvers');
    expect(ops).not.toBe('');
    expect(approvers).not.toBe('');

    const policy = {
      format: 'custos-policy/1',
      version: 1,
      walletId,
      rules: [
        {
          id: 'small',
          name: 'Small sends',
          amount: { min: null, max: '1000000' },
          destination: { kind: 'any' },
          initiatorGroupId: ops,
          steps: [{ groupId: approvers, count: 1, initiatorMayApprove: false }],
          delaySeconds: 0,
          velocity: [],
        },
        {
          id: 'large',
          name: 'Large sends',
          amount: { min: '1000001', max: null },
          destination: { kind: 'any' },
          initiatorGroupId: ops,
          steps: [{ groupId: approvers, count: 2, initiatorMayApprove: false }],
          delaySeconds: 0,
          velocity: [],
        },
      ],
      velocity: [{ windowSeconds: 86_400, maxAmount: '10000000' }],
    };
    // The Advanced view edits the same draft as the form: JSON typed there fills the form.
    await page.getByText('Advanced: JSON').click();
    await page.getByRole('textbox', { name: 'Draft policy (JSON, custos-policy/1)' }).fill(JSON.stringify(policy, null, 2));
    const ruleForm = (i: number) => page.getByTestId('rule-form').nth(i);
    await expect.poll(() => page.getByTestId('rule-form').count()).toBe(2);
    expect(await ruleForm(0).getByRole('textbox', { name: 'Rule name', exact: true }).inputValue()).toBe('Small sends');
    expect(await ruleForm(0).getByRole('textbox', { name: 'Amount up to (BTC)', exact: true }).inputValue()).toBe('0.01');
    expect(await ruleForm(1).getByRole('textbox', { name: 'Amount from (BTC)', exact: true }).inputValue()).toBe('0.01000001');
    // The draft is read back in words before anyone proposes it.
    expect(await page.getByTestId('policy-changes').getByTestId('policy-change').allTextContents()).toEqual([
      'Rule added: Small sends (Up to 0.01 BTC, any address, requested by a member of Ops; approval 1 of Approvers; no delay)',
      'Rule added: Large sends (From 0.01000001 BTC, any address, requested by a member of Ops; approval 2 of Approvers; no delay)',
      'Wallet limits: none → 0.1 BTC per 24 h',
    ]);

    await page.getByRole('button', { name: 'Propose', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Propose a policy for ${WALLET}` });
    // Main's preview lists every rule in words, as the device will.
    const screen = dialog.getByRole('region', { name: 'What the device will show' });
    await screen.getByText('Rule 1: Small sends').waitFor();
    expect(await screen.textContent()).toMatch(/Rule 1: Small sends\s+Amount: up to 0\.01 BTC\s+To: any address\s+By: operators in Ops\s+Approvals: 1 of Approvers/);
    await dialog.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /adopt policy[\s\S]*Policy: version 1[\s\S]*Rules: 2[\s\S]*Rule 1: Small sends[\s\S]*Rule 2: Large sends[\s\S]*Wallet limit: 0\.1 BTC per 24 h/);
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);

    const waiting = () => page.getByRole('region', { name: 'Waiting for approval' });
    await approveAs(page, [PEOPLE.bob, PEOPLE.carol], waiting, new RegExp(`^Adopt policy version 1 for wallet ${WALLET}`));

    const inForce = page.getByTestId('policy-in-force');
    await inForce.getByTestId('policy-version').filter({ hasText: '1' }).waitFor();
    const rules = inForce.getByRole('table', { name: 'Rules in force' });
    expect((await cells(rules.locator('[data-rule-id="small"]'))).slice(1, 6)).toEqual(['Small sends small', 'Up to 0.01 BTC', 'Any address', 'A member of Ops', '1 of Approvers']);
    expect((await cells(rules.locator('[data-rule-id="large"]'))).slice(1, 6)).toEqual(['Large sends large', 'From 0.01000001 BTC', 'Any address', 'A member of Ops', '2 of Approvers']);
    expect((await inForce.getByTestId('wallet-limits').textContent())?.trim()).toBe('0.1 BTC per 24 h');
  });

  it('proposes a whitelist with the form, and lists it with its labels once two administrators approve', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await nav(page, 'Whitelists').click();
    await page.getByRole('heading', { name: 'No whitelists yet' }).waitFor();
    await page.getByRole('button', { name: 'New whitelist' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New whitelist' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('Exchanges');
    expect(await dialog.getByRole('combobox', { name: 'Network' }).inputValue()).toBe('regtest');
    await dialog.getByRole('textbox', { name: 'Label 1' }).fill('Exchange deposit');
    await dialog.getByRole('textbox', { name: 'Address 1' }).fill(EXCHANGE_TO);
    // The same list as a JSON document, and back to the form.
    await dialog.getByText('JSON', { exact: true }).click();
    const json = JSON.parse(await dialog.getByRole('textbox', { name: /^Whitelist \(JSON/ }).inputValue()) as unknown;
    expect(json).toEqual({ format: 'custos-whitelist/1', name: 'Exchanges', network: 'regtest', entries: [{ address: EXCHANGE_TO, label: 'Exchange deposit' }] });
    await dialog.getByText('Form', { exact: true }).click();
    await dialog.getByText('Change: set whitelist').waitFor();
    await dialog.getByText('Addresses: 1').waitFor();
    await dialog.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /set whitelist[\s\S]*Whitelist: Exchanges[\s\S]*Addresses: 1/);
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);

    await approveAs(page, [PEOPLE.bob, PEOPLE.carol], () => page.getByRole('region', { name: 'Waiting for approval' }), /^Set whitelist Exchanges/);
    const entries = page.getByRole('table', { name: 'Addresses of Exchanges' });
    expect(await fullValue(entries.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Exchange deposit' }) }))).toBe(EXCHANGE_TO);
  });

  it('says when users registered, the wallet was created, the policy adopted and the whitelist changed: dates, not sequence numbers', async () => {
    const { page } = h;
    // "6 Dec 2026, 14:05 UTC" in the browser's locale: the year, a 24-hour time and a zone.
    const when = new RegExp(`${new Date().getUTCFullYear()}.*\\d{2}:\\d{2}.*(UTC|GMT)`);
    const hint = /^Record \d+ of the vault's signed log$/;
    const check = async (cell: Locator) => {
      expect((await cell.textContent())?.trim()).toMatch(when);
      expect(await cell.getAttribute('title')).toMatch(hint);
    };
    await nav(page, 'Users').click();
    const registered = page.getByTestId('user-registered');
    await expect.poll(() => registered.count()).toBe(6);
    for (const cell of await registered.all()) await check(cell);
    await nav(page, 'Wallets').click();
    await check(page.getByTestId('wallet-created').first());
    await openPolicy(page);
    await check(page.getByTestId('policy-adopted'));
    await nav(page, 'Whitelists').click();
    await check(page.getByTestId('whitelist-changed').first());
    expect(await page.getByText(/\bseq \d+/).count()).toBe(0);
  });

  it('requests a small transfer on the operator\'s device, which waits for one approver', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.olivia);
    ids.small = await requestTransfer(page, SMALL_TO, '0.005', '500000');
    await statusOf(page).and(page.locator('[data-status="pending"]')).waitFor();
    expect((await page.getByTestId('transfer-amount').textContent())?.replace(/\s+/g, ' ').trim()).toBe('0.005 BTC (500 000 sats)');
    expect(await fullValue(page.getByTestId('transfer-destination'))).toBe(SMALL_TO);
    expect(await fullValue(page.getByTestId('transfer-digest'))).toMatch(/^0x[0-9a-f]{64}$/);
    expect((await page.getByTestId('transfer-policy').textContent())?.trim()).toMatch(/^version 1/);
    expect((await page.getByTestId('transfer-fee').textContent())?.trim()).toMatch(/^0\.0000\d+ BTC/);
    expect((await page.getByTestId('transfer-rule').textContent())?.trim()).toBe('Small sends (small)');

    const steps = page.getByRole('table', { name: 'Approval steps' }).getByTestId('transfer-step');
    expect(await steps.count()).toBe(1);
    expect(await cells(steps.first())).toEqual(['1', 'Approvers', '1', 'nobody yet', '1']);
    const velocity = page.getByRole('table', { name: 'Velocity limits' }).getByTestId('transfer-velocity');
    expect(await cells(velocity.first())).toEqual(['the wallet', '24 h', '0 BTC', '0.1 BTC', '0.1 BTC', 'fits']);
    expect((await page.getByTestId('transfer-delay').textContent())?.trim()).toBe('Counted from the last required approval');

    // The exact statement the next approver's device will show.
    await page.getByTestId('statement-preview').waitFor();
    const preview = (await page.getByTestId('statement-preview').textContent()) ?? '';
    expect(preview).toMatch(/^Custos v1: APPROVE transfer\n/);
    expect(preview).toContain(`Request: ${ids.small}`);
    expect(preview).toContain(`Wallet: ${WALLET}`);
    expect(preview).toContain('Amount: 0.005 BTC');
    expect(preview).toContain('Policy: version 1');
    // The operator may not approve their own request: main says why beside the disabled buttons.
    await page.getByTestId('decide-why').filter({ hasText: `Olivia is not in any group whose approval request ${ids.small} still needs (the rule keeps its initiator out of its steps).` }).waitFor();
    expect(await page.getByRole('button', { name: `Approve on device, request ${ids.small}` }).isDisabled()).toBe(true);

    // An operator proposes nothing: the button says so, in main's words, wherever a proposal starts.
    await nav(page, 'Groups').click();
    const create = page.getByRole('button', { name: 'Create group' }).first();
    await expect.poll(() => create.isDisabled()).toBe(true);
    const why = await create.getAttribute('aria-describedby');
    expect(why).toBeTruthy();
    expect(await page.locator(`[id="${why}"]`).first().textContent()).toMatch(/^\s*Olivia is not an administrator \(operator\), and only administrators .+\. Ask an administrator\.\s*$/);
  });

  it('shows a wrong-network destination beside its field in the dialog, not among the problems, and clears it once the field is edited', async () => {
    const { page } = h;
    const dialog = await openNewTransfer(page);
    const destinationField = dialog.getByRole('textbox', { name: 'Destination address' });
    await destinationField.fill(MAINNET_TO);
    await dialog.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.001');
    await dialog.getByRole('button', { name: 'Request on device' }).click();
    const words = 'This is a mainnet address; the wallet is on regtest.';
    const message = dialog.getByRole('alert').filter({ hasText: words });
    await message.waitFor();
    // Beside the field, and the field says so to a screen reader.
    expect(await destinationField.getAttribute('aria-invalid')).toBe('true');
    expect(await message.getAttribute('id')).toBe(await destinationField.getAttribute('aria-describedby'));
    expect(await message.getAttribute('data-field')).toBe('destination');
    // Once: not in the global alert area, nowhere else on the page.
    expect(await page.getByRole('region', { name: 'Problems' }).count()).toBe(0);
    expect(await page.getByText(words).count()).toBe(1);
    // Editing the field moves the person on.
    await destinationField.fill(SMALL_TO);
    await message.waitFor({ state: 'detached' });
    expect(await destinationField.getAttribute('aria-invalid')).toBeNull();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
  });

  it('shows in the dialog, beside the amount, that only part of the coins is free and which request holds the rest', async () => {
    const { page } = h;
    const dialog = await openNewTransfer(page);
    await dialog.getByRole('textbox', { name: 'Destination address' }).fill(SMALL_TO);
    const amountField = dialog.getByRole('textbox', { name: 'Amount (BTC)' });
    await amountField.fill('0.12');
    await dialog.getByRole('button', { name: 'Request on device' }).click();
    const message = dialog.getByRole('alert').and(page.locator('[data-field="amount"]'));
    await message.waitFor();
    expect((await message.textContent())?.trim()).toMatch(new RegExp(`^${WALLET} cannot pay 0\\.12 BTC: only 0\\.1 BTC is free: 0\\.05 BTC is held by request ${ids.small} until it is signed, rejected or cancelled\\.$`));
    expect(await amountField.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('region', { name: 'Problems' }).count()).toBe(0);
    // Closing the dialog clears it: opened again, it starts clean.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const again = await openNewTransfer(page);
    expect(await again.getByRole('alert').count()).toBe(0);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await again.waitFor({ state: 'hidden' });
  });

  it('at 1024×700, shows the device screen beside the preview it is compared with, and a rejection in the dialog', async () => {
    const { page } = h;
    await page.setViewportSize({ width: 1024, height: 700 });
    try {
      const dialog = await openNewTransfer(page);
      await dialog.getByRole('textbox', { name: 'Destination address' }).fill(SMALL_TO);
      await dialog.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.001');
      await dialog.getByRole('button', { name: 'Request on device' }).click();
      const prompt = page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: /REQUEST transfer[\s\S]*Amount: 0\.001 BTC/ });
      await prompt.waitFor();
      // Beside the device's screen, the text the console told the person to expect.
      await prompt.getByRole('heading', { name: /^What the console told you to expect/ }).waitFor();
      expect(await prompt.getByRole('region', { name: /^What the console told you to expect/ }).textContent()).toContain(`Amount: 0.001 BTC`);
      const preview = dialog.getByRole('region', { name: 'What the device will show' });
      // Measured once the dialog has settled beside the panel (it moves aside as the panel opens).
      const boxes = async () => {
        const [a, b] = [await prompt.boundingBox(), await preview.boundingBox()];
        const overlap = !a || !b || (a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height);
        return { overlap, inView: !!a && !!b && a.x + a.width <= 1024 && b.x + b.width <= 1024 && b.x >= 0, a, b };
      };
      await expect.poll(async () => (await boxes()).overlap, { timeout: 5_000 }).toBe(false);
      expect((await boxes()).inView, JSON.stringify(await boxes())).toBe(true);
      // Rejected on the device: nothing is recorded, and the dialog says so at its foot, not the alert area.
      await prompt.getByRole('button', { name: 'Reject', exact: true }).click();
      const why = dialog.getByRole('alert').and(page.locator('[data-code="REJECTED_ON_DEVICE"]'));
      await why.waitFor();
      expect(await page.getByRole('region', { name: 'Problems' }).count()).toBe(0);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'hidden' });
    } finally {
      await page.setViewportSize({ width: 1280, height: 820 });
    }
  });

  it("rejects another request on an approver's device and shows it rejected, with the reason", async () => {
    const { page } = h;
    await actAs(page, PEOPLE.olivia);
    ids.rejected = await requestTransfer(page, REJECTED_TO, '0.004', '400000');
    await actAs(page, PEOPLE.adam);
    await openRequest(page, ids.rejected);
    await decide(page, ids.rejected, 'Reject');

    await statusOf(page).and(page.locator('[data-status="rejected"]')).waitFor();
    const reason = page.getByTestId('transfer-reason');
    await reason.getByText('Rejected', { exact: true }).waitFor();
    // Main's reason, with the approver named.
    expect(await reason.textContent()).toContain('rejected by Adam before the approval steps of rule "Small sends" were complete');
    expect((await page.getByTestId('transfer-rejections').textContent())?.trim()).toMatch(/^Adam \(/);
    await page.getByTestId('transfer-signing').getByText('This request will not be signed: it was rejected.').waitFor();
    expect(await page.getByRole('button', { name: `Approve on device, request ${ids.rejected}` }).count()).toBe(0);

    await nav(page, 'Transfers').click();
    const row = page.getByRole('table', { name: 'Transfers' }).locator(`[data-request-id="${ids.rejected}"]`);
    await row.getByTestId('transfer-status').and(page.locator('[data-status="rejected"]')).waitFor();
  });

  it("approves a large request on two approvers' devices, after which it is ready to sign", async () => {
    const { page } = h;
    await actAs(page, PEOPLE.olivia);
    ids.large = await requestTransfer(page, LARGE_TO, '0.02', '2000000');
    expect((await page.getByTestId('transfer-rule').textContent())?.trim()).toBe('Large sends (large)');

    await actAs(page, PEOPLE.adam);
    await openRequest(page, ids.large);
    await decide(page, ids.large, 'Approve');
    const step = page.getByRole('table', { name: 'Approval steps' }).getByTestId('transfer-step').first();
    await expect.poll(async () => cells(step)).toEqual(['1', 'Approvers', '2', 'Adam', '1']);
    await statusOf(page).and(page.locator('[data-status="pending"]')).waitFor();
    // Adam has decided: his buttons say so.
    await page.getByTestId('decide-why').filter({ hasText: `Adam already approved request ${ids.large}; a person counts once.` }).waitFor();
    expect(await page.getByRole('button', { name: `Approve on device, request ${ids.large}` }).getAttribute('aria-describedby')).toBe('decide-why');

    await actAs(page, PEOPLE.amy);
    await decide(page, ids.large, 'Approve');
    await statusOf(page).and(page.locator('[data-status="ready"]')).waitFor();
    await expect.poll(async () => cells(step)).toEqual(['1', 'Approvers', '2', 'Adam, Amy', 'none']);
    expect((await page.getByTestId('transfer-approvals').textContent())?.trim()).toMatch(/^Adam \(.*\), Amy \(/);
    expect((await page.getByTestId('transfer-delay').textContent())?.trim()).toMatch(/^Signing may start at /);
    await page.getByTestId('transfer-signing').getByRole('button', { name: 'Sign', exact: true }).waitFor();
  });

  it('replays the requests under a draft policy in the simulator, before anyone adopts it', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await openPolicy(page);
    await page.getByRole('button', { name: 'Start again from the policy in force' }).click();
    await page.getByText('Advanced: JSON').click();
    const editor = page.getByRole('textbox', { name: 'Draft policy (JSON, custos-policy/1)' });
    const draft = JSON.parse(await editor.inputValue()) as {
      version: number;
      rules: { amount: { min: string | null; max: string | null } }[];
      velocity: { windowSeconds: number; maxAmount: string }[];
    };
    expect(draft.version).toBe(2);
    // Small sends only up to 0.0045 BTC, and at most 0.015 BTC a day from the wallet.
    draft.rules[0]!.amount.max = '450000';
    draft.rules[1]!.amount.min = '450001';
    draft.velocity = [{ windowSeconds: 86_400, maxAmount: '1500000' }];
    await editor.fill(JSON.stringify(draft, null, 2));
    await page.getByRole('button', { name: 'Simulate' }).click();

    const table = page.getByRole('table', { name: 'Simulation results' });
    await table.waitFor();
    const row = (id: string) => table.locator(`[data-request-id="${id}"]`);
    // 0.005 BTC: small under the policy in force, large under the draft.
    expect(await cells(row(ids.small))).toEqual([ids.small, 'pending (rule "Small sends")', 'pending (rule "Large sends")', 'Routed differently']);
    // 0.004 BTC, rejected by Adam: still small, still rejected.
    const rejected = await cells(row(ids.rejected));
    expect(rejected[0]).toBe(ids.rejected);
    expect(rejected[1]).toMatch(/^rejected \(rule "Small sends"\)/);
    expect(rejected[2]).toMatch(/^rejected \(rule "Small sends"\)/);
    expect(rejected[3]).toBe('Same');
    // 0.02 BTC, approved by two: over the draft's daily limit.
    const large = await cells(row(ids.large));
    expect(large[1]).toBe('allowed (rule "Large sends")');
    expect(large[2]).toMatch(/^denied \(rule "Large sends"\)/);
    expect(large[3]).toBe('Now denied');
    expect((await page.getByTestId('simulation-counts').textContent())?.replace(/\s+/g, ' ')).toContain('1 the same, 1 now denied, 0 now allowed, 1 routed differently');

    // Nothing was adopted: version 1 is still in force, and the large request is still ready.
    expect((await page.getByTestId('policy-version').textContent())?.trim()).toBe('1');
    await openRequest(page, ids.large);
    await statusOf(page).and(page.locator('[data-status="ready"]')).waitFor();
  });

  it(
    "signs the allowed request with two custodians' devices and shows the transaction, its txid and the PSBT",
    async () => {
      const { page } = h;
      await openRequest(page, ids.large);
      const signing = page.getByTestId('transfer-signing');
      await signing.getByRole('button', { name: 'Sign', exact: true }).click();
      await signing.getByTestId('signing-progress').filter({ hasText: /custodian share/ }).waitFor();
      // Each of two custodians' devices shows what their share is about to sign (the request, its amount and
      // destination), then opens the share, the console saying beside the device's screen what for.
      const use = new RegExp(`USE key share[\\s\\S]*SIGN transfer[\\s\\S]*Request: ${ids.large}[\\s\\S]*Amount: 0\\.02 BTC`);
      const asked = await approveScreens(page, [{ statement: use }, 'secret', { statement: use }, 'secret'], { timeout: 60_000 });
      for (const device of asked) expect([PEOPLE.alice.device, PEOPLE.bob.device, PEOPLE.carol.device]).toContain(device);
      expect(asked[0]).toBe(asked[1]);
      expect(asked[2]).toBe(asked[3]);

      await statusOf(page).and(page.locator('[data-status="signed"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);
      const txid = await fullValue(signing.getByTestId('signed-txid'));
      const tx = ((await signing.getByTestId('signed-tx').textContent()) ?? '').trim();
      const psbt = ((await signing.getByTestId('signed-psbt').textContent()) ?? '').trim();
      expect(txid).toMatch(/^[0-9a-f]{64}$/);
      expect(tx).toMatch(/^[0-9a-f]+$/);

      // Checked outside Custos: the txid is the transaction's, it pays the destination, and every input's Schnorr
      // signature verifies against its BIP-341 sighash and the wallet's key.
      const parsed = Transaction.fromRaw(hexToBytes(tx), { allowUnknownOutputs: true });
      expect(parsed.id).toBe(txid);
      const outputs = Array.from({ length: parsed.outputsLength }, (_, i) => parsed.getOutput(i));
      const paid = outputs.find((o) => o.script !== undefined && Buffer.from(o.script).equals(Buffer.from(LARGE.script)));
      expect(paid?.amount).toBe(2_000_000n);
      expect(verifyTransaction(tx, psbt).length).toBeGreaterThan(0);

      // The PSBT downloads as a BIP-174 file with the same bytes as the base64 shown.
      const download = page.waitForEvent('download');
      await signing.getByRole('link', { name: 'Download PSBT file' }).click();
      const file = await download;
      expect(file.suggestedFilename()).toBe(`custos-${ids.large}.psbt`);
      expect(base64.encode(new Uint8Array(await readFile((await file.path()) as string)))).toBe(psbt);
      await page.getByRole('heading', { name: `Request ${ids.large}`, level: 1 }).waitFor();

      // The coin it spent is marked, and its change came back to the wallet.
      await openWallet(page, WALLET);
      const coins = page.getByTestId('wallet-coins');
      await coins.getByRole('link', { name: `Spent by ${ids.large}` }).waitFor();
      await coins.getByText(`change of ${ids.large}`).waitFor();
    },
    CEREMONY_TIMEOUT,
  );

  it("cancels the small request on its operator's device, which is then never signed", async () => {
    const { page } = h;
    await actAs(page, PEOPLE.olivia);
    await openRequest(page, ids.small);
    await page.getByRole('button', { name: `Cancel request ${ids.small}` }).click();
    const dialog = page.getByRole('dialog', { name: `Cancel request ${ids.small}` });
    await dialog.getByText('Custos v1: CANCEL transfer').waitFor();
    await dialog.getByText('Kind: transfer-cancel').waitFor();
    await dialog.getByRole('button', { name: 'Cancel on device' }).click();
    await approveOnScreen(page, new RegExp(`CANCEL transfer[\\s\\S]*Request: ${ids.small}`));
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);
    await statusOf(page).and(page.locator('[data-status="cancelled"]')).waitFor();
    expect(await page.getByTestId('transfer-reason').textContent()).toContain('cancelled by Olivia');
    await page.getByTestId('transfer-signing').getByText('This request will not be signed: it was cancelled.').waitFor();
  });

  it('logs no console error (no CSP violation, no uncaught error)', () => {
    expect(h.consoleErrors).toEqual([]);
  });
});

