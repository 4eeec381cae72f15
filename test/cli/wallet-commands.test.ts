// Wallets through `custos` processes on virtual Ledgers: DKG at once in a founding vault, addresses, descriptors,
// a PSBT that the custodians' devices alone cannot sign (it needs a request under a policy), and a reshare that keeps
// the address.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hexToBytes } from '@noble/hashes/utils.js';
import { base64 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import { buildSend, hasValidChecksum } from '../../crypto/bitcoin';
import { PHRASES } from '../vault/phrases';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'custos-cli-wallet-'));

async function custos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args, '--data-dir', dataDir], { cwd: repo, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
async function ok<T = Record<string, unknown>>(...args: string[]): Promise<T> {
  const r = await custos(...args, '--json');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}
const asAlice = ['--virtual', '--mnemonic', PHRASES.alice];
const devices = (...who: (keyof typeof PHRASES)[]) => ['--devices', who.map((w) => PHRASES[w]).join(';')];

describe('custos wallet commands (CLI)', () => {
  it('creates a 2-of-3 wallet by DKG, refuses to sign a PSBT with no request and no policy, and reshares it to 3-of-4 keeping its address', async () => {
    await ok('vault', 'init', '--name', 'Treasury', '--admin-name', 'Alice', ...asAlice);
    for (const [name, who] of [['Bob', 'bob'], ['Carol', 'carol'], ['Dave', 'dave']] as const) {
      await ok('user', 'add', '--name', name, '--roles', 'approver', ...asAlice, '--new-user-mnemonic', PHRASES[who]);
    }
    // Founding: Alice's proposal counts alone, so the DKG runs at once with the custodians' devices.
    const created = await custos('wallet', 'create', '--name', 'Cold BTC', '--threshold', '2', '--custodians', 'Alice,Bob,Carol', ...asAlice, ...devices('bob', 'carol'), '--json');
    expect(created.code, created.stderr).toBe(0);
    const { wallet } = JSON.parse(created.stdout) as { wallet: { id: string; address: string; internalKey: string; outputKey: string; keyVersion: number } };
    expect(wallet).toMatchObject({ keyVersion: 1 });
    expect(wallet.address).toMatch(/^bcrt1p/);
    expect(created.stderr).toMatch(/USE key share[^\n]*CREATE wallet key/);
    expect(created.stderr).toMatch(/\[host\]/);

    const listed = await ok<{ addresses: { path: string; address: string }[] }>('wallet', 'address', 'Cold BTC', '--count', '3');
    expect(listed.addresses.map((a) => a.path)).toEqual(['0/0', '0/1', '0/2']);
    expect(listed.addresses[0]!.address).toBe(wallet.address);
    // A custodian's device shows the first receive address and signs what it showed.
    const verified = await ok<{ address: string; path: string; custodian: { name: string } }>('wallet', 'verify-address', 'Cold BTC', '--index', '0', '--virtual', '--mnemonic', PHRASES.bob);
    expect(verified).toMatchObject({ address: wallet.address, path: '0/0', custodian: { name: 'Bob' } });
    const descriptors = await ok<{ receive: string; change: string; root: string }>('wallet', 'descriptor', wallet.id);
    expect(hasValidChecksum(descriptors.receive) && hasValidChecksum(descriptors.root)).toBe(true);

    // A made-up regtest UTXO of the wallet's root key, spent to its first receive address.
    const psbt = buildSend({
      utxos: [{ txid: 'ab'.repeat(32), vout: 1, amount: 50_000n, internalKey: hexToBytes(wallet.internalKey), outputKey: hexToBytes(wallet.outputKey) }],
      payments: [{ address: wallet.address, amount: 20_000n }],
      change: { internalKey: hexToBytes(wallet.internalKey), outputKey: hexToBytes(wallet.outputKey) },
      feeRate: 1n,
      network: 'regtest',
    }).psbt;
    const file = path.join(dataDir, 'send.psbt');
    writeFileSync(file, base64.encode(psbt));
    // The custodians' devices alone sign nothing: a PSBT becomes a request, and this wallet has no policy yet.
    const signed = await custos('psbt', 'sign', 'Cold BTC', '--psbt', file, '--virtual', '--mnemonic', PHRASES.alice, ...devices('bob', 'carol'), '--json');
    expect(signed.code, signed.stderr).toBe(1);
    expect(JSON.parse(signed.stdout)).toEqual({ error: { code: 'RULE_VIOLATION', message: 'The wallet Cold BTC has no policy: administrators adopt one before anything can be requested.' } });
    expect(signed.stderr).not.toMatch(/virtual Ledger screen/);

    // Every custodian of the new key attests it on their device, so Dave (new) takes part too.
    const reshared = await custos('wallet', 'reshare', 'Cold BTC', '--threshold', '3', '--custodians', 'Alice,Bob,Carol,Dave', ...asAlice, ...devices('bob', 'carol', 'dave'), '--json');
    expect(reshared.code, reshared.stderr).toBe(0);
    const after = (JSON.parse(reshared.stdout) as { wallet: { address: string; keyVersion: number; threshold: number } }).wallet;
    expect(after).toMatchObject({ address: wallet.address, keyVersion: 2, threshold: 3 });

    const bad = await custos('wallet', 'create', '--name', 'Hot', '--threshold', '4', '--custodians', 'Alice,Bob', ...asAlice, '--json');
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toMatch(/threshold/);
  }, 180_000);
  it('a single desk runs its ceremonies in its MPC host: --nodes is refused, in words, and only wallet ceremony takes it', async () => {
    const ceremony = await custos('wallet', 'ceremony', 'Cold BTC', '--nodes', '--node-dir', dataDir);
    expect(ceremony.code).not.toBe(0);
    expect(ceremony.stderr).toMatch(/--nodes: this console is a single desk \(not joined to a team\); run the ceremony without --nodes/);
    const list = await custos('wallet', 'list', '--nodes');
    expect(list.code).not.toBe(0);
    expect(list.stderr).toMatch(/only wallet ceremony takes it/);
  }, 60_000);
});
