// Hand edits of the SQLite file (another connection, as sqlite3 would) are detected, named, and the vault refuses to act.
import Database from 'better-sqlite3';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../main/store';
import { LOG_HEAD_FILE } from '../../main/store/log-head';
import { expectError, foundedVault, harness, userId, type Harness } from './helpers';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** A founded vault with Dave added (Bob and Carol approved) and a group proposal Bob approved, still pending. */
async function vaultWithHistory(): Promise<{ h: Harness; pending: string }> {
  const h = harness();
  open.push(h);
  await foundedVault(h);
  const d = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
  await h.vault.approve({ proposalId: d.id, deviceId: h.device.bob });
  await h.vault.approve({ proposalId: d.id, deviceId: h.device.carol });
  const g = await h.vault.proposeGroupCreate({ name: 'Signers', memberIds: [userId(h, 'Dave')], deviceId: h.device.alice });
  return { h, pending: g.id };
}

/** Edits the file through its own connection, as someone with sqlite3 would. */
function edit(h: Harness, sql: string): void {
  const db = new Database(path.join(h.dir, DATABASE_FILE));
  db.exec(sql);
  db.close();
}

const screensShown = (h: Harness) => Object.values(h.screens).reduce((n, s) => n + s.length, 0);

async function expectRefusedAndReported(h: Harness, pending: string, problem: RegExp): Promise<void> {
  const status = h.vault.status().vault;
  expect(status?.integrity.status).toBe('tampered');
  expect(status?.integrity.problems.join('\n')).toMatch(problem);
  expect(h.vault.verify().problems.join('\n')).toMatch(problem);
  const shown = screensShown(h);
  const records = h.store.records.all().length;
  const err = await expectError(h.vault.approve({ proposalId: pending, deviceId: h.device.carol }), 'TAMPERING_DETECTED', /refuses to act/);
  expect(err.message).toMatch(problem);
  await expectError(h.vault.proposeQuorum({ quorum: 1, deviceId: h.device.alice }), 'TAMPERING_DETECTED');
  // No device was asked anything, nothing was written, and reads still show what the store says.
  expect(screensShown(h)).toBe(shown);
  expect(h.store.records.all().length).toBe(records);
  expect(h.vault.listUsers().length).toBeGreaterThan(0);
  expect(h.vault.listProposals().length).toBeGreaterThan(0);
  // Restarting does not clear it: the check on start finds the same.
  h.reopen();
  expect(h.vault.status().vault?.integrity.status).toBe('tampered');
  await expectError(h.vault.approve({ proposalId: pending, deviceId: h.device.carol }), 'TAMPERING_DETECTED');
}

describe('tampering in SQLite', () => {
  it('the untouched vault verifies', async () => {
    const { h } = await vaultWithHistory();
    expect(h.vault.verify()).toMatchObject({ status: 'ok', problems: [] });
  });

  it('a role changed (Dave made administrator)', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, `UPDATE users SET roles = '["administrator","operator"]' WHERE name = 'Dave'`);
    await expectRefusedAndReported(h, pending, /user u-\w+ roles: the signed log says \["operator"\], the store says \["administrator","operator"\]/);
  });

  it('an approval deleted', async () => {
    const { h, pending } = await vaultWithHistory();
    const dave = h.vault.listProposals().find((p) => p.title.startsWith('Add user Dave'))!;
    edit(h, `DELETE FROM proposal_decisions WHERE proposal_id = '${dave.id}' AND kind = 'approval' AND seq = (SELECT MIN(seq) FROM proposal_decisions WHERE proposal_id = '${dave.id}')`);
    await expectRefusedAndReported(h, pending, new RegExp(`proposal ${dave.id} approvals`));
  });

  it('a user inserted', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, `INSERT INTO users SELECT 'u-mallory', 'Mallory', '["administrator"]', '["administrator"]', 'active', identity_address, identity_public_key,
      encryption_key, device_path, registration_signature, 99, 99, NULL FROM users WHERE name = 'Alice'`);
    await expectRefusedAndReported(h, pending, /user u-mallory: the signed log says absent, the store says "present"/);
  });

  it('the quorum lowered', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, 'UPDATE vault SET admin_quorum = 1');
    await expectRefusedAndReported(h, pending, /administrator quorum: the signed log says 2, the store says 1/);
  });

  it('an audit entry edited (its append-only trigger dropped first)', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, `DROP TRIGGER audit_append_only_update; UPDATE audit_entries SET actor = 'u-someone-else' WHERE seq = 2`);
    await expectRefusedAndReported(h, pending, /Audit log broken at entry 2: entry 2 was changed after it was written/);
  });

  it('an audit entry deleted from the end', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, 'DROP TRIGGER audit_append_only_delete; DELETE FROM audit_entries WHERE seq = (SELECT MAX(seq) FROM audit_entries)');
    // The chain alone cannot show a truncated tail; the log has one more record than the audit has entries.
    await expectRefusedAndReported(h, pending, /audit/i);
  });

  it('a signed record edited (a role inside an add-user proposal)', async () => {
    const { h, pending } = await vaultWithHistory();
    edit(h, `DROP TRIGGER records_append_only_update; UPDATE records SET body = replace(body, '"roles":["operator"]', '"roles":["administrator"]') WHERE body LIKE '%"name":"Dave"%'`);
    await expectRefusedAndReported(h, pending, /Signed log, record \d+: .*not signed/);
  });

  it("the log's tail cut off with its audit entries and projections (an older copy of the database put back)", async () => {
    const { h, pending } = await vaultWithHistory();
    // A copy of the database while Dave is an active operator…
    const file = path.join(h.dir, DATABASE_FILE);
    h.store.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(file, `${file}.before`);
    // …then Dave is revoked by quorum: three records, three audit entries.
    const revoke = await h.vault.proposeRevoke({ userId: userId(h, 'Dave'), deviceId: h.device.alice });
    await h.vault.approve({ proposalId: revoke.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: revoke.id, deviceId: h.device.carol });
    expect(h.vault.listUsers().find((u) => u.name === 'Dave')?.status).toBe('revoked');
    // The older copy put back undoes the revocation: every hash chain and count inside it holds.
    h.store.close();
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    copyFileSync(`${file}.before`, file);
    h.reopen();
    expect(h.vault.listUsers().find((u) => u.name === 'Dave')?.status).toBe('active');
    await expectRefusedAndReported(h, pending, /holds \d+ records but its head file names \d+: the last 3 records were removed from the end of the log/);
  });

  it("the log's head file deleted, or edited", async () => {
    const { h, pending } = await vaultWithHistory();
    const head = path.join(h.dir, LOG_HEAD_FILE);
    const saved = readFileSync(head, 'utf8');
    rmSync(head);
    expect(h.vault.verify().problems.join('\n')).toMatch(/head file \(log-head\.json\) is missing/);
    writeFileSync(head, saved.replace(/"fingerprint":"[0-9a-f]/, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0')));
    await expectRefusedAndReported(h, pending, /are not the ones its head file names/);
    writeFileSync(head, saved);
    expect(h.vault.verify()).toMatchObject({ status: 'ok', problems: [] });
  });

  it('a vault from before the head file gets one when it is upgraded; a head file deleted after that is tampering', async () => {
    const { h } = await vaultWithHistory();
    const head = path.join(h.dir, LOG_HEAD_FILE);
    // The vault as an older Custos left it: schema 2 (no later migration), no head file.
    h.store.close();
    edit(h, 'DELETE FROM schema_migrations WHERE version >= 3; ALTER TABLE wallets DROP COLUMN key_since; ALTER TABLE utxos DROP COLUMN recorded_at; DROP TABLE IF EXISTS checkpoint; DROP TABLE IF EXISTS team_entries; ALTER TABLE users DROP COLUMN node');
    rmSync(head);
    h.reopen();
    expect(h.vault.verify()).toMatchObject({ status: 'ok', problems: [] });
    expect(JSON.parse(readFileSync(head, 'utf8'))).toMatchObject({ count: h.store.records.all().length });
    rmSync(head);
    h.reopen();
    expect(h.vault.verify().problems.join('\n')).toMatch(/head file \(log-head\.json\) is missing/);
  });

  it('the append-only triggers stop an accidental UPDATE or DELETE of the log', async () => {
    const { h } = await vaultWithHistory();
    expect(() => edit(h, 'DELETE FROM records WHERE seq = 1')).toThrow(/append-only/);
    expect(() => edit(h, "UPDATE audit_entries SET actor = 'x'")).toThrow(/append-only/);
    expect(h.vault.verify().status).toBe('ok');
  });
});
