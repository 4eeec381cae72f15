// `npm run start:browser -- --help` prints its options (not a stack trace); a wrong option says what is wrong.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const browserHost = async (...args: string[]) => {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/browser-host/cli.ts', ...args], { cwd: repo, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

describe('the browser host command', () => {
  it('--help prints its options and the default data folder, and exits', async () => {
    const r = await browserHost('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--data-dir DIR[\s\S]*--port N[\s\S]*--no-usb/);
    expect(r.stdout).toContain(path.join('Custos'));
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 60_000);

  it('an unknown option or a bad port is a usage error in words', async () => {
    const unknown = await browserHost('--bogus');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--bogus'[\s\S]*Usage: npm run start:browser/);
    const port = await browserHost('--port', 'eighty');
    expect(port.code).toBe(2);
    expect(port.stderr).toBe('--port: "eighty" is not a port number (1 to 65535).\n');
  }, 60_000);
});
