// Linux only: whether Ledger's udev rules are installed (without them a USB Ledger is invisible), and how to install ours.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where udev reads rules from: the admin's folder, then the distribution's (two spellings, merged /usr or not). */
export const UDEV_RULES_DIRS = ['/etc/udev/rules.d', '/lib/udev/rules.d', '/usr/lib/udev/rules.d'];
export const LEDGER_VENDOR_ID = '2c97';
/** The name the .deb installs Custos' rules under; the guidance uses the same, so both paths converge. */
export const CUSTOS_RULES_TARGET = '/etc/udev/rules.d/20-custos-ledger.rules';

export interface UdevCheckOptions {
  platform?: NodeJS.Platform;
  dirs?: string[];
}

/**
 * True if some rules file mentions Ledger's vendor id (ours, Ledger's 20-hw1.rules, a distribution's package);
 * false if none does; null off Linux, where the question does not arise.
 */
export function udevRulesInstalled(options: UdevCheckOptions = {}): boolean | null {
  if ((options.platform ?? process.platform) !== 'linux') return null;
  for (const dir of options.dirs ?? UDEV_RULES_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue; // a folder that does not exist on this distribution
    }
    for (const name of names) {
      if (!name.endsWith('.rules')) continue;
      try {
        if (readFileSync(join(dir, name), 'utf8').toLowerCase().includes(LEDGER_VENDOR_ID)) return true;
      } catch {
        // Unreadable (permissions, a dangling link): it cannot be checked, so it does not count.
      }
    }
  }
  return false;
}

/**
 * The rules file Custos ships: in the packaged app under resources/linux/ (the .deb and the AppImage both carry
 * it), else the project's own copy (development, the CLI from sources or from out/).
 */
export function bundledRulesPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const resourcesPath = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    ...(resourcesPath ? [join(resourcesPath, 'linux', '20-ledger.rules')] : []),
    join(here, '..', '..', 'resources', 'linux', '20-ledger.rules'),
  ];
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** What to tell a person whose Ledgers are invisible (typically an AppImage user): the commands, in order. */
export function udevGuidance(rulesPath: string = bundledRulesPath()): string {
  const quoted = `'${rulesPath.replace(/'/g, `'\\''`)}'`;
  return [
    'Linux needs udev rules before a Ledger can be used without root. Install the rules Custos ships (run while Custos is open):',
    '',
    `  sudo install -m 0644 ${quoted} ${CUSTOS_RULES_TARGET}`,
    '  sudo udevadm control --reload-rules && sudo udevadm trigger',
    '',
    'Then unplug the Ledger and plug it in again. On systems without a desktop login session (no logind seat), also',
    'add yourself to the plugdev group and log in again:',
    '',
    '  sudo groupadd -f plugdev && sudo usermod -aG plugdev "$USER"',
  ].join('\n');
}
