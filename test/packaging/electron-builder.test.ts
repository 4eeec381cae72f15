// electron-builder.yml against app-builder-lib's own JSON schema, plus the settings a custody app must not lose.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
// js-yaml ships no types; only load() is used.
const yaml = require('js-yaml') as { load(text: string): unknown };
const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

type Config = Record<string, unknown> & {
  electronFuses: Record<string, boolean>;
  asarUnpack: string[];
  mac: Record<string, unknown>;
  linux: Record<string, unknown> & { extraResources: { from: string; to: string }[] };
  deb: Record<string, string>;
};
const config = yaml.load(readFileSync(root('electron-builder.yml'), 'utf8')) as Config;
const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;
// The schema is draft-07 with a few non-standard keywords; strict mode would refuse it for those, not for our config.
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

describe('electron-builder.yml', () => {
  it('is valid against app-builder-lib/scheme.json', () => {
    const ok = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it('fails validation when broken (an unknown key, a wrong type), so the check above can fail', () => {
    expect(validate({ ...config, signWithMagic: true })).toBe(false);
    expect(validate({ ...config, mac: { ...config.mac, hardenedRuntime: 'yes' } })).toBe(false);
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNode: 'no' } })).toBe(false);
  });

  it("passes electron-builder's own configuration check, which refuses a broken copy", async () => {
    // The same loader and validator `electron-builder` runs before building (internal modules, hence untyped).
    const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      getConfig(projectDir: string, configPath: string | null, fromOptions: object | null): Promise<object>;
      validateConfiguration(config: object, logger: object): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => object };
    const loaded = await getConfig(root(''), null, null);
    await expect(validateConfiguration(loaded, new DebugLogger(false))).resolves.toBeUndefined();
    // electron-builder coerces types (42 would pass as "42"), so its broken copy has an unknown key instead; the
    // schema check above, without coercion, is the stricter of the two.
    await expect(validateConfiguration({ ...loaded, deb: { ...(loaded as Config).deb, afterInstal: 'x' } }, new DebugLogger(false))).rejects.toThrow(/Invalid configuration object[\s\S]*configuration\.deb/);
  });

  it('names the app and pins electron to the installed version', () => {
    expect(config.appId).toBe('org.custos.console');
    expect(config.productName).toBe('Custos');
    expect(config).toMatchObject({ directories: { output: 'release' }, files: ['out/**', 'package.json'] });
    const electron = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')) as { version: string };
    expect(config.electronVersion).toBe(electron.version);
    expect(existsSync(root('resources/icon.png'))).toBe(true);
  });

  it('flips the fuses that keep the binary from becoming a general Node runtime', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
    });
  });

  it('unpacks the native modules from the asar', () => {
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/node_modules/better-sqlite3/**', '**/node_modules/node-hid/**', '**/node_modules/usb/**', '**/*.node']),
    );
  });

  it('signs for macOS with the hardened runtime and an entitlements file that grants USB', () => {
    expect(config.mac).toMatchObject({ hardenedRuntime: true, gatekeeperAssess: false, target: ['dmg', 'zip'] });
    for (const key of ['entitlements', 'entitlementsInherit'] as const) {
      const file = config.mac[key] as string;
      expect(existsSync(root(file))).toBe(true);
      const plist = readFileSync(root(file), 'utf8');
      expect(plist).toContain('<key>com.apple.security.device.usb</key>');
      expect(plist).toContain('<key>com.apple.security.cs.allow-jit</key>');
    }
  });

  it('ships the Ledger udev rules and has the .deb install and reload them', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    const rules = config.linux.extraResources.find((r) => r.from === 'resources/linux/20-ledger.rules');
    expect(rules?.to).toBe('linux/20-ledger.rules');
    const rulesText = readFileSync(root(rules!.from), 'utf8');
    expect(rulesText).toMatch(/ATTRS\{idVendor\}=="2c97".*TAG\+="uaccess"/);
    expect(rulesText).toMatch(/MODE="0660", GROUP="plugdev"/);

    const install = readFileSync(root(config.deb.afterInstall!), 'utf8');
    expect(install).toContain('$APP_DIR/resources/linux/20-ledger.rules');
    expect(install).toContain('/etc/udev/rules.d/20-custos-ledger.rules');
    expect(install).toContain('udevadm control --reload-rules && udevadm trigger');
    expect(install).toMatch(/command -v udevadm/);
    expect(readFileSync(root(config.deb.afterRemove!), 'utf8')).toContain('rm -f /etc/udev/rules.d/20-custos-ledger.rules');
  });

  it('uses only the template macros electron-builder defines in the .deb scripts (any other aborts the build)', () => {
    for (const script of [config.deb.afterInstall!, config.deb.afterRemove!]) {
      const macros = [...readFileSync(root(script), 'utf8').matchAll(/\$\{([a-zA-Z]+)\}/g)].map((m) => m[1]);
      expect(macros.every((m) => m === 'executable' || m === 'sanitizedProductName' || m === 'productFilename')).toBe(true);
    }
  });
});
