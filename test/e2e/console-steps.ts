// Console steps the end-to-end tests share: what a person does in the console (found a vault, register a user, approve
// a proposal, answer a virtual Ledger's screen), written once so every test drives the console the same way.
import { entropyToMnemonic } from '@scure/bip39';
import { wordlist } from '@scure/bip39/wordlists/english.js';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Someone in a test, with the virtual Ledger they act through. */
export interface Person {
  readonly name: string;
  /** The virtual device's label, as the console lists it. */
  readonly device: string;
  readonly mnemonic: string;
}

/** One fixed mnemonic per person (from one repeated byte), so every run has the same identities. */
export const mnemonicOf = (byte: number) => entropyToMnemonic(new Uint8Array(16).fill(byte), wordlist);

/**
 * Fails with the console's own words when it shows a problem, instead of timing out later: in the global alert area
 * (actions outside dialogs) or inside an open dialog (its foot, or beside a field).
 */
export async function expectNoProblem(page: Page): Promise<void> {
  const problems = page.getByRole('region', { name: 'Problems' });
  if (await problems.count()) throw new Error(`the console shows a problem: ${(await problems.textContent())?.trim()}`);
  // A dialog's failure (data-code at its foot, data-field beside a field), not a dialog's own notes such as a PSBT's problems.
  const inDialog = page.getByRole('dialog').getByRole('alert').and(page.locator('[data-code], [data-field]'));
  if (await inDialog.count()) throw new Error(`a dialog shows a problem: ${(await inDialog.allTextContents()).join(' ').trim()}`);
}

/** A link of the main navigation, by its exact name. */
export const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** Approves the virtual device screen that shows `text` in the prompt dialog, and waits until that screen is gone. */
export async function approveOnScreen(page: Page, text: RegExp): Promise<void> {
  const prompt = page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: text });
  await prompt.waitFor();
  await prompt.getByText('Virtual — not secure').first().waitFor();
  await prompt.getByRole('button', { name: 'Approve', exact: true }).click();
  await prompt.waitFor({ state: 'hidden' });
}

/** Adds a virtual Ledger from the dialog that `opener` opens (the Devices screen, or a device picker inline). */
export async function addVirtualDevice(page: Page, opener: Locator, person: Person): Promise<void> {
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
export async function actAs(page: Page, person: Person): Promise<void> {
  const select = page.getByRole('combobox', { name: 'Acting as' });
  const value = await select.getByRole('option').filter({ hasText: person.device }).getAttribute('value');
  expect(value).toBeTruthy();
  await select.selectOption(value!);
  await page.getByRole('group', { name: 'Acting as' }).getByRole('status').filter({ hasText: new RegExp(`^\\s*${person.name} ·`) }).waitFor();
}

/** What a test that is about founding adds to `foundVault`. */
export interface FoundingChecks {
  /** Runs with the form filled in and the founder's device added, before anything is signed. */
  beforeCreate?: () => Promise<void>;
  /** The genesis screen the founder's device must show (by default any "create vault" screen). */
  genesisScreen?: RegExp;
}

/**
 * Founds the vault from Onboarding with `founder` as its first administrator: their device signs their registration,
 * then the genesis. Waits until the console shows the vault.
 */
export async function foundVault(page: Page, vault: string, founder: Person, { beforeCreate, genesisScreen = /create vault/ }: FoundingChecks = {}): Promise<void> {
  await page.getByRole('heading', { name: 'Create the vault' }).waitFor();
  await page.getByRole('textbox', { name: 'Vault name' }).fill(vault);
  await page.getByRole('textbox', { name: 'Your name (the first administrator)' }).fill(founder.name);
  await addVirtualDevice(page, page.getByRole('form', { name: 'The vault and its first administrator' }).getByRole('button', { name: 'Add virtual device' }), founder);
  await beforeCreate?.();
  await page.getByRole('button', { name: 'Create vault on device' }).click();
  await approveOnScreen(page, /register device/);
  await approveOnScreen(page, genesisScreen);
  await page.getByRole('heading', { name: vault, level: 1 }).waitFor();
}

const ROLES = ['administrator', 'operator', 'approver', 'auditor'];

/**
 * Registers a user with exactly `roles` from the Users screen, adding their virtual device inline; both devices'
 * screens are approved. `checkPreview` also checks, before signing, that the dialog picked the new device and says
 * what its first screen will show (the governance test checks it; the others take it as given).
 */
export async function register(page: Page, person: Person, roles: readonly string[], { checkPreview = false } = {}): Promise<void> {
  await nav(page, 'Users').click();
  await page.getByRole('button', { name: 'Register user' }).click();
  const dialog = page.getByRole('dialog', { name: 'Register a user' });
  await dialog.waitFor();
  await dialog.getByRole('textbox', { name: 'Name' }).fill(person.name);
  for (const role of ROLES) {
    const box = dialog.getByRole('checkbox', { name: new RegExp(`^${role}`, 'i') });
    if ((await box.isChecked()) !== roles.includes(role)) await box.click();
  }
  await addVirtualDevice(page, dialog.getByRole('button', { name: 'Add virtual device' }), person);
  if (checkPreview) {
    const picker = dialog.getByRole('combobox', { name: "The new user's device" });
    expect(await picker.locator('option:checked').textContent()).toContain(person.device);
    await dialog.getByText(`Screen 1: Registration of ${person.name}`).waitFor();
  }
  await dialog.getByRole('button', { name: 'Register on devices' }).click();
  await approveOnScreen(page, new RegExp(`register device[\\s\\S]*User: ${person.name}`));
  await approveOnScreen(page, /propose change/);
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}

/**
 * Proposes the administrator quorum from the Users screen and waits until the dashboard shows it in force
 * (`approvals` of `administrators`). While the vault is being founded, the founder's proposal applies at once.
 */
export async function setQuorum(page: Page, approvals: number, administrators: number): Promise<void> {
  await nav(page, 'Users').click();
  await page.getByRole('button', { name: 'Set quorum' }).click();
  const dialog = page.getByRole('dialog', { name: 'Set the administrator quorum' });
  await dialog.getByRole('textbox', { name: 'Approvals needed for a change' }).fill(String(approvals));
  await dialog.getByRole('button', { name: 'Propose on device' }).click();
  await approveOnScreen(page, /propose change/);
  await dialog.waitFor({ state: 'hidden' });
  await nav(page, 'Dashboard').click();
  await page.getByLabel('Administrator quorum', { exact: true }).filter({ hasText: `${approvals} of ${administrators} administrators` }).waitFor();
}

/**
 * Approves, as each person in turn, the pending proposal whose card shows in `scope` (the screen the test is on),
 * until the card leaves the pending list. `scope` is a function so that it is looked up again after each switch.
 */
export async function approveAs(page: Page, people: readonly Person[], scope: () => Locator, title: RegExp): Promise<void> {
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

/** One device screen a ceremony or a signing asks for: a statement to sign, or the secret that opens a key share. */
export type CeremonyScreen = { statement: RegExp } | 'secret';

/** The screens of a key ceremony, in the order main asks for them (the anchor only on a signer pinned to nothing). */
export const ceremonyScreens = (opts: { anchor?: boolean; uses: number; secrets?: boolean; attests: number; use?: RegExp }): CeremonyScreen[] => [
  ...(opts.anchor ? [{ statement: /PIN vault on signer/ }] : []),
  ...Array.from({ length: opts.uses }, () => (opts.secrets ? [{ statement: opts.use ?? /USE key share/ }, 'secret' as const] : [{ statement: opts.use ?? /USE key share/ }])).flat(),
  ...Array.from({ length: opts.attests }, () => ({ statement: /ATTEST wallet key/ })),
];

/**
 * Approves `screens` in order, as they come, and returns the device that showed each. A statement screen must show its
 * text; a "Provide public secret key" screen must say, beside the device's screen, what the secret opens (the device
 * itself cannot). `timeout` bounds the wait for each screen where the host takes longer than a step.
 */
export async function approveScreens(page: Page, screens: readonly CeremonyScreen[], { timeout }: { timeout?: number } = {}): Promise<string[]> {
  const shown: string[] = [];
  for (const screen of screens) {
    const prompt =
      screen === 'secret'
        ? page.getByRole('dialog', { name: 'Provide public secret key' }).filter({ hasText: /opens your key share of .+ for .+, which you just approved/ })
        : page.getByRole('dialog', { name: 'Review message' }).filter({ hasText: screen.statement });
    await prompt.waitFor(timeout === undefined ? {} : { timeout });
    const device = /on (.+? Ledger)/.exec((await prompt.textContent()) ?? '')?.[1];
    expect(device).toBeTruthy();
    shown.push(device!);
    const text = (await prompt.textContent()) ?? '';
    await prompt.getByRole('button', { name: 'Approve', exact: true }).click();
    // Gone once the device took the answer: the next screen (maybe of the same kind) is another dialog's text.
    await expect.poll(async () => (await page.getByRole('dialog').filter({ hasText: 'Virtual — not secure' }).allTextContents()).includes(text), { timeout: 10_000 }).toBe(false);
  }
  return shown;
}

/** Opens a wallet's screen from the Wallets list. */
export async function openWallet(page: Page, wallet: string): Promise<void> {
  await nav(page, 'Wallets').click();
  await page.getByRole('table', { name: 'Wallets' }).getByRole('link', { name: wallet }).click();
  await page.getByRole('heading', { name: wallet, level: 1 }).waitFor();
}

/** Opens a transfer request's page from the Transfers list. */
export async function openRequest(page: Page, id: string): Promise<void> {
  await nav(page, 'Transfers').click();
  await page.getByRole('table', { name: 'Transfers' }).getByRole('link', { name: id, exact: true }).click();
  await page.getByRole('heading', { name: `Request ${id}`, level: 1 }).waitFor();
}

/** The status tag beside the request page's heading. */
export const statusOf = (page: Page) => page.getByRole('heading', { level: 1 }).locator('xpath=..').getByTestId('transfer-status');

/**
 * Approves or rejects the open request with the acting device. Approving starts on the device at once (the page shows
 * the statement it signs); rejecting asks once more in a dialog with its own preview, then the device's screen.
 */
export async function decide(page: Page, id: string, decision: 'Approve' | 'Reject'): Promise<void> {
  if (decision === 'Approve') {
    await page.getByTestId('statement-preview').filter({ hasText: `Request: ${id}` }).waitFor();
    await page.getByRole('button', { name: `Approve on device, request ${id}` }).click();
    await approveOnScreen(page, new RegExp(`APPROVE transfer[\\s\\S]*Request: ${id}`));
    await expectNoProblem(page);
    return;
  }
  await page.getByRole('button', { name: `Reject request ${id}` }).click();
  const dialog = page.getByRole('dialog', { name: `Reject request ${id}` });
  await dialog.getByText('Custos v1: REJECT transfer').waitFor();
  await dialog.getByText(`Request: ${id}`).waitFor();
  await dialog.getByRole('button', { name: 'Reject on device' }).click();
  await approveOnScreen(page, new RegExp(`REJECT transfer[\\s\\S]*Request: ${id}`));
  await dialog.waitFor({ state: 'hidden' });
  await expectNoProblem(page);
}
