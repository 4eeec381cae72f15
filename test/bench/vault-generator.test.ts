// The large-vault generator: its signatures are the virtual Ledger's own, and what it writes is a vault like any other
// (it opens 'ok', its waiting requests can be approved through the real service, and an edited record is caught).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceManager } from '../../main/devices/manager';
import { silentLogger } from '../../main/log';
import { Store } from '../../main/store';
import { VaultService } from '../../main/vault';
import { personalSign } from './history/device-keys';
import { identityKey, IDENTITY_PATH, peopleOf } from './history/people';
import { openSession } from './history-session';
import { copyVault, generateVault, PENDING_REQUESTS, type VaultManifest } from './vault-generator';

describe('the large-vault generator', () => {
  it("signs a statement byte for byte as the virtual Ledger does with the same phrase", async () => {
    const [alice] = peopleOf('test');
    const devices = new DeviceManager();
    const { device, ledger } = devices.addVirtual({ mnemonic: alice!.mnemonic });
    ledger.screen.setResponder(() => 'approve');
    const text = 'Custos v1: APPROVE transfer\nVault: Bench\nSeq: 7';
    const signed = await devices.signStatement(device.id, IDENTITY_PATH, text);
    await devices.close();
    expect(personalSign(identityKey(alice!.mnemonic), text)).toBe(signed.signature);
  });

  describe('a generated vault of 400 records', () => {
    let dir = '';
    let manifest: VaultManifest;
    beforeAll(async () => {
      dir = path.join(mkdtempSync(path.join(tmpdir(), 'custos-generator-test-')), 'vault');
      manifest = await generateVault({ records: 400, out: dir, seed: 'test' });
    }, 180_000);
    afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

    it('holds exactly the records asked, of every transfer kind, and opens as a sound vault', async () => {
      const store = Store.open(dir);
      try {
        const types = store.records.all().map((r) => (JSON.parse(r.body) as { type: string }).type);
        expect(types).toHaveLength(400);
        for (const t of ['genesis', 'proposal', 'approval', 'wallet-key', 'transfer-request', 'transfer-approval', 'transfer-rejection', 'transfer-cancel', 'transfer-signed']) expect(types).toContain(t);
        const devices = new DeviceManager();
        const vault = new VaultService({ store, devices, log: silentLogger });
        expect(vault.verify()).toMatchObject({ status: 'ok', problems: [] });
        expect(vault.listUsers()).toHaveLength(32);
        expect(vault.listGroups().map((g) => g.name).sort()).toEqual(['Approvers', 'Audit', 'Ops', 'Treasury']);
        const waiting = vault.readState().transfers.filter((t) => manifest.pending.includes(t.id));
        expect(waiting).toHaveLength(PENDING_REQUESTS);
        expect(waiting.every((t) => t.approvals.length === 0 && t.rejections.length === 0 && t.cancelled === null && t.signed === null)).toBe(true);
        vault.close();
        await devices.close();
      } finally {
        store.close();
      }
      expect(manifest.hostSynced).toBe(true);
    });

    it('lets the real transfer service approve a waiting request, and the host take the new record', async () => {
      const s = await openSession(dir, manifest, 'generator-test');
      try {
        const approver = manifest.people.find((p) => p.groups.includes('Approvers'))!;
        const view = await s.transfers.approve({ requestId: manifest.pending[0]!, deviceId: s.device.get(approver.name)! });
        expect(view.status).toBe('ready');
        await s.syncHost();
        expect(s.vault.verify().status).toBe('ok');
      } finally {
        await s.close();
      }
    });

    it('is caught when one of its generated records is edited', async () => {
      const copy = copyVault(dir, 'generator-tamper');
      try {
        const store = Store.open(copy);
        // A local attacker raises the amount of a generated request (dropping the log's append-only trigger first).
        const { seq, body } = store.records.all().find((r) => r.seq > 250 && r.body.includes('"type":"transfer-request"'))!;
        const edited = body.replace(/"amount":"(\d+)"/, (_m, sats: string) => `"amount":"${BigInt(sats) * 10n}"`);
        expect(edited).not.toBe(body);
        store.db.exec('DROP TRIGGER records_append_only_update');
        store.db.prepare('UPDATE records SET body = ? WHERE seq = ?').run(edited, seq);
        const devices = new DeviceManager();
        const vault = new VaultService({ store, devices, log: silentLogger });
        const report = vault.verify();
        expect(report.status).toBe('tampered');
        expect(report.problems.join(' ')).toMatch(new RegExp(`record ${seq}|rewritten`));
        vault.close();
        store.close();
        await devices.close();
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });
  });
});
