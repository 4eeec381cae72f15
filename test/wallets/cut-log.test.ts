// A log cut short behind main's back, by an attacker thorough enough to rewrite the head file too: the MPC signer pinned
// the records it was given, refuses the shorter log, and main then reports the vault as tampered and refuses to act.
import { copyFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/store';
import { headOf, logHeadFile, writeLogHead } from '../../main/store/log-head';
import { syncHost } from '../../main/wallets/host-anchor';
import { expectError } from '../vault/helpers';
import { adopted, walletHarness, type WalletHarness } from './helpers';

let h: WalletHarness;

beforeAll(async () => {
  h = await walletHarness();
  // A wallet and its DKG: the console's signer is pinned to the vault and holds its log.
  await adopted(h, () => h.vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  await h.ceremonies.run(h.vault.readState().wallets[0]!.id);
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('a log cut short, head file and all', () => {
  it('is refused by the MPC signer, and main then refuses to act', async () => {
    const file = path.join(h.dir, DATABASE_FILE);
    h.store.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(file, `${file}.before`);
    const revoke = await adopted(h, () => h.vault.proposeRevoke({ userId: h.ids.dave, deviceId: h.device.alice }));
    expect(revoke.id).toBeTruthy();
    await syncHost(h.store, h.host, h.vault);
    expect((await h.host.status()).pinnedSeq).toBe(h.store.records.lastSeq());

    // The older database put back, and a head file written to match it: nothing in the data folder shows the cut.
    h.store.close();
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(`${file}.before`, file);
    h.reopen();
    writeLogHead(logHeadFile(h.store.file), headOf(h.store.records.all()));
    expect(h.vault.verify()).toMatchObject({ status: 'ok' });

    // The signer saw three more records than the log now holds.
    await expectError(syncHost(h.store, h.host, h.vault), 'TAMPERING_DETECTED', /records were removed/);
    const report = h.vault.verify();
    expect(report.status).toBe('tampered');
    expect(report.problems.join('\n')).toMatch(/The MPC signer refuses this log: .*records were removed/);
    await expectError(h.vault.proposeQuorum({ quorum: 3, deviceId: h.device.alice }), 'TAMPERING_DETECTED', /refuses to act/);
  });
});
