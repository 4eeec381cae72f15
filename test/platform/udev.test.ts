// Detection of Ledger udev rules and the guidance shown when they are missing.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledRulesPath, udevGuidance, udevRulesInstalled } from '../../main/platform/udev';

const temps: string[] = [];
const folder = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'custos-udev-'));
  temps.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
afterEach(() => {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('udevRulesInstalled', () => {
  it('is null off Linux', () => {
    expect(udevRulesInstalled({ platform: 'darwin' })).toBeNull();
    expect(udevRulesInstalled({ platform: 'win32' })).toBeNull();
  });

  it('finds a rules file that mentions vendor 2c97 in any of the folders', () => {
    const empty = folder({ '99-other.rules': 'SUBSYSTEM=="usb", ATTRS{idVendor}=="1209"' });
    const ledger = folder({ '20-hw1.rules': 'SUBSYSTEMS=="usb", ATTRS{idVendor}=="2C97", TAG+="uaccess"' });
    expect(udevRulesInstalled({ platform: 'linux', dirs: [empty, ledger] })).toBe(true);
  });

  it('is false when no rules mention Ledger, ignoring non-.rules files and missing folders', () => {
    const dir = folder({ 'ledger.txt': '2c97', '50-x.rules': 'nothing here' });
    mkdirSync(join(dir, 'sub.rules'));
    expect(udevRulesInstalled({ platform: 'linux', dirs: ['/nonexistent/custos', dir] })).toBe(false);
  });

  it('accepts the rules Custos ships', () => {
    const shipped = readFileSync(bundledRulesPath(), 'utf8');
    expect(shipped).toMatch(/TAG\+="uaccess"/);
    expect(udevRulesInstalled({ platform: 'linux', dirs: [folder({ '20-custos-ledger.rules': shipped })] })).toBe(true);
  });
});

describe('udevGuidance', () => {
  it('gives the install and reload commands for the bundled rules', () => {
    const text = udevGuidance('/tmp/.mount_Custos x/resources/linux/20-ledger.rules');
    expect(text).toContain(`sudo install -m 0644 '/tmp/.mount_Custos x/resources/linux/20-ledger.rules' /etc/udev/rules.d/20-custos-ledger.rules`);
    expect(text).toContain('sudo udevadm control --reload-rules && sudo udevadm trigger');
  });

  it('points at a rules file that exists when run from sources', () => {
    expect(udevGuidance()).toContain(bundledRulesPath());
    expect(bundledRulesPath()).toMatch(/resources[\\/]linux[\\/]20-ledger\.rules$/);
  });
});
