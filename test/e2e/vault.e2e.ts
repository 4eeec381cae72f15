// The vault's governance end to end in Chromium: genesis, registrations, the quorum, approvals and rejections signed on
// virtual Ledgers' screens through the console's prompt dialog, a revoked approver, and the audit log's chain and exports.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actAs, approveOnScreen, expectNoProblem, foundVault, mnemonicOf, nav, register, setQuorum, type Person } from './console-steps';
import { startHarness, type Harness } from './harness';

/** Fixed mnemonics, so every run has the same addresses. */
const PEOPLE = {
  alice: { name: 'Alice', device: 'Alice Ledger', mnemonic: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about' },
  bob: { name: 'Bob', device: 'Bob Ledger', mnemonic: mnemonicOf(0x11) },
  carol: { name: 'Carol', device: 'Carol Ledger', mnemonic: mnemonicOf(0x22) },
  dave: { name: 'Dave', device: 'Dave Ledger', mnemonic: mnemonicOf(0x33) },
  eve: { name: 'Eve', device: 'Eve Ledger', mnemonic: mnemonicOf(0x44) },
} as const;
const VAULT = 'Treasury';

const proposalCard = (page: Page, title: RegExp) => page.getByRole('article', { name: title });

/** On the Proposals screen, decides a proposal with the acting device: the preview first, then the device's screen. */
async function decide(page: Page, title: RegExp, decision: 'Approve' | 'Reject'): Promise<void> {
  await nav(page, 'Proposals').click();
  await page.getByText(/^\s*All \(/).click();
  const card = proposalCard(page, title);
  await card.getByRole('button', { name: new RegExp(`^${decision} `) }).click();
  const dialog = page.getByRole('dialog', { name: new RegExp(`^${decision}: `) });
  await dialog.waitFor();
  // What the device will show is on screen before it starts.
  await dialog.getByText(decision === 'Approve' ? 'Custos v1: APPROVE change' : 'Custos v1: REJECT change').waitFor();
  await dialog.getByRole('button', { name: `${decision} on device` }).click();
  await approveOnScreen(page, decision === 'Approve' ? /APPROVE change/ : /REJECT change/);
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}

/** The status of a proposal's card ("Pending", "Approved"…). */
async function statusOf(page: Page, title: RegExp): Promise<string> {
  await nav(page, 'Proposals').click();
  await page.getByText(/^\s*All \(/).click();
  const tag = proposalCard(page, title).locator('.n-tag').first();
  return ((await tag.textContent()) ?? '').trim();
}

/** Decides with each person in turn until the proposal leaves "Pending"; answers who decided. */
async function decideUntilClosed(page: Page, title: RegExp, decision: 'Approve' | 'Reject', people: Person[]): Promise<Person[]> {
  const decided: Person[] = [];
  for (const person of people) {
    if ((await statusOf(page, title)) !== 'Pending') break;
    await actAs(page, person);
    await decide(page, title, decision);
    decided.push(person);
  }
  return decided;
}

const userRow = (page: Page, name: string) => page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

describe('Vault governance in the console', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('opens on Onboarding when there is no vault, and creates it with the founder signing two screens', async () => {
    const { page } = h;
    await page.getByRole('heading', { name: 'Create the vault' }).waitFor();
    expect(await nav(page, 'Dashboard').count()).toBe(0);
    await foundVault(page, VAULT, PEOPLE.alice, {
      beforeCreate: async () => {
        expect(await page.getByRole('combobox', { name: 'Your device' }).locator('option:checked').textContent()).toContain(PEOPLE.alice.device);
        // Before starting, the console says what the device will show: the registration, then the genesis.
        const steps = page.getByRole('region', { name: 'Before you start' });
        await steps.getByText('Screen 1: Your registration').waitFor();
        await steps.getByText('Screen 2: The genesis of the vault, you its administrator').waitFor();
        await steps.getByText(`Admin: ${PEOPLE.alice.name}`).waitFor();
        await h.screenshot('onboarding.png');
      },
      genesisScreen: new RegExp(`create vault[\\s\\S]*${VAULT}[\\s\\S]*${PEOPLE.alice.name}`),
    });

    await page.getByRole('group', { name: 'Acting as' }).getByRole('status').filter({ hasText: /Alice · administrator/ }).waitFor();
    await page.getByText('Set the administrator quorum to finish founding').waitFor();
    expect(await nav(page, 'Create vault').count()).toBe(0);
  });

  it('registers Bob and Carol as administrators and sets the quorum to 2, Alice alone while founding', async () => {
    const { page } = h;
    await register(page, PEOPLE.bob, ['administrator'], { checkPreview: true });
    await register(page, PEOPLE.carol, ['administrator'], { checkPreview: true });
    for (const name of ['Bob', 'Carol']) {
      const row = userRow(page, name);
      await row.getByText('active', { exact: true }).waitFor();
      await row.getByText('administrator', { exact: true }).waitFor();
    }

    await setQuorum(page, 2, 3);
    await page.getByText('Set the administrator quorum to finish founding').waitFor({ state: 'detached' });
  });

  it('adds the operator Dave once the other administrators approve on their virtual screens', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await register(page, PEOPLE.dave, ['operator'], { checkPreview: true });
    await page.getByRole('status').filter({ hasText: 'Proposal created: it takes effect when 2 administrators approve' }).waitFor();
    expect(await userRow(page, 'Dave').count()).toBe(0);

    // Bob's dashboard lists it as waiting for him.
    await actAs(page, PEOPLE.bob);
    await nav(page, 'Dashboard').click();
    await page.getByRole('region', { name: 'Waiting for you' }).getByRole('article', { name: /^Add user Dave/ }).waitFor();

    const decided = await decideUntilClosed(page, /^Add user Dave/, 'Approve', [PEOPLE.bob, PEOPLE.carol]);
    expect(decided.map((p) => p.name)).toContain('Bob');
    expect(await statusOf(page, /^Add user Dave/)).toBe('Approved');
    const approvedBy = proposalCard(page, /^Add user Dave/).getByLabel('Approved by', { exact: true });
    for (const p of decided) expect(await approvedBy.textContent()).toContain(p.name);

    await nav(page, 'Users').click();
    await userRow(page, 'Dave').getByText('operator', { exact: true }).waitFor();
  });

  it('creates the group Payments by quorum, and rejects the group Night shift', async () => {
    const { page } = h;
    const proposeGroup = async (name: string, members: string[]) => {
      await actAs(page, PEOPLE.alice);
      await nav(page, 'Groups').click();
      await page.getByRole('button', { name: 'Create group' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'Create a group' });
      await dialog.getByRole('textbox', { name: 'Group name' }).fill(name);
      for (const m of members) await dialog.getByRole('checkbox', { name: m, exact: true }).click();
      await dialog.getByRole('button', { name: 'Propose on device' }).click();
      await approveOnScreen(page, /propose change/);
      await dialog.waitFor({ state: 'hidden' });
    };

    await proposeGroup('Payments', ['Bob', 'Carol', 'Dave']);
    await decideUntilClosed(page, /^Create group Payments/, 'Approve', [PEOPLE.bob, PEOPLE.carol]);
    expect(await statusOf(page, /^Create group Payments/)).toBe('Approved');

    await proposeGroup('Night shift', ['Dave']);
    const rejecters = await decideUntilClosed(page, /^Create group Night shift/, 'Reject', [PEOPLE.bob, PEOPLE.carol]);
    expect(await statusOf(page, /^Create group Night shift/)).toBe('Rejected');
    const rejectedBy = proposalCard(page, /^Create group Night shift/).getByLabel('Rejected by', { exact: true });
    for (const p of rejecters) expect(await rejectedBy.textContent()).toContain(p.name);

    await nav(page, 'Groups').click();
    const table = page.getByRole('table', { name: 'Groups' });
    await table.getByRole('rowheader', { name: 'Payments' }).waitFor();
    expect(await table.getByRole('rowheader', { name: 'Night shift' }).count()).toBe(0);
    await h.screenshot('groups.png');
  });

  it("stops counting a revoked administrator's approval of a pending proposal", async () => {
    const { page } = h;
    await actAs(page, PEOPLE.alice);
    await register(page, PEOPLE.eve, ['administrator'], { checkPreview: true });
    await decideUntilClosed(page, /^Add user Eve/, 'Approve', [PEOPLE.bob, PEOPLE.carol]);
    expect(await statusOf(page, /^Add user Eve/)).toBe('Approved');

    // Alice proposes new roles for Dave; Eve approves it.
    await actAs(page, PEOPLE.alice);
    await nav(page, 'Users').click();
    await page.getByRole('button', { name: 'Change roles of Dave' }).click();
    const roles = page.getByRole('dialog', { name: 'Roles of Dave' });
    await roles.getByRole('checkbox', { name: /^approver/i }).click();
    await roles.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /propose change/);
    await roles.waitFor({ state: 'hidden' });
    const rolesTitle = /^Set the roles of Dave/;
    const pendingRoles = () => page.getByRole('article', { name: rolesTitle }).filter({ hasText: 'Pending' });

    await actAs(page, PEOPLE.eve);
    await nav(page, 'Proposals').click();
    await page.getByText(/^\s*Pending \(/).click();
    const card = pendingRoles();
    await card.getByRole('button', { name: /^Approve / }).click();
    const dialog = page.getByRole('dialog', { name: /^Approve: / });
    await dialog.getByRole('button', { name: 'Approve on device' }).click();
    await approveOnScreen(page, /APPROVE change/);
    await dialog.waitFor({ state: 'hidden' });
    await card.getByLabel('Approved by', { exact: true }).filter({ hasText: 'Eve' }).waitFor();
    const before = await card.getByRole('progressbar').getAttribute('aria-valuenow');

    // Eve is revoked by the quorum (Bob and Carol).
    await actAs(page, PEOPLE.alice);
    await nav(page, 'Users').click();
    await page.getByRole('button', { name: 'Revoke Eve' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke Eve' });
    await revoke.getByRole('button', { name: 'Propose on device' }).click();
    await approveOnScreen(page, /propose change/);
    await revoke.waitFor({ state: 'hidden' });
    await decideUntilClosed(page, /^Revoke user Eve/, 'Approve', [PEOPLE.bob, PEOPLE.carol]);
    expect(await statusOf(page, /^Revoke user Eve/)).toBe('Approved');
    await nav(page, 'Users').click();
    await userRow(page, 'Eve').getByText('revoked', { exact: true }).waitFor();

    // The pending proposal no longer counts Eve's approval.
    await nav(page, 'Proposals').click();
    await page.getByText(/^\s*Pending \(/).click();
    const after = pendingRoles();
    await after.waitFor();
    expect(await after.getByLabel('Approved by', { exact: true }).textContent()).not.toContain('Eve');
    await after.getByLabel('No longer counted', { exact: true }).filter({ hasText: 'Eve (revoked)' }).waitFor();
    expect(Number(await after.getByRole('progressbar').getAttribute('aria-valuenow'))).toBe(Number(before) - 1);
    await page.getByText(/^\s*All \(/).click();
    await h.screenshot('proposals.png');
  });

  it('shows the vault, its members and what waits for the acting administrator', async () => {
    const { page } = h;
    await actAs(page, PEOPLE.bob);
    await nav(page, 'Dashboard').click();
    await page.getByRole('heading', { name: VAULT, level: 1 }).waitFor();
    await page.getByRole('region', { name: 'Waiting for you' }).getByRole('article', { name: /^Set the roles of Dave/ }).waitFor();
    await page.getByRole('region', { name: 'Recent activity' }).getByRole('row').nth(1).waitFor();
    await h.screenshot('dashboard.png');
    // Check integrity replays the log from genesis (its progress shown while it runs), then says how much and how fast.
    await page.getByRole('button', { name: 'Check integrity' }).click();
    await page.getByRole('status').filter({ hasText: /^\s*\d+ records replayed from genesis in \d+\.\d\d s/ }).waitFor();

    await nav(page, 'Users').click();
    for (const name of ['Alice', 'Bob', 'Carol', 'Dave', 'Eve']) await userRow(page, name).waitFor();
    await h.screenshot('users.png');
  });

  it('lists all of it in the audit log with a valid chain, and exports it as CSV and JSON', async () => {
    const { page } = h;
    await nav(page, 'Audit log').click();
    await page.getByRole('status', { name: 'Chain status' }).filter({ hasText: 'Chain valid' }).waitFor();
    const table = page.getByRole('table').filter({ hasText: 'Seq' }).first();
    await table.waitFor();
    const body = page.locator('.n-data-table');
    for (const actor of ['Alice', 'Bob', 'Carol', 'Eve']) await body.getByText(actor, { exact: true }).first().waitFor();

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByRole('status', { name: 'Chain status' }).filter({ hasText: 'Chain valid' }).waitFor();
    await h.screenshot('audit.png');

    const json = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const jsonFile = await json;
    const jsonPath = await jsonFile.path();
    const { readFile } = await import('node:fs/promises');
    const parsed: unknown = JSON.parse(await readFile(jsonPath, 'utf8'));
    expect(JSON.stringify(parsed)).toContain('Eve');
    expect(jsonFile.suggestedFilename()).toMatch(/\.json$/);

    const csv = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const csvFile = await csv;
    expect(csvFile.suggestedFilename()).toMatch(/\.csv$/);
    expect(await readFile(await csvFile.path(), 'utf8')).toContain('Alice');
    // The export downloaded; the console did not navigate away.
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();

    // Filtering by actor keeps only that actor's entries: Eve's registration and her one approval.
    await page.getByRole('combobox', { name: 'Actor' }).selectOption({ label: 'Eve' });
    await page.getByRole('button', { name: 'Filter', exact: true }).click();
    const actors = page.locator('.n-data-table td[data-col-key="actor"]');
    await expect.poll(async () => [...new Set(await actors.allTextContents())]).toEqual(['Eve']);
    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await expect.poll(async () => new Set(await actors.allTextContents()).size).toBeGreaterThan(1);
  });

  it('logs no console error (no CSP violation, no uncaught error)', () => {
    expect(h.consoleErrors).toEqual([]);
  });
});
