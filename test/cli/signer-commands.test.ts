// `custos signer init|register` as processes: a node folder with its keys, registered in the log on the custodian's device.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PHRASES } from '../vault/phrases';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'custos-cli-signer-'));
const nodeDir = path.join(mkdtempSync(path.join(tmpdir(), 'custos-cli-node-')), 'node');

async function custos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args, '--data-dir', dataDir], { cwd: repo, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('custos signer commands (CLI)', () => {
  it('makes a node folder, and the custodian’s device registers its keys after showing their fingerprint', async () => {
    expect((await custos('vault', 'init', '--name', 'Treasury', '--admin-name', 'Alice', '--virtual', '--mnemonic', PHRASES.alice, '--json')).code).toBe(0);
    const init = await custos('signer', 'init', '--node-dir', nodeDir, '--json');
    expect(init.code, init.stderr).toBe(0);
    const node = JSON.parse(init.stdout) as { nodeId: string; fingerprint: string; signingKey: string };
    expect(node.nodeId).toMatch(/^[0-9a-f]{16}$/);
    // The secrets stay in a file only its owner reads; a second init gives the same node.
    expect(statSync(path.join(nodeDir, 'node-keys.json')).mode & 0o077).toBe(0);
    expect(readFileSync(path.join(nodeDir, 'node-public.json'), 'utf8')).not.toMatch(/Secret/);
    expect(JSON.parse((await custos('signer', 'init', '--node-dir', nodeDir, '--json')).stdout)).toMatchObject({ nodeId: node.nodeId, fingerprint: node.fingerprint });

    const reg = await custos('signer', 'register', '--node-dir', nodeDir, '--virtual', '--mnemonic', PHRASES.alice, '--json');
    expect(reg.code, reg.stdout + reg.stderr).toBe(0);
    expect(JSON.parse(reg.stdout)).toMatchObject({ nodeId: node.nodeId, keyFingerprint: node.fingerprint, seq: 1 });
    expect(reg.stderr).toMatch(/REGISTER signer node[\s\S]*Signer node: [0-9a-f]{16}/);
    expect((await custos('vault', 'verify', '--json')).code).toBe(0);
  }, 120_000);

  it('says what is wrong with a missing folder or a bad public file, and registers nothing', async () => {
    const none = await custos('signer', 'register', '--node-dir', path.join(nodeDir, 'nowhere'), '--virtual', '--mnemonic', PHRASES.alice, '--json');
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).error.message).toMatch(/run `custos signer init`/);
    const bad = mkdtempSync(path.join(tmpdir(), 'custos-cli-node-bad-'));
    writeFileSync(path.join(bad, 'node-public.json'), JSON.stringify({ v: 1, nodeId: 'xyz', signingKey: '0x00', hpkeKey: '0x00' }));
    const r = await custos('signer', 'register', '--node-dir', bad, '--virtual', '--mnemonic', PHRASES.alice, '--json');
    expect(JSON.parse(r.stdout).error.message).toMatch(/not a signer node's public file/);
    expect((await custos('signer', 'init', '--json')).code).toBe(2);
  }, 120_000);
});
