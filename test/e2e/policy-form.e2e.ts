// The policy builder in Chromium: a new version built with the form only (amount tiers, a whitelist, two approval steps,
// a delay, limits), read back as JSON, what it changes and the simulator's replay shown before proposing, then adopted
// by the administrators' quorum, over a vault made by the real services.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transferHarness } from '../transfers/helpers';
import { PHRASES } from '../vault/phrases';
import { axeViolations, describeViolations } from './axe';
import { actAs, addVirtualDevice, approveAs, approveOnScreen, expectNoProblem, nav, type Person } from './console-steps';
import { startHarnessOn, type Harness } from './harness';

const ALICE: Person = { name: 'Alice', device: 'Alice Ledger', mnemonic: PHRASES.alice };
const BOB: Person = { name: 'Bob', device: 'Bob Ledger', mnemonic: PHRASES.bob };
const CAROL: Person = { name: 'Carol', device: 'Carol Ledger', mnemonic: PHRASES.carol };
let h: Harness;
let walletId = '';
let requestId = '';

/** "Cold BTC" under policy v1 (Small: up to 0.01 BTC anywhere; Large: above, to the Exchanges whitelist) and one request of 0.008 BTC. */
beforeAll(async () => {
  const t = await transferHarness();
  walletId = t.walletId;
  requestId = (await t.transfers.create({ walletId, destination: t.elsewhere, amount: '800000', feeRate: 2, deviceId: t.device.dave })).id;
  h = await startHarnessOn(t);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const rule = (page: Page, i: number) => page.getByTestId('rule-form').nth(i);
const field = (scope: Locator, name: string) => scope.getByRole('textbox', { name, exact: true });
const pick = (scope: Locator, name: string, label: string) => scope.getByRole('combobox', { name, exact: true }).selectOption({ label });
const changes = (scope: Locator) => scope.getByTestId('policy-change').allTextContents();

describe('The policy builder', () => {
  it('builds the next version with the form only, shows what it changes and its simulation, and the quorum adopts it', async () => {
    const { page } = h;
    await page.getByRole('heading', { name: 'Treasury', level: 1 }).waitFor();
    await nav(page, 'Devices').click();
    for (const p of [ALICE, BOB, CAROL]) await addVirtualDevice(page, page.getByRole('button', { name: 'Add virtual device' }).first(), p);
    await actAs(page, ALICE);
    await page.evaluate((to) => (location.hash = to), `#/wallets/${walletId}/policy`);
    await page.getByRole('heading', { name: 'Policy of Cold BTC', level: 1 }).waitFor();

    // The draft starts from the policy in force, as its next version.
    await page.getByRole('heading', { name: 'Draft of version 2' }).waitFor();
    await page.getByText('the first rule that matches a request decides').waitFor();
    expect(await page.getByTestId('rule-form').count()).toBe(2);
    expect(await field(rule(page, 0), 'Rule name').inputValue()).toBe('Small');
    expect(await field(rule(page, 0), 'Amount up to (BTC)').inputValue()).toBe('0.01');
    await page.getByTestId('policy-changes').getByText('The draft changes nothing against the policy in force.').waitFor();
    expect(await page.getByRole('button', { name: 'Propose', exact: true }).isDisabled()).toBe(true);

    // Tier 1: small sends up to 0.005 BTC, at most 0.02 BTC a day under this rule.
    const small = rule(page, 0);
    await field(small, 'Rule name').fill('Small sends');
    await field(small, 'Amount from (BTC)').fill('0.02');
    await field(small, 'Amount up to (BTC)').fill('0.005');
    // A problem is told next to its field, and proposing waits for it.
    await small.getByText('The maximum is below the minimum.').waitFor();
    expect(await field(small, 'Amount up to (BTC)').getAttribute('aria-describedby')).toBeTruthy();
    await page.getByTestId('policy-changes').getByText('The form has a problem: each is shown under its field.').waitFor();
    await field(small, 'Amount from (BTC)').fill('');
    await small.getByText('The maximum is below the minimum.').waitFor({ state: 'detached' });
    await small.getByRole('button', { name: 'Add a limit' }).click();
    await pick(small, 'Window', '24 hours');
    await field(small, 'At most (BTC)').fill('0.02');

    // The old large tier goes; a new one is added: from 0.01 BTC, to the whitelist only, two approval steps, a delay, a weekly limit.
    await page.getByRole('button', { name: 'Remove rule 2' }).click();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    const large = rule(page, 1);
    await large.getByText('Give the rule a name.').waitFor();
    await field(large, 'Rule name').fill('Exchange sends');
    await field(large, 'Amount from (BTC)').fill('0.01');
    await pick(large, 'Destination', 'An address on a whitelist');
    await large.getByText('Pick the whitelist the destination must be on.').waitFor();
    await pick(large, 'Whitelist', 'Exchanges (1 address)');
    await pick(large, 'Requested by', 'A member of Ops');
    await pick(large, 'Group of step 1', 'Approvers (2 members)');
    await large.getByRole('button', { name: 'Add a step' }).click();
    await pick(large, 'Group of step 2', 'Approvers (2 members)');
    await field(large, 'Approvals needed in step 2').fill('3');
    await large.getByText("Approvers has 2 members: this step can't be filled until it has 3.").waitFor();
    // Steps are ordered, and can be moved: the step asking for 3 goes first, then back.
    expect(await large.getByRole('button', { name: 'Move step 1 up' }).isDisabled()).toBe(true);
    await large.getByRole('button', { name: 'Move step 2 up' }).click();
    expect(await field(large, 'Approvals needed in step 1').inputValue()).toBe('3');
    expect(await field(large, 'Approvals needed in step 2').inputValue()).toBe('1');
    await large.getByRole('button', { name: 'Move step 1 down' }).click();
    expect(await field(large, 'Approvals needed in step 2').inputValue()).toBe('3');
    await field(large, 'Approvals needed in step 2').fill('1');
    await field(large, 'Delay before signing').fill('2');
    await pick(large, 'Delay unit', 'hours');
    await large.getByRole('button', { name: 'Add a limit' }).click();
    await pick(large, 'Window', '7 days');
    await field(large, 'At most (BTC)').fill('0.5');
    await field(large, 'Max transfers (optional)').fill('3');
    // The narrower rule first: the first that matches decides.
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    await page.getByRole('group', { name: 'Rule 1: Exchange sends' }).waitFor();

    const wallet = page.getByRole('group', { name: 'Wallet limits' });
    await field(wallet, 'At most (BTC)').fill('0.1');

    // What changes, in words, against the policy in force.
    const panel = page.getByTestId('policy-changes');
    const expected = [
      'Rule added: Exchange sends (From 0.01 BTC, on whitelist Exchanges, requested by a member of Ops; approval 1 of Approvers, then 1 of Approvers; a delay of 2 h; at most 0.5 BTC and 3 transfers per 7 days)',
      'Small sends: name Small → Small sends',
      'Small sends: amount Up to 0.01 BTC → Up to 0.005 BTC',
      'Small sends: rule limits none → 0.02 BTC per 24 h',
      'Rule removed: Large',
      'Wallet limits: 0.05 BTC per 24 h → 0.1 BTC per 24 h',
    ];
    await expect.poll(() => changes(panel)).toEqual(expected);

    // The Advanced view shows the same draft as JSON; JSON that does not read leaves the form as it was.
    await page.getByText('Advanced: JSON').click();
    const editor = page.getByRole('textbox', { name: 'Draft policy (JSON, custos-policy/1)' });
    const doc = JSON.parse(await editor.inputValue()) as { version: number; rules: { id: string; delaySeconds: number; amount: unknown; steps: unknown[]; velocity: unknown }[]; velocity: unknown };
    expect(doc.version).toBe(2);
    expect(doc.rules.map((r) => r.id)).toEqual(['exchange-sends', 'small']);
    expect(doc.rules[0]).toMatchObject({ amount: { min: '1000000', max: null }, delaySeconds: 7200, velocity: [{ windowSeconds: 604_800, maxAmount: '50000000', maxCount: 3 }] });
    expect(doc.rules[0]!.steps).toHaveLength(2);
    expect(doc.rules[1]).toMatchObject({ amount: { min: null, max: '500000' }, velocity: [{ windowSeconds: 86_400, maxAmount: '2000000' }] });
    expect(doc.velocity).toEqual([{ windowSeconds: 86_400, maxAmount: '10000000' }]);
    const text = await editor.inputValue();
    await editor.fill(text.slice(0, -3));
    await page.getByText(/^Not valid JSON: .* The form keeps the draft as it was until the JSON reads\.$/).waitFor();
    expect(await field(rule(page, 0), 'Rule name').inputValue()).toBe('Exchange sends');
    await page.getByText('The JSON view has a problem: fix it, or start again from the policy in force.').waitFor();
    await editor.fill(text);
    await page.getByText(/^Not valid JSON/).waitFor({ state: 'detached' });
    expect(describeViolations(await axeViolations(page))).toEqual([]);
    await page.getByText('Advanced: JSON').click();

    expect(describeViolations(await axeViolations(page))).toEqual([]);
    // The form holds at 1024×700: nothing pushes the page sideways.
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.getByRole('group', { name: 'Rule 1: Exchange sends' }).scrollIntoViewIfNeeded();
    await h.screenshot('policy-form.png');
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

    // Simulate, then propose: the dialog shows what changes and what the draft does to past requests, beside the device's screen.
    await page.getByRole('button', { name: 'Simulate' }).click();
    await page.getByTestId('simulation-summary').filter({ hasText: 'Past requests replayed under the draft: 0 the same, 1 now denied, 0 now allowed, 0 routed differently.' }).waitFor();
    await page.getByRole('button', { name: 'Propose', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Propose a policy for Cold BTC' });
    expect(await changes(dialog)).toEqual(expected);
    await dialog.getByTestId('proposal-simulation').filter({ hasText: '1 now denied' }).waitFor();
    const denied = dialog.getByRole('list', { name: 'Requests the draft treats differently' }).getByRole('listitem');
    expect(await denied.allTextContents()).toHaveLength(1);
    expect(await denied.first().textContent()).toMatch(new RegExp(`^${requestId}: now denied \\(pending \\(rule "Small"\\) → denied`));
    await dialog.getByText('Change: adopt policy').waitFor();
    await h.screenshot('policy-propose.png');
    await dialog.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /adopt policy/);
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);

    await approveAs(page, [BOB, CAROL], () => page.getByRole('region', { name: 'Waiting for approval' }), /^Adopt policy version 2 for wallet Cold BTC/);
    const inForce = page.getByTestId('policy-in-force');
    await inForce.getByTestId('policy-version').filter({ hasText: '2' }).waitFor();
    const rules = inForce.getByRole('table', { name: 'Rules in force' });
    const cells = async (row: Locator) => (await row.locator('td, th').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
    expect(await cells(rules.locator('[data-rule-id="exchange-sends"]'))).toEqual([
      '1',
      'Exchange sends exchange-sends',
      'From 0.01 BTC',
      'On whitelist Exchanges (1 address)',
      'A member of Ops',
      '1 of Approvers, then 1 of Approvers',
      '2 h',
      '0.5 BTC and 3 transfers per 7 days',
    ]);
    expect((await cells(rules.locator('[data-rule-id="small"]'))).slice(0, 3)).toEqual(['2', 'Small sends small', 'Up to 0.005 BTC']);
    // The draft now equals the policy in force.
    await page.getByTestId('policy-changes').getByText('The draft changes nothing against the policy in force.').waitFor();

    // The wallet under it: its balance, what the pending request holds, and what each window of the policy has used.
    await page.setViewportSize({ width: 1280, height: 820 });
    await page.evaluate((to) => (location.hash = to), `#/wallets/${walletId}`);
    await page.getByTestId('velocity-chart').locator('canvas').waitFor();
    await page.getByTestId('balance-chart').locator('canvas').waitFor();
    await page.evaluate(() => document.querySelector('main')?.scrollTo(0, 0) ?? window.scrollTo(0, 0));
    await h.screenshot('wallet.png');
    expect(h.consoleErrors).toEqual([]);
  });
});
