// The headless CLI as an operator or a script runs it: a real process, JSON on stdout, clear errors and exit codes.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { verifyMessage } from 'viem';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const dataDir = mkdtempSync(path.join(tmpdir(), 'custos-cli-'));

async function custos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args, '--data-dir', dataDir], {
      cwd: repo,
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('custos device (CLI)', () => {
  it('address --virtual --json gives the address a real Ledger gives for the mnemonic', async () => {
    const { code, stdout } = await custos('device', 'address', '--virtual', '--mnemonic', ABANDON, '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      path: "m/44'/60'/0'/0/0",
      address: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94',
      publicKey: expect.stringMatching(/^0x04[0-9a-f]{128}$/),
    });
  });

  it('sign-message --virtual --json prints the screen and a signature viem verifies', async () => {
    const text = 'Custos CLI statement';
    const { code, stdout, stderr } = await custos('device', 'sign-message', '--virtual', '--mnemonic', ABANDON, '--text', text, '--json');
    expect(code).toBe(0);
    const out = JSON.parse(stdout) as { address: `0x${string}`; signature: `0x${string}` };
    expect(out.signature).toMatch(/^0x[0-9a-f]{130}$/);
    expect(out.address).toBe('0x9858EfFD232B4033E47d90003D41EC34EcaEda94');
    expect(await verifyMessage({ address: out.address, message: text, signature: out.signature })).toBe(true);
    expect(stderr).toContain('Review message');
    expect(stderr).toContain(text);
  });

  it('a rejection on the virtual screen exits 1 with REJECTED_ON_DEVICE', async () => {
    const { code, stdout } = await custos('device', 'sign-message', '--virtual', '--text', 'no', '--reject', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toEqual({ error: { code: 'REJECTED_ON_DEVICE', message: expect.stringMatching(/rejected/), details: expect.anything() } });
  });

  it('bad input is a usage error (exit 2) that says what is wrong', async () => {
    const badPath = await custos('device', 'address', '--virtual', '--path', "m/44'/0'/0'", '--json');
    expect(badPath.code).toBe(2);
    expect(JSON.parse(badPath.stdout).error.message).toMatch(/--path/);
    const noText = await custos('device', 'sign-message', '--virtual', '--json');
    expect(noText.code).toBe(2);
    const unknownOption = await custos('device', 'address', '--frobnicate');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toMatch(/frobnicate/);
    const badMnemonic = await custos('device', 'address', '--virtual', '--mnemonic', 'not a mnemonic at all', '--json');
    expect(badMnemonic.code).toBe(1);
    expect(JSON.parse(badMnemonic.stdout).error.code).toBe('BAD_INPUT');
  });

  it('without --virtual and no Ledger plugged in, says how to connect one', async () => {
    const { code, stdout } = await custos('device', 'address', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout).error).toMatchObject({ code: 'DEVICE_NOT_FOUND', message: expect.stringMatching(/Plug it in/) });
  });

  it('mpc ping starts the MPC host process and reports its health', async () => {
    const { code, stdout } = await custos('mpc', 'ping', '--json');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ protocolVersion: 3, pid: expect.any(Number), roundTripMs: expect.any(Number) });
  });
});
