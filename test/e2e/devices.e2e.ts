// The Devices screen end to end: virtual Ledgers added, read and signed with through the UI, approved or rejected
// on the virtual device's screen, against the real main-process services behind the browser host.
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS } from '../../preload/contract';
import { startHarness, type Harness } from './harness';

const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const ADDRESS = '0x9858EfFD232B4033E47d90003D41EC34EcaEda94';
const LABEL = 'Alice test Ledger';
const STATEMENT = 'Custos e2e: I confirm this test statement.';

/**
 * Waits until the value labelled `name` in `scope` matches `pattern`, then returns it. Values are <dd> elements
 * labelled by their <dt> (aria-labelledby); Playwright names no "definition" role, so they are found by their label.
 */
async function valueOf(scope: Locator, name: string, pattern: RegExp): Promise<string> {
  const value = scope.getByLabel(name, { exact: true });
  await value.filter({ hasText: pattern }).waitFor();
  return ((await value.textContent()) ?? '').trim();
}

const deviceCard = (page: Page, label: string) => page.getByRole('region', { name: label, exact: true });

async function signStatement(page: Page, text: string): Promise<Locator> {
  const card = deviceCard(page, LABEL);
  await card.getByRole('textbox', { name: 'Statement' }).fill(text);
  await card.getByRole('button', { name: 'Sign statement' }).click();
  const prompt = page.getByRole('dialog', { name: 'Review message' });
  await prompt.waitFor();
  return prompt;
}

describe('Devices screen', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('window.custos in Chromium exposes exactly the contract\'s channels, and no way to reach ipc or Node', async () => {
    const exposed = await h.page.evaluate(() => {
      const api = (window as unknown as { custos: Record<string, unknown> }).custos;
      const names: string[] = [];
      for (const [ns, value] of Object.entries(api)) {
        if (typeof value === 'object' && value) for (const m of Object.keys(value)) names.push(`${ns}.${m}`);
      }
      return { names: names.sort(), frozen: Object.isFrozen(api), hasRequire: typeof (window as unknown as { require?: unknown }).require };
    });
    expect(exposed.names).toEqual([...CHANNELS].sort());
    expect(exposed.frozen).toBe(true);
    expect(exposed.hasRequire).toBe('undefined');
  });

  it('says how to begin when there is no device', async () => {
    const { page } = h;
    // Without a vault the console opens on Onboarding; the Devices screen stays in the navigation.
    await page.getByRole('heading', { name: 'Create the vault' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
    await page.getByRole('heading', { name: 'No devices yet' }).waitFor();
    expect(await page.getByText('open the Ethereum app').count()).toBeGreaterThan(0);
    expect(await page.getByRole('link', { name: 'Devices' }).getAttribute('aria-current')).toBe('page');
  });

  it('adds a virtual device from a given mnemonic and labels it not secure', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Add virtual device' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add virtual device' });
    await dialog.waitFor();
    await dialog.getByRole('textbox', { name: 'Label (optional)' }).fill(LABEL);
    // Naive UI keeps the radio input itself zero-sized: the person clicks its label, and so does the test.
    await dialog.getByText('Use a mnemonic I give').click();
    expect(await dialog.getByRole('radio', { name: 'Use a mnemonic I give' }).isChecked()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Mnemonic' }).fill(MNEMONIC);
    await dialog.getByRole('button', { name: 'Add device' }).click();
    await dialog.waitFor({ state: 'hidden' });

    const card = deviceCard(page, LABEL);
    await card.waitFor();
    await card.getByText('Virtual — not secure').waitFor();
    // The console asks the new device which app it runs: the virtual Ledger runs the Ethereum app.
    await card.getByText('Ready', { exact: true }).waitFor();
    await card.getByText(/^Ethereum \d+\.\d+\.\d+/).waitFor();
  });

  it("reads the device's address at m/44'/60'/0'/0/0", async () => {
    const { page } = h;
    const card = deviceCard(page, LABEL);
    expect(await card.getByRole('textbox', { name: 'Derivation path' }).inputValue()).toBe("m/44'/60'/0'/0/0");
    await card.getByRole('button', { name: 'Read address' }).click();
    expect(await valueOf(card, 'Address', /0x[0-9a-fA-F]{40}/)).toBe(ADDRESS);
  });

  it('shows the address on the device screen when asked, before showing it in the console', async () => {
    const { page } = h;
    const card = deviceCard(page, LABEL);
    await card.getByRole('checkbox', { name: 'Show on device' }).check();
    await card.getByRole('button', { name: 'Read address' }).click();
    const prompt = page.getByRole('dialog', { name: 'Verify Ethereum address' });
    await prompt.waitFor();
    expect(await valueOf(prompt, 'Address', /0x[0-9a-fA-F]{40}/)).toBe(ADDRESS);
    await prompt.getByRole('button', { name: 'Approve' }).click();
    await prompt.waitFor({ state: 'hidden' });
    expect(await valueOf(card, 'Address', /0x[0-9a-fA-F]{40}/)).toBe(ADDRESS);
    await card.getByRole('checkbox', { name: 'Show on device' }).uncheck();
  });

  it('signs a test statement approved on the virtual screen', async () => {
    const { page } = h;
    const prompt = await signStatement(page, STATEMENT);
    // The dialog shows the screen as the device shows it, with the person's two choices.
    expect(await valueOf(prompt, 'Message', /Custos e2e/)).toBe(STATEMENT);
    await prompt.getByText('Virtual — not secure').waitFor();
    await h.screenshot('device-prompt.png');

    await prompt.getByRole('button', { name: 'Approve' }).click();
    await prompt.waitFor({ state: 'hidden' });

    const card = deviceCard(page, LABEL);
    expect(await valueOf(card, 'Signature', /^\s*0x[0-9a-f]+\s*$/i)).toMatch(/^0x[0-9a-f]{130}$/i);
    expect(await valueOf(card, 'Signer', /0x/)).toBe(ADDRESS);
    await h.screenshot('devices.png');
  });

  it('shows a rejection on the virtual screen as a clear message, and no signature', async () => {
    const { page } = h;
    const prompt = await signStatement(page, 'Custos e2e: this one is rejected.');
    await prompt.getByRole('button', { name: 'Reject' }).click();
    await prompt.waitFor({ state: 'hidden' });

    const alert = page.getByRole('alert').filter({ hasText: 'You rejected this on the device' });
    await alert.waitFor();
    expect(await alert.textContent()).not.toMatch(/at \w+ \(|Error:|stack/i);
    expect(await deviceCard(page, LABEL).getByLabel('Signature', { exact: true }).count()).toBe(0);
    await alert.getByRole('button', { name: /close/i }).click();
    await alert.waitFor({ state: 'detached' });
  });

  it('shows a generated mnemonic once, with a testing-only warning', async () => {
    const { page } = h;
    await page.getByRole('button', { name: 'Add virtual device' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add virtual device' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Add device' }).click();

    const shown = page.getByRole('dialog', { name: /^Mnemonic of Virtual Ledger/ });
    await shown.waitFor();
    await shown.getByText('For testing only — shown once').waitFor();
    const words = await shown.getByRole('list', { name: 'Generated mnemonic' }).getByRole('listitem').allTextContents();
    expect(words).toHaveLength(12);
    await shown.getByRole('button', { name: 'I have noted it' }).click();
    await shown.waitFor({ state: 'hidden' });
    expect(await page.getByRole('region', { name: /^Virtual Ledger \d+$/ }).count()).toBe(1);
  });

  it('removes a virtual device after confirmation', async () => {
    const { page } = h;
    const card = page.getByRole('region', { name: /^Virtual Ledger \d+$/ });
    const label = (await card.getByRole('heading', { level: 2 }).textContent())!.trim();
    await card.getByRole('button', { name: `Remove ${label}` }).click();
    await page.getByRole('button', { name: 'Remove', exact: true }).click();
    await card.waitFor({ state: 'detached' });
    await deviceCard(page, LABEL).waitFor();
  });

  it('logs no console error (no CSP violation, no uncaught error)', () => {
    expect(h.consoleErrors).toEqual([]);
  });
});
