// Transfers and PSBTs through `custos` processes on virtual Ledgers, over a vault the real services built (policy,
// groups, coins, a 2-of-3 wallet by DKG): a PSBT becomes a request, is refused while approvals are missing, signs once
// approved, and its signature verifies apart from Custos; a wallet without a policy signs nothing. Then the policy and
// whitelist commands: shown in words, drafted, simulated, proposed and adopted.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { SigHash, Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSend } from '../../crypto/bitcoin';
import { walletKeyAt } from '../../crypto/transfers/transaction';
import { groupKeyOf } from '../../main/wallets/keys';
import { adopted } from '../wallets/helpers';
import { destination, transferHarness } from '../transfers/helpers';
import { PHRASES } from '../vault/phrases';
import type { WalletFundsView } from '../../preload/contract';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let dataDir = '';
let cleanup: () => Promise<void> = async () => {};
const psbts = { cold: '', hot: '' };
const keys: { cold: Uint8Array } = { cold: new Uint8Array() };
const elsewhere = destination('0b');

/**
 * The transfer harness's vault (Dave operator; Erin and Mallory approvers; "Cold BTC" 2-of-3 of Alice, Bob, Carol under
 * policy v1; six made-up coins) plus "Hot BTC" with a key and no policy; then its services close and only `custos` acts.
 */
beforeAll(async () => {
  const h = await transferHarness();
  await adopted(h, () => h.vault.proposeWallet({ name: 'Hot BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  const hotId = h.vault.readState().wallets.find((w) => w.name === 'Hot BTC')!.id;
  await h.ceremonies.run(hotId);
  const spend = (walletId: string, coin: { txid: string; vout: number; amount: bigint; path: string }, amount: bigint) => {
    const root = groupKeyOf(h.vault.wallet(walletId).wallet.key!);
    const from = walletKeyAt(root, coin.path);
    const change = walletKeyAt(root, '1/7');
    return {
      key: from.outputKey,
      psbt: base64.encode(
        buildSend({
          utxos: [{ txid: coin.txid, vout: coin.vout, amount: coin.amount, internalKey: from.internalKey, outputKey: from.outputKey }],
          payments: [{ address: elsewhere, amount }],
          change: { internalKey: change.internalKey, outputKey: change.outputKey },
          feeRate: 2n,
          network: 'regtest',
        }).psbt,
      ),
    };
  };
  // A PSBT a coordinator made from one of the wallet's recorded coins (0.01 BTC at 0/2): 0.005 BTC out, change back.
  const cold = spend(h.walletId, { txid: 'e0'.repeat(32), vout: 0, amount: 1_000_000n, path: '0/2' }, 500_000n);
  psbts.cold = cold.psbt;
  keys.cold = cold.key;
  psbts.hot = spend(hotId, { txid: 'aa'.repeat(32), vout: 0, amount: 1_000_000n, path: '0/0' }, 500_000n).psbt;
  dataDir = h.dir;
  await h.client.close();
  h.vault.close();
  h.store.close();
  cleanup = async () => {
    await h.devices.close();
    rmSync(h.dir, { recursive: true, force: true });
  };
}, 240_000);
afterAll(async () => {
  await cleanup();
});

async function custos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args, '--data-dir', dataDir, '--json'], { cwd: repo, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
async function ok<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await custos(...args);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}
async function fails(code: number, ...args: string[]): Promise<{ error: { code: string; message: string }; stderr: string }> {
  const r = await custos(...args);
  expect(r.code, r.stdout + r.stderr).toBe(code);
  return { ...(JSON.parse(r.stdout) as { error: { code: string; message: string } }), stderr: r.stderr };
}
const as = (who: keyof typeof PHRASES) => ['--virtual', '--mnemonic', PHRASES[who]];
const custodians = (...who: (keyof typeof PHRASES)[]) => ['--virtual', '--devices', who.map((w) => PHRASES[w]).join(';')];
/** The transfers the host's own journal says it signed: empty until a request is signed. */
const hostSigned = () => {
  const file = path.join(dataDir, 'mpc-host', 'journal.jsonl');
  const lines = existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
  return lines.map((l) => (JSON.parse(l) as { entry: { kind: string; requestId?: string } }).entry).filter((e) => e.kind === 'signed');
};
/** Whose screens (custodian 1, 2, …) showed something, once each, in order. */
const screensOf = (stderr: string) => [...new Set(custodianScreens(stderr).map((l) => /custodian (\d)/.exec(l)?.[1]))];
/** A custodian's device asked to open its share: the CLI prints every virtual screen it answers, whose it is first. */
const custodianScreens = (stderr: string) => stderr.split('\n').filter((l) => /custodian \d+’s virtual Ledger screen/.test(l));

type Request = { id: string; status: string; amount: string; destination: string; fee: string };

describe('custos psbt (CLI)', () => {
  let requestId = '';

  it('psbt sign of a PSBT no request carries makes it a request on the operator’s device and asks no custodian for anything', async () => {
    const file = path.join(dataDir, 'send.psbt');
    writeFileSync(file, psbts.cold + '\n');
    const r = await custos('psbt', 'sign', 'Cold BTC', '--psbt', file, ...as('dave'), '--devices', [PHRASES.alice, PHRASES.bob, PHRASES.carol].join(';'));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const { request, needs } = JSON.parse(r.stdout) as { request: Request; needs: string };
    expect(request).toMatchObject({ status: 'pending', amount: '500000', destination: elsewhere });
    expect(needs).toBe('it still needs 1 more approval from Approvers (0 of 1 so far)');
    requestId = request.id;
    // Only the operator's device showed anything: the request. No custodian's device opened a share.
    expect(r.stderr).toMatch(/acting person’s virtual Ledger screen[\s\S]*REQUEST transfer/);
    expect(custodianScreens(r.stderr)).toEqual([]);
    expect(r.stderr).not.toMatch(/Provide public secret key/);
    expect(hostSigned()).toEqual([]);
  }, 120_000);

  it('wallet balance says what the wallet holds, which request holds the coin it spends, and what is free', async () => {
    const funds = await ok<WalletFundsView>('wallet', 'balance', 'Cold BTC');
    // The PSBT spends the 0.01 BTC coin at 0/2: the pending request holds it until it is signed or ends.
    expect(funds.balance.heldBy).toEqual([{ requestId, amount: '1000000' }]);
    expect(BigInt(funds.balance.held)).toBe(1_000_000n);
    expect(BigInt(funds.balance.free)).toBe(BigInt(funds.balance.total) - 1_000_000n);
    expect(funds.policy).toEqual({ version: 1 });
    expect(funds.velocity.length).toBeGreaterThan(0);
  }, 120_000);

  it('refuses to sign it while its approval is missing (POLICY_DENIED, saying which) and signs nothing', async () => {
    const refused = await fails(1, 'psbt', 'sign', 'Cold BTC', '--psbt', psbts.cold, ...custodians('alice', 'bob'));
    expect(refused.error).toEqual({ code: 'POLICY_DENIED', message: `Request ${requestId} cannot be signed: it still needs 1 more approval from Approvers (0 of 1 so far). Nothing was signed.` });
    expect(custodianScreens(refused.stderr)).toEqual([]);
    const again = await fails(1, 'transfer', 'sign', requestId, ...custodians('alice', 'bob'));
    expect(again.error.code).toBe('POLICY_DENIED');
    // Importing the same transaction again is refused: one request per transaction.
    const twice = await fails(1, 'psbt', 'import', 'Cold BTC', '--psbt', psbts.cold, ...as('dave'));
    expect(twice.error).toMatchObject({ code: 'RULE_VIOLATION', message: expect.stringContaining(`Request ${requestId} already carries this transaction`) });
    expect(hostSigned()).toEqual([]);
  }, 120_000);

  it('signs it once approved: two custodians’ devices, the host’s gate, and a signature that verifies apart from Custos', async () => {
    const approved = await ok<{ request: Request; needs: string }>('transfer', 'approve', requestId, ...as('erin'));
    expect(approved).toMatchObject({ request: { status: 'ready' }, needs: 'it is approved and ready to sign' });
    const out = path.join(dataDir, 'signed.psbt');
    const r = await custos('psbt', 'sign', 'Cold BTC', '--psbt', psbts.cold, ...custodians('alice', 'bob'), '--out', out);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const signed = JSON.parse(r.stdout) as { request: Request; txid: string; txHex: string; psbt: string };
    expect(signed.request).toMatchObject({ id: requestId, status: 'signed' });
    // Each of the two custodians' devices signed the use of its share for this very request, then opened it (in the
    // key's party order, which follows the custodians' random ids).
    expect(screensOf(r.stderr).sort()).toEqual(['1', '2']);
    expect(r.stderr.match(/USE key share[^\n]*Custodian: (Alice|Bob)[^\n]*/g)?.map((l) => (new RegExp(`Request: ${requestId}`).test(l) ? 'this request' : l))).toEqual(['this request', 'this request']);
    expect(readFileSync(out, 'utf8').trim()).toBe(signed.psbt);
    expect(hostSigned()).toHaveLength(1);

    // Outside Custos: the BIP-341 sighash by @scure/btc-signer from the PSBT's prevout, the BIP-340 signature by noble,
    // under the wallet's key at the coin's path.
    const tx = Transaction.fromRaw(hexToBytes(signed.txHex), { allowUnknownOutputs: true });
    expect(tx.id).toBe(signed.txid);
    const prevout = Transaction.fromPSBT(base64.decode(psbts.cold)).getInput(0).witnessUtxo!;
    expect(bytesToHex(prevout.script)).toBe('5120' + bytesToHex(keys.cold));
    const sig = tx.getInput(0).finalScriptWitness![0]!;
    expect(sig).toHaveLength(64);
    expect(schnorr.verify(sig, tx.preimageWitnessV1(0, [prevout.script], SigHash.DEFAULT, [prevout.amount]), keys.cold)).toBe(true);
    // The unsigned transaction is the one imported: same inputs and outputs.
    expect(Transaction.fromPSBT(base64.decode(signed.psbt)).id).toBe(Transaction.fromPSBT(base64.decode(psbts.cold)).id);

    // Asked again, it signs nothing more and answers the same transaction.
    const again = await ok<{ txid: string }>('psbt', 'sign', 'Cold BTC', '--psbt', psbts.cold, ...custodians('alice', 'bob'));
    expect(again.txid).toBe(signed.txid);
    expect(hostSigned()).toHaveLength(1);
  }, 180_000);

  it('a wallet without a policy signs nothing: psbt sign says a policy must be adopted first, before any device is asked', async () => {
    const refused = await fails(1, 'psbt', 'sign', 'Hot BTC', '--psbt', psbts.hot, ...as('dave'), '--devices', [PHRASES.alice, PHRASES.bob].join(';'));
    expect(refused.error).toEqual({ code: 'RULE_VIOLATION', message: 'The wallet Hot BTC has no policy: administrators adopt one before anything can be requested.' });
    expect(refused.stderr).not.toMatch(/virtual Ledger screen/);
    const imported = await fails(1, 'psbt', 'import', 'Hot BTC', '--psbt', psbts.hot, ...as('dave'));
    expect(imported.error.message).toMatch(/has no policy/);
    expect((await ok<{ total: number }>('transfer', 'list', '--wallet', 'Hot BTC')).total).toBe(0);
    expect(hostSigned()).toHaveLength(1);
  }, 120_000);
});

describe('custos transfer (CLI)', () => {
  it('creates a request in BTC, lists and shows it, and its rejection leaves nothing to sign', async () => {
    const created = await ok<{ request: Request; needs: string }>('transfer', 'create', 'Cold BTC', '--to', elsewhere, '--amount', '0.003', '--fee-rate', '2', ...as('dave'));
    expect(created.request).toMatchObject({ status: 'pending', amount: '300000', destination: elsewhere });
    const id = created.request.id;
    const listed = await ok<{ total: number; transfers: Request[] }>('transfer', 'list', '--wallet', 'Cold BTC');
    expect(listed.transfers.map((t) => `${t.id}:${t.status}`)).toContain(`${id}:pending`);
    const shown = await ok<{ request: Request; needs: string }>('transfer', 'show', id);
    expect(shown.needs).toMatch(/1 more approval from Approvers/);

    // Dave requested it; the rule does not let its initiator approve it.
    expect((await fails(1, 'transfer', 'approve', id, ...as('dave'))).error.code).toBe('NOT_AUTHORISED');
    const rejected = await ok<{ request: Request; needs: string }>('transfer', 'reject', id, ...as('mallory'));
    expect(rejected.request.status).toBe('rejected');
    const sign = await fails(1, 'transfer', 'sign', id, ...custodians('alice', 'bob'));
    expect(sign.error).toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(new RegExp(`^Request ${id} cannot be signed: it is rejected`)) });
    expect(custodianScreens(sign.stderr)).toEqual([]);
  }, 180_000);

  it('transfer sign signs an approved request with the custodians’ devices and writes the signed PSBT', async () => {
    const created = await ok<{ request: Request }>('transfer', 'create', 'Cold BTC', '--to', elsewhere, '--amount', '0.001', '--fee-rate', '2', ...as('dave'));
    await ok('transfer', 'approve', created.request.id, ...as('mallory'));
    const out = path.join(dataDir, 'transfer-signed.psbt');
    const signed = await ok<{ request: Request; txid: string; psbt: string }>('transfer', 'sign', created.request.id, ...custodians('bob', 'carol'), '--out', out);
    expect(signed.request).toMatchObject({ status: 'signed', amount: '100000' });
    expect(readFileSync(out, 'utf8').trim()).toBe(signed.psbt);
    expect(hostSigned()).toHaveLength(2);
  }, 120_000);

  it('cancels a request on its initiator’s device, and says what is wrong with a typed amount or an unknown request', async () => {
    const created = await ok<{ request: Request }>('transfer', 'create', 'Cold BTC', '--to', elsewhere, '--amount', '0.002', '--fee-rate', '1', ...as('dave'));
    expect((await ok<{ request: Request; needs: string }>('transfer', 'cancel', created.request.id, ...as('dave'))).needs).toBe('it was cancelled');
    const badAmount = await fails(2, 'transfer', 'create', 'Cold BTC', '--to', elsewhere, '--amount', '0.1.2', '--fee-rate', '1', ...as('dave'));
    expect(badAmount.error).toMatchObject({ code: 'BAD_INPUT', message: expect.stringMatching(/^--amount: /) });
    expect((await fails(1, 'transfer', 'show', 'R-99')).error.code).toBe('NOT_FOUND');
    expect((await fails(2, 'transfer', 'fly')).error.code).toBe('BAD_INPUT');
  }, 120_000);
});

describe('custos policy and whitelist (CLI)', () => {
  const file = (name: string) => path.join(dataDir, name);

  it('shows the policy in force in words, drafts its next version, simulates and proposes it; the quorum adopts it', async () => {
    const shown = await ok<{ version: number; hash: string; document: string }>('policy', 'show', 'Cold BTC');
    expect(shown.version).toBe(1);
    const text = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'policy', 'show', 'Cold BTC', '--data-dir', dataDir], { cwd: repo });
    // When it was adopted is a date, not a record number; the wallet by its name.
    expect(text.stdout).toMatch(/^Policy version 1 of wallet Cold BTC \(adopted \d{4}-\d\d-\d\dT[\d:.]+Z\), hash 0x[0-9a-f]{64}$/m);
    expect(text.stdout).toContain('1. Small (small): Up to 0.01 BTC, any address, requested by a member of Ops; approval 1 of Approvers; no delay');
    expect(text.stdout).toContain('2. Large (large): From 0.01000001 BTC, on whitelist Exchanges, requested by a member of Ops; approval 2 of Approvers; no delay');
    expect(text.stdout).toContain('Wallet limits: 0.05 BTC per 24 h.');

    await ok('policy', 'draft', 'Cold BTC', '--out', file('draft.json'));
    const draft = JSON.parse(readFileSync(file('draft.json'), 'utf8')) as { version: number; rules: { id: string; amount: { max: string | null } }[] };
    expect(draft.version).toBe(2);
    // Small sends up to 0.001 BTC only: the requests above that now fall to the "large" rule or are denied.
    draft.rules[0]!.amount.max = '100000';
    writeFileSync(file('draft.json'), JSON.stringify(draft));
    const diff = await ok<{ changes: { kind: string; text: string }[] }>('policy', 'diff', 'Cold BTC', '--file', file('draft.json'));
    expect(diff.changes.map((c) => c.text)).toEqual(['Small: amount Up to 0.01 BTC → Up to 0.001 BTC']);
    const simulated = await ok<{ counts: Record<string, number>; results: { changed: string }[] }>('policy', 'simulate', 'Cold BTC', '--file', file('draft.json'));
    expect(simulated.results.length).toBeGreaterThan(0);
    expect((simulated.counts['now-denied'] ?? 0) + (simulated.counts.rerouted ?? 0)).toBeGreaterThan(0);

    const proposed = await ok<{ proposal: { id: string; status: string } }>('policy', 'propose', '--file', file('draft.json'), ...as('alice'));
    expect(proposed.proposal.status).toBe('pending');
    for (const who of ['bob', 'carol'] as const) await ok('proposal', 'approve', proposed.proposal.id, ...as(who));
    expect((await ok<{ version: number }>('policy', 'show', 'Cold BTC')).version).toBe(2);
  }, 180_000);

  it('lists and shows whitelists and proposes a new one; bad documents are refused before any device is asked', async () => {
    const { whitelists } = await ok<{ whitelists: { id: string; name: string; entries: unknown[] }[] }>('whitelist', 'list');
    expect(whitelists.map((w) => w.name)).toEqual(['Exchanges']);
    expect(await ok('whitelist', 'show', 'exchanges')).toMatchObject({ id: 'exchanges', network: 'regtest', entries: [{ label: 'Exchange' }] });
    writeFileSync(file('partners.json'), JSON.stringify({ name: 'Partners', network: 'regtest', entries: [{ address: elsewhere, label: 'Partner' }] }));
    const proposed = await ok<{ proposal: { status: string; title: string } }>('whitelist', 'propose', '--file', file('partners.json'), ...as('alice'));
    expect(proposed.proposal).toMatchObject({ status: 'pending', title: expect.stringMatching(/Partners/) });

    expect((await fails(2, 'policy', 'propose', '--file', file('missing.json'), ...as('alice'))).error.message).toMatch(/--file: cannot read/);
    writeFileSync(file('broken.json'), '{ "version": 3,');
    expect((await fails(2, 'policy', 'propose', '--file', file('broken.json'), ...as('alice'))).error.message).toMatch(/is not JSON/);
    writeFileSync(file('wrong.json'), JSON.stringify({ ...JSON.parse(readFileSync(file('draft.json'), 'utf8')), version: 3, colour: 'blue' }));
    const wrong = await fails(1, 'policy', 'propose', '--file', file('wrong.json'), ...as('alice'));
    expect(wrong.error.message).toMatch(/policy\.colour: is not a field of this document/);
    expect(wrong.stderr).not.toMatch(/virtual Ledger screen/);
  }, 180_000);
});
