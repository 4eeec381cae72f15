// A PSBT made elsewhere imported in the console: the dialog shows the decoded transaction (inputs with their wallet
// paths, the payment, the change, the fee) and what keeps a PSBT from becoming a request, before anything is created;
// "Create request" is signed on the operator's virtual Ledger, and the request page shows it waiting for approval.
import { base64 } from '@scure/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSend } from '../../crypto/bitcoin';
import { walletKeyAt } from '../../crypto/transfers/transaction';
import { groupKeyOf } from '../../main/wallets/keys';
import { destination, transferHarness } from '../transfers/helpers';
import { PHRASES } from '../vault/phrases';
import { actAs, addVirtualDevice, approveOnScreen, approveScreens, decide, expectNoProblem, nav, openRequest, statusOf, type Person } from './console-steps';
import { startHarnessOn, type Harness } from './harness';

const DAVE: Person = { name: 'Dave', device: 'Dave Ledger', mnemonic: PHRASES.dave };
const ERIN: Person = { name: 'Erin', device: 'Erin Ledger', mnemonic: PHRASES.erin };
const ALICE: Person = { name: 'Alice', device: 'Alice Ledger', mnemonic: PHRASES.alice };
const BOB: Person = { name: 'Bob', device: 'Bob Ledger', mnemonic: PHRASES.bob };
const TO = destination('0b');
let h: Harness;
const psbts = { good: '', foreign: '' };

/** The transfer harness's vault, made by the real services (Dave operator, "Cold BTC" under policy v1, six coins). */
beforeAll(async () => {
  const t = await transferHarness();
  const root = groupKeyOf(t.vault.wallet(t.walletId).wallet.key!);
  const from = walletKeyAt(root, '0/2');
  const change = walletKeyAt(root, '1/9');
  const send = (utxo: { internalKey: Uint8Array; outputKey: Uint8Array }) =>
    base64.encode(
      buildSend({
        utxos: [{ txid: 'e0'.repeat(32), vout: 0, amount: 1_000_000n, ...utxo }],
        payments: [{ address: TO, amount: 400_000n }],
        change: { internalKey: change.internalKey, outputKey: change.outputKey },
        feeRate: 2n,
        network: 'regtest',
      }).psbt,
    );
  psbts.good = send({ internalKey: from.internalKey, outputKey: from.outputKey });
  // The same send from a key the wallet does not hold.
  const other = walletKeyAt(root, '5/5');
  psbts.foreign = send({ internalKey: other.internalKey, outputKey: other.outputKey });
  h = await startHarnessOn(t);
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('Importing a PSBT in the console', () => {
  it('shows the decoded transaction, creates the request on the operator’s device, and the request waits for approval', async () => {
    const { page } = h;
    await page.getByRole('heading', { name: 'Treasury', level: 1 }).waitFor();
    await nav(page, 'Devices').click();
    await addVirtualDevice(page, page.getByRole('button', { name: 'Add virtual device' }).first(), DAVE);
    await actAs(page, DAVE);
    await nav(page, 'Transfers').click();
    await page.getByRole('button', { name: 'Import PSBT' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a PSBT' });
    await dialog.getByRole('combobox', { name: 'Wallet it spends from' }).selectOption({ label: 'Cold BTC (Bitcoin regtest)' });

    // A PSBT spending a coin the wallet does not hold: shown, with why it cannot become a request.
    await dialog.getByRole('textbox', { name: 'Or paste it (base64)' }).fill(psbts.foreign);
    const why = dialog.getByRole('alert', { name: 'Why it cannot become a request' });
    await why.getByText(/input 0 does not spend this wallet's key or its first 100 addresses/).waitFor();
    expect(await dialog.getByTestId('psbt-input').locator('td').allTextContents()).toEqual(['e0e0e0e0e0…e0e0e0:0', 'not this wallet', '0.01 BTC']);
    expect(await dialog.getByRole('button', { name: 'Create request' }).isDisabled()).toBe(true);

    // The wallet's own coin: the transaction in words, and what the operator's device will show.
    await dialog.getByRole('textbox', { name: 'Or paste it (base64)' }).fill(psbts.good);
    const preview = dialog.getByTestId('psbt-preview');
    await preview.getByTestId('psbt-payment').filter({ hasText: `0.004 BTC to ${TO}` }).waitFor();
    expect(await why.count()).toBe(0);
    expect(await dialog.getByTestId('psbt-input').locator('td').allTextContents()).toEqual(['e0e0e0e0e0…e0e0e0:0', '0/2', '0.01 BTC']);
    const fee = ((await preview.getByTestId('psbt-fee').textContent()) ?? '').trim();
    expect(fee).toMatch(/^0\.00000\d+ BTC$/);
    const change = 1_000_000 - 400_000 - Math.round(Number(fee.replace(' BTC', '')) * 1e8);
    expect((await preview.getByTestId('psbt-change').textContent())?.trim()).toBe(`0.0${String(change).padStart(7, '0').replace(/0+$/, '')} BTC to its address 1/9`);
    const outputs = await dialog.getByTestId('psbt-output').allTextContents();
    expect(outputs.map((o) => o.replace(/\s+/g, ' ').trim())).toEqual([`0${TO}0.004 BTCthe payment`, expect.stringMatching(/^1bcrt1p\w+0\.00\d+ BTCchange back to the wallet$/)]);
    await dialog.getByText('Custos v1: REQUEST transfer').waitFor();
    await dialog.getByText(`Fee: ${fee}`).waitFor();

    await dialog.getByRole('button', { name: 'Create request' }).click();
    await approveOnScreen(page, /REQUEST transfer[\s\S]*Amount: 0\.004 BTC/);
    await dialog.waitFor({ state: 'hidden' });
    await expectNoProblem(page);
    await page.getByRole('heading', { name: 'Request R-1', level: 1 }).waitFor();
    const status = page.getByRole('heading', { level: 1 }).locator('xpath=..').getByTestId('transfer-status');
    expect(await status.getAttribute('data-status')).toBe('pending');
    expect((await page.getByTestId('transfer-amount').textContent())?.trim()).toMatch(/^0\.004 BTC/);
    const step = page.getByRole('table', { name: 'Approval steps' }).getByTestId('transfer-step');
    expect((await step.locator('td').allTextContents()).map((c) => c.trim())).toEqual(['1', 'Approvers', '1', 'nobody yet', '1']);

    // The same PSBT again: the dialog points at the request that already carries it.
    await nav(page, 'Transfers').click();
    await page.getByRole('button', { name: 'Import PSBT' }).click();
    await dialog.getByRole('combobox', { name: 'Wallet it spends from' }).selectOption({ label: 'Cold BTC (Bitcoin regtest)' });
    await dialog.getByRole('textbox', { name: 'Or paste it (base64)' }).fill(psbts.good);
    await dialog.getByRole('link', { name: 'R-1' }).waitFor();
    expect(await dialog.getByRole('button', { name: 'Create request' }).isDisabled()).toBe(true);
    await dialog.getByRole('button', { name: 'Cancel', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(h.consoleErrors).toEqual([]);
  }, 180_000);

  it('is not signed while its approval is missing; approved on an approver’s device, each custodian approves what their share signs, then it is signed', async () => {
    const { page } = h;
    await openRequest(page, 'R-1');
    const signing = page.getByTestId('transfer-signing');
    await signing.getByText('Signing starts once every approval step is full').waitFor();
    expect(await signing.getByRole('button', { name: 'Sign', exact: true }).count()).toBe(0);

    await nav(page, 'Devices').click();
    for (const person of [ERIN, ALICE, BOB]) await addVirtualDevice(page, page.getByRole('button', { name: 'Add virtual device' }).first(), person);
    await actAs(page, ERIN);
    await openRequest(page, 'R-1');
    await decide(page, 'R-1', 'Approve');
    await statusOf(page).and(page.locator('[data-status="ready"]')).waitFor();

    await signing.getByRole('button', { name: 'Sign', exact: true }).click();
    // Each custodian's Ledger shows the request, its amount and destination before their share is opened for it.
    const use = new RegExp(`USE key share[\\s\\S]*SIGN transfer[\\s\\S]*Request: R-1[\\s\\S]*Amount: 0\\.004 BTC`);
    const asked = await approveScreens(page, [{ statement: use }, 'secret', { statement: use }, 'secret'], { timeout: 60_000 });
    expect(asked.sort()).toEqual([ALICE.device, ALICE.device, BOB.device, BOB.device]);
    await statusOf(page).and(page.locator('[data-status="signed"]')).waitFor({ timeout: 120_000 });
    expect(await signing.getByTestId('signed-txid').locator('.value').first().getAttribute('title')).toMatch(/^[0-9a-f]{64}$/);
    await expectNoProblem(page);
    expect(h.consoleErrors).toEqual([]);
  }, 180_000);
});
