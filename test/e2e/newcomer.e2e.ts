// A newcomer's whole flow in the console, the shortest way a person would take it, with their clicks counted: a vault,
// five users, two groups, a 2-of-3 wallet and its key, a coin, a policy built with the form (no JSON), the quorum, and
// a transfer requested, approved and signed. The count is written to test-results/newcomer-clicks.json.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taprootPayment } from '../../crypto/bitcoin';
import { actAs, addVirtualDevice, approveOnScreen, approveScreens, ceremonyScreens, expectNoProblem, foundVault, mnemonicOf, nav, type Person } from './console-steps';
import { repoRoot, startHarness, type ClickCount, type Harness } from './harness';

const person = (name: string, byte: number): Person => ({ name, device: `${name} Ledger`, mnemonic: mnemonicOf(byte) });
const ALICE = person('Alice', 0x71);
const BOB = person('Bob', 0x72);
const OLIVIA = person('Olivia', 0x73);
const ADAM = person('Adam', 0x74);
const CAROL = person('Carol', 0x75);
const WALLET = 'Cold reserve';
const TO = taprootPayment(schnorr.getPublicKey(hexToBytes('0f'.repeat(32))), 'regtest').address;
const CEREMONY_TIMEOUT = 180_000;

/** The count for this flow before the console was reworked: about 130 clicks (device confirmations apart). */
const BEFORE = 130;

/** Registers a user from the Users screen the person is already on: name, role, their device, then both devices sign. */
async function register(page: Page, who: Person, role: string): Promise<void> {
  await page.getByRole('button', { name: 'Register user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register a user' });
  await dialog.getByRole('textbox', { name: 'Name' }).fill(who.name);
  await dialog.getByRole('checkbox', { name: new RegExp(`^${role}`, 'i') }).click();
  await addVirtualDevice(page, dialog.getByRole('button', { name: 'Add virtual device' }), who);
  const start = dialog.getByRole('button', { name: 'Register on devices' });
  await expect.poll(() => start.isEnabled(), { message: 'Register on devices stays disabled', timeout: 15_000 }).toBe(true).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; the dialog says: ${(await dialog.textContent())?.replace(/\s+/g, ' ')}; acting: ${await page.getByRole('group', { name: 'Acting as' }).textContent()}`);
  });
  await start.click();
  await approveOnScreen(page, new RegExp(`register device[\\s\\S]*User: ${who.name}`));
  await approveOnScreen(page, /propose change/);
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}

async function createGroup(page: Page, name: string, members: Person[]): Promise<void> {
  await page.getByRole('button', { name: 'Create group' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Create a group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill(name);
  for (const m of members) await dialog.getByRole('checkbox', { name: m.name, exact: true }).click();
  await dialog.getByRole('button', { name: 'Propose on device' }).click();
  await approveOnScreen(page, new RegExp(`create group[\\s\\S]*${name}`));
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}

describe("A newcomer's flow, clicks counted", () => {
  let h: Harness;
  const marks: { step: string; clicks: ClickCount }[] = [];
  const mark = async (step: string) => marks.push({ step, clicks: await h.clicks() });

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it(
    'founds a vault, registers five people in two groups, makes a 2-of-3 wallet, adopts a policy from the form and signs an approved transfer',
    async () => {
      const { page } = h;
      await foundVault(page, 'Treasury', ALICE);
      await mark('vault founded');

      await nav(page, 'Users').click();
      await register(page, BOB, 'administrator');
      await register(page, CAROL, 'administrator');
      await register(page, OLIVIA, 'operator');
      await register(page, ADAM, 'approver');
      await mark('four more users');

      await nav(page, 'Groups').click();
      await createGroup(page, 'Ops', [OLIVIA]);
      await createGroup(page, 'Approvers', [ADAM]);
      await mark('two groups');

      await nav(page, 'Wallets').click();
      await page.getByRole('button', { name: 'New wallet' }).first().click();
      const create = page.getByRole('dialog', { name: 'New wallet' });
      await create.getByRole('textbox', { name: 'Wallet name' }).fill(WALLET);
      for (const p of [ALICE, BOB, CAROL]) await create.getByRole('checkbox', { name: p.name, exact: true }).click();
      await create.getByRole('textbox', { name: 'Threshold (signatures needed)' }).fill('2');
      await create.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, /create wallet/);
      await create.waitFor({ state: 'hidden' });
      // Adopted at once while the vault is being founded: the console goes to the wallet, which owes its key.
      await page.getByRole('heading', { name: WALLET, level: 1 }).waitFor();
      await page.getByTestId('ceremony-box').getByRole('button', { name: 'Run key ceremony' }).click();
      await approveScreens(page, ceremonyScreens({ anchor: true, uses: 3, attests: 3 }), { timeout: 60_000 });
      await page.getByTestId('wallet-status').and(page.locator('[data-status="active"]')).waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);
      await mark('wallet and its key');

      const coins = page.getByTestId('wallet-coins');
      await coins.getByRole('button', { name: 'Record a coin' }).click();
      const form = coins.getByRole('form', { name: 'Record a coin' });
      await form.getByRole('button', { name: 'Make one up' }).click();
      await form.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.05');
      await form.getByRole('button', { name: 'Record coin' }).click();
      await form.waitFor({ state: 'detached' });
      await mark('a coin');

      // The policy, with the form: the first draft's one rule, requested by Ops and approved by one of Approvers.
      await page.getByTestId('wallet-policy').getByRole('link', { name: /policy/i }).click();
      await page.getByRole('heading', { name: `Policy of ${WALLET}`, level: 1 }).waitFor();
      const rule = page.getByTestId('rule-form').first();
      await rule.getByRole('combobox', { name: 'Requested by', exact: true }).selectOption({ label: 'A member of Ops' });
      await rule.getByRole('combobox', { name: 'Group of step 1', exact: true }).selectOption({ label: 'Approvers (1 member)' });
      await page.getByRole('button', { name: 'Propose', exact: true }).click();
      const propose = page.getByRole('dialog', { name: `Propose a policy for ${WALLET}` });
      await propose.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, /adopt policy/);
      await propose.waitFor({ state: 'hidden' });
      await expectNoProblem(page);
      await page.getByTestId('policy-in-force').waitFor();
      await mark('policy');

      // From now on a change needs two of the three administrators.
      await nav(page, 'Users').click();
      await page.getByRole('button', { name: 'Set quorum' }).click();
      const quorum = page.getByRole('dialog', { name: 'Set the administrator quorum' });
      await quorum.getByRole('textbox', { name: 'Approvals needed for a change' }).fill('2');
      await quorum.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, /propose change/);
      await quorum.waitFor({ state: 'hidden' });
      await mark('quorum');

      await actAs(page, OLIVIA);
      await nav(page, 'Transfers').click();
      await page.getByRole('button', { name: 'New transfer' }).first().click();
      const request = page.getByRole('dialog', { name: 'New transfer' });
      const from = request.getByRole('combobox', { name: 'From wallet' });
      if ((await from.inputValue()) === '') await from.selectOption({ label: `${WALLET} (Bitcoin regtest)` });
      await request.getByRole('textbox', { name: 'Destination address' }).fill(TO);
      await request.getByRole('textbox', { name: 'Amount (BTC)' }).fill('0.01');
      await request.getByRole('textbox', { name: 'Fee rate (sat/vB)' }).fill('2');
      await request.getByRole('button', { name: 'Request on device' }).click();
      await approveOnScreen(page, /REQUEST transfer/);
      await request.waitFor({ state: 'hidden' });
      await expectNoProblem(page);
      const heading = page.getByRole('heading', { name: /^Request R-\d+$/, level: 1 });
      const id = ((await heading.textContent()) ?? '').replace('Request', '').trim();
      await mark('transfer requested');

      // Adam, at the same desk, takes over on the request's page: it shows what his device will sign.
      await actAs(page, ADAM);
      await page.getByTestId('statement-preview').filter({ hasText: `Request: ${id}` }).waitFor();
      await page.getByRole('button', { name: `Approve on device, request ${id}` }).click();
      // The device's panel docks beside the page, whose preview stays in view to compare.
      await page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: /APPROVE transfer/ }).waitFor();
      await h.screenshot('transfer-approve.png');
      await approveOnScreen(page, /APPROVE transfer/);
      await expectNoProblem(page);
      await mark('transfer approved');

      const signing = page.getByTestId('transfer-signing');
      await h.screenshot('transfer-approved.png');
      await signing.getByRole('button', { name: 'Sign', exact: true }).click();
      await approveScreens(page, [{ statement: /USE key share/ }, 'secret', { statement: /USE key share/ }, 'secret'], { timeout: 60_000 });
      await signing.getByTestId('signed-txid').waitFor({ timeout: CEREMONY_TIMEOUT });
      await expectNoProblem(page);
      await mark('transfer signed');

      const total = marks.at(-1)!.clicks;
      // A native list takes two clicks: open it, pick.
      const clicks = total.console + 2 * total.choices;
      const report = { before: BEFORE, clicks, ...total, steps: marks };
      await mkdir(path.join(repoRoot, 'test-results'), { recursive: true });
      await writeFile(path.join(repoRoot, 'test-results', 'newcomer-clicks.json'), JSON.stringify(report, null, 2));
      console.log(`newcomer flow: ${clicks} clicks (${total.console} clicks, ${total.choices} choices from lists), ${total.device} device confirmations`);
      // The issue's bar: at most half the clicks of before. Device confirmations are the devices' (each a signature).
      expect(clicks).toBeLessThanOrEqual(BEFORE / 2);
      expect(h.consoleErrors).toEqual([]);

    },
    CEREMONY_TIMEOUT * 2,
  );
});
