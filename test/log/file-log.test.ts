// Main's log on disk: JSON lines in size-rotated files, secrets redacted before they are written; and the diagnostics
// a person copies carry versions, the vault's and the signer's state and recent lines, nothing secret.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnostics } from '../../main/diagnostics';
import { fileLogger } from '../../main/file-log';
import { PHRASES } from '../vault/phrases';
import { walletHarness, type WalletHarness } from '../wallets/helpers';

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'custos-log-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('the file logger', () => {
  it('writes JSON lines, rotates by size keeping a bounded number of files, and redacts secret-looking values', async () => {
    const dir = temp();
    const log = fileLogger(dir, 'custos-test', { size: '1K', keep: 2 });
    for (let i = 0; i < 60; i++) log.info(`step ${i}`, { mnemonic: PHRASES.alice, unsealSecret: 'ab'.repeat(32), nested: { share: 'cd'.repeat(32) }, n: i });
    log.error('boom', new Error('the device was unplugged'));
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(['custos.log', 'custos.log.1', 'custos.log.2']);
    const lines = readdirSync(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
    const all = lines.join('\n');
    expect(all).not.toContain(PHRASES.alice.split(' ')[0]! + ' ' + PHRASES.alice.split(' ')[1]!);
    expect(all).not.toContain('ab'.repeat(32));
    expect(all).not.toContain('cd'.repeat(32));
    const last = JSON.parse(readFileSync(path.join(dir, 'custos.log'), 'utf8').trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(last).toMatchObject({ level: 'error', name: 'custos-test', msg: 'boom', data: { name: 'Error', message: 'the device was unplugged' } });
    expect(log.recent(2).map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['step 59', 'boom']);
  });
});

describe('diagnostics', () => {
  let h: WalletHarness;
  beforeAll(async () => {
    h = await walletHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('names versions, the vault and its integrity, the MPC signer and the devices, with recent log lines and no secret', async () => {
    const log = fileLogger(temp(), 'custos-test');
    log.warn('a device asked for a phrase', { mnemonic: PHRASES.bob });
    const text = await diagnostics({
      appInfo: { name: 'Custos', version: '0.1.0', shell: 'cli', platform: process.platform, udevRulesInstalled: null, udevGuidance: null },
      dataDir: h.dir,
      vault: () => h.vault,
      mpc: h.host,
      devices: h.devices,
      recentLog: () => log.recent(),
      now: () => new Date('2026-12-06T10:00:00Z'),
    });
    await log.close();
    expect(text).toMatch(/^Custos diagnostics, 2026-12-06T10:00:00.000Z\nCustos 0.1.0 \(cli\), MPC host protocol 3\nNode /);
    expect(text).toMatch(/Vault: Treasury \(v-[^)]+\), last record seq \d+, integrity ok/);
    expect(text).toMatch(/MPC signer [0-9a-f]{16}: pinned to no vault yet/);
    expect(text).toMatch(/Devices: 6 virtual; \d+ /);
    expect(text).toContain('a device asked for a phrase');
    expect(text).not.toContain(PHRASES.bob);
  });
});
