// Transfers through the real MPC host process: requests signed on the operator's device, approvals on approvers'
// devices, and a host that signs only what its own evidence allows — whatever main's database or main itself says.
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64 } from '@scure/base';
import { buildSend } from '../../crypto/bitcoin';
import { deriveChildKey } from '../../crypto/frost';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { verifyTransaction } from '../../main/cli/demo-verify';
import { verifyMessage } from 'viem';
import { expectError, fillsPreview, preview, shownText } from '../vault/helpers';
import { consentingSigners, transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;

beforeAll(async () => {
  h = await transferHarness();
}, 240_000);
afterAll(async () => {
  await h?.close();
});

/** The signers main would send for `requestId`: Alice's and Bob's shares and use statements, from their own virtual devices. */
const signers = (requestId: string) => consentingSigners(h, requestId);

describe('a transfer under policy', () => {
  let small: string;

  it('is requested on the operator’s device, with the statement the approvers will see', async () => {
    const before = h.screens.dave.length;
    const input = { walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave };
    const [request] = preview(h, 'transfers.create', input, () => h.transfers);
    expect(request!.screen).toContain('Fee: 0.00000');
    const r = await h.transfers.create(input);
    small = r.id;
    expect(r).toMatchObject({ status: 'pending', rule: { id: 'small' }, amount: '500000', steps: [{ required: 1, missing: 1 }] });
    const shown = h.screens.dave.slice(before).map((s) => s.fields.map((f) => f.value).join('\n')).join('\n');
    expect(shown).toContain('REQUEST transfer');
    expect(shown).toContain('Amount: 0.005 BTC');
    expect(shown).toContain('Policy: version 1');
    // What Dave's device showed is main's preview, the request's id and digest filled in.
    const requestScreen = h.screens.dave.slice(before).map(shownText).find((t) => t.startsWith('Custos v1: REQUEST transfer'));
    expect(fillsPreview(request!.screen, requestScreen ?? '')).toBe(true);
    const [approval] = preview(h, 'transfers.approve', { requestId: r.id, deviceId: h.device.erin }, () => h.transfers);
    expect(approval!.screen).toContain('APPROVE transfer');
    expect(approval!.screen).toContain(`Request: ${r.id}`);
  });

  it('is not signed before its approval: main says so, and the host refuses on its own when asked directly', async () => {
    await expectError(h.transfers.sign(small), 'POLICY_DENIED', /needs approvals/);
    const direct = h.host.signTransfer({ ceremonyId: 'direct-1', requestId: small, records: h.records(), signers: await signers(small) });
    await expect(direct).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/lacks approvals/) });
  });

  it('a person outside the rule’s groups cannot approve; an approver can; then it is signed and the transaction verifies', async () => {
    await expectError(h.transfers.approve({ requestId: small, deviceId: h.device.carol }), 'NOT_AUTHORISED', /not in any group/);
    const [approval] = preview(h, 'transfers.approve', { requestId: small, deviceId: h.device.erin }, () => h.transfers);
    const approved = await h.transfers.approve({ requestId: small, deviceId: h.device.erin });
    // The approval Erin's device signed is exactly the preview: it has no placeholder.
    const signedApproval = JSON.parse(h.records().at(-1)!) as { signature: `0x${string}` };
    const erin = h.vault.listUsers().find((u) => u.name === 'Erin')!.address as `0x${string}`;
    expect(await verifyMessage({ address: erin, message: approval!.screen, signature: signedApproval.signature })).toBe(true);
    expect(approved).toMatchObject({ status: 'ready', steps: [{ missing: 0, finished: true }] });
    const progress: string[] = [];
    const listen = (e: { requestId: string; message: string }) => progress.push(`${e.requestId}: ${e.message}`);
    h.transfers.on('progress', listen);
    const signed = await h.transfers.sign(small);
    h.transfers.off('progress', listen);
    expect(signed.status).toBe('signed');
    // What the console shows while it signs: each custodian's device, then the host.
    expect(progress).toEqual(expect.arrayContaining([expect.stringMatching(/your Ledger shows what your share is for/), expect.stringMatching(/Provide public secret key/), expect.stringMatching(/MPC host/)]));
    expect(progress.every((p) => p.startsWith(`${small}: `))).toBe(true);
    const tx = Transaction.fromRaw(hexToBytes(signed.signed!.tx), { allowUnknownOutputs: true });
    expect(tx.id).toBe(signed.signed!.txid);
    expect(verifyTransaction(signed.signed!.tx, signed.signed!.psbt!)).toHaveLength(1);
    expect(h.vault.verify().status).toBe('ok');
  });

  it('the host signs a request once, even when asked again directly', async () => {
    const again = h.host.signTransfer({ ceremonyId: 'direct-2', requestId: small, records: h.records(), signers: await signers(small) });
    await expect(again).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/already signed/) });
  });

  it('a rejection is a signed statement too, and closes the request', async () => {
    const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '400000', feeRate: 2, deviceId: h.device.dave });
    const rejected = await h.transfers.reject({ requestId: r.id, deviceId: h.device.mallory });
    expect(rejected).toMatchObject({ status: 'rejected', reason: expect.any(String) });
    expect(h.screens.mallory.at(-1)?.fields.map((f) => f.value).join('\n')).toContain('REJECT transfer');
    await expectError(h.transfers.approve({ requestId: r.id, deviceId: h.device.erin }), 'POLICY_DENIED');
  });

  it('a large transfer needs two approvers and the whitelist; over the velocity limit it is denied, by main and by the host', async () => {
    await expect(h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '3000000', feeRate: 2, deviceId: h.device.dave })).resolves.toMatchObject({
      status: 'denied',
    });
    const large = await h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount: '3000000', feeRate: 2, deviceId: h.device.dave });
    await h.transfers.approve({ requestId: large.id, deviceId: h.device.erin });
    expect(h.transfers.get(large.id)).toMatchObject({ status: 'pending', steps: [{ missing: 1 }] });
    await h.transfers.approve({ requestId: large.id, deviceId: h.device.mallory });
    expect((await h.transfers.sign(large.id)).status).toBe('signed');
    // 0.005 + 0.03 signed today; another 0.02 would pass 0.05 in 24 hours.
    const over = await h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount: '2000000', feeRate: 2, deviceId: h.device.dave });
    expect(over).toMatchObject({ status: 'denied', reason: expect.stringMatching(/velocity|limit|window/i) });
    await expectError(h.transfers.sign(over.id), 'POLICY_DENIED');
    const direct = h.host.signTransfer({ ceremonyId: 'direct-3', requestId: over.id, records: h.records(), signers: await signers(over.id) });
    await expect(direct).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/velocity/) });
  });
});

describe('a PSBT made elsewhere', () => {
  it('becomes a request when it spends the wallet’s coins, pays one destination and returns the change; otherwise it is refused', async () => {
    const { wallet } = h.vault.wallet(h.walletId);
    const root = groupKeyOf(wallet.key!);
    const at = (path: number[]) => deriveChildKey(root, path).groupKey;
    const coin = h.transfers.utxos(h.walletId).find((u) => u.spentBy === null && u.amount === '1000000')!;
    const spend = (payments: { address: string; amount: bigint }[]) =>
      base64.encode(
        buildSend({
          utxos: [{ txid: coin.txid, vout: coin.vout, amount: 1_000_000n, internalKey: at(coin.path.split('/').map(Number)).internalKey, outputKey: at(coin.path.split('/').map(Number)).outputKey }],
          payments,
          change: { internalKey: at([1, 7]).internalKey, outputKey: at([1, 7]).outputKey },
          feeRate: 1n,
          network: 'regtest',
        }).psbt,
      );
    const r = await h.transfers.importPsbt({ walletId: h.walletId, psbt: spend([{ address: h.elsewhere, amount: 300_000n }]), deviceId: h.device.dave });
    expect(r).toMatchObject({ status: 'pending', destination: h.elsewhere, amount: '300000', rule: { id: 'small' } });
    await expectError(h.transfers.importPsbt({ walletId: h.walletId, psbt: spend([{ address: h.elsewhere, amount: 1000n }, { address: h.exchange, amount: 1000n }]), deviceId: h.device.dave }), 'BAD_INPUT', /more than one destination/);
    await expectError(h.transfers.importPsbt({ walletId: h.walletId, psbt: 'cHNidP8=', deviceId: h.device.dave }), 'BAD_INPUT');
    await h.transfers.cancel({ requestId: r.id, deviceId: h.device.dave });
  });
});

describe('cancellation', () => {
  it('the initiator withdraws a request on their device; nobody else but an administrator may; it is never signed', async () => {
    const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '200000', feeRate: 1, deviceId: h.device.dave });
    await h.transfers.approve({ requestId: r.id, deviceId: h.device.erin });
    await expectError(h.transfers.cancel({ requestId: r.id, deviceId: h.device.mallory }), 'NOT_AUTHORISED', /initiator or an administrator/);
    const cancelled = await h.transfers.cancel({ requestId: r.id, deviceId: h.device.dave });
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(h.screens.dave.at(-1)?.fields.map((f) => f.value).join('\n')).toContain('CANCEL transfer');
    await expectError(h.transfers.sign(r.id), 'POLICY_DENIED', /cancelled/);
    const direct = h.host.signTransfer({ ceremonyId: 'cancelled-1', requestId: r.id, records: h.records(), signers: await signers(r.id) });
    await expect(direct).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/cancelled/) });
  });
});

describe('the host checks the evidence itself (tamper suite)', () => {
  it('refuses what main would send once its database was edited behind its back', async () => {
    const pending = h.transfers.list({ offset: 0, limit: 50 }).transfers.find((t) => t.status === 'ready' || t.status === 'pending');
    const requestId = pending?.id ?? (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave })).id;
    const shares = await signers(requestId);
    // An attacker with the database: the append-only trigger dropped, the policy record's velocity limit raised.
    h.store.db.exec('DROP TRIGGER records_append_only_update');
    const row = h.store.db.prepare("SELECT seq, body FROM records WHERE body LIKE '%\"set-policy\"%'").get() as { seq: number; body: string };
    const raised = row.body.replace('"maxAmount":"5000000"', '"maxAmount":"500000000"');
    expect(raised).not.toBe(row.body);
    h.store.db.prepare('UPDATE records SET body = ? WHERE seq = ?').run(raised, row.seq);
    try {
      const attempt = h.host.signTransfer({ ceremonyId: 'tamper-db', requestId, records: h.records(), signers: shares });
      await expect(attempt).rejects.toMatchObject({ code: 'TAMPERING_DETECTED', message: expect.stringMatching(/rewritten/) });
      expect(h.vault.verify().status).toBe('tampered');
    } finally {
      h.store.db.prepare('UPDATE records SET body = ? WHERE seq = ?').run(row.body, row.seq);
    }
    expect(h.vault.verify().status).toBe('ok');
  });

  it('refuses a log with the signed-transfer history removed (velocity history gone)', async () => {
    const records = h.records().filter((b) => (JSON.parse(b) as { type: string }).type !== 'transfer-signed');
    const pending = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
    await h.transfers.approve({ requestId: pending.id, deviceId: h.device.erin });
    const attempt = h.host.signTransfer({ ceremonyId: 'tamper-1', requestId: pending.id, records, signers: await signers(pending.id) });
    await expect(attempt).rejects.toMatchObject({ code: 'TAMPERING_DETECTED', message: expect.stringMatching(/removed|rewritten/) });
  });

  it('refuses an edited record, a forged approval, a replayed approval and a swapped destination', async () => {
    const records = h.records();
    const pending = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
    const base = h.records();
    const request = JSON.parse(base.at(-1)!) as Record<string, unknown>;
    const approvalOfOther = base.map((b) => JSON.parse(b) as Record<string, unknown>).find((r) => r.type === 'transfer-approval')!;
    const cases: [string, string[]][] = [
      ['a lowered quorum in an old record', records.map((b) => (b.includes('"set-quorum"') ? b.replace('"quorum":2', '"quorum":1') : b))],
      ['a forged approval', [...base, JSON.stringify({ type: 'transfer-approval', seq: base.length, vaultId: request.vaultId, requestId: pending.id, userId: approvalOfOther.userId, at: approvalOfOther.at, signature: '0x' + '22'.repeat(65) })]],
      ['a replayed approval', [...base, JSON.stringify({ ...approvalOfOther, seq: base.length, requestId: pending.id })]],
      ['a swapped destination', [...base.slice(0, -1), JSON.stringify({ ...request, destination: h.exchange })]],
    ];
    for (const [what, log] of cases) {
      const attempt = h.host.signTransfer({ ceremonyId: `tamper-${what.replace(/ /g, '-')}`, requestId: pending.id, records: log, signers: await signers(pending.id) });
      await expect(attempt, what).rejects.toMatchObject({ code: expect.stringMatching(/^(POLICY_DENIED|TAMPERING_DETECTED)$/) });
    }
  });

  it('refuses everything for a wallet that owes a reshare (as a revoked custodian’s wallet does) until it is done', async () => {
    const pending = h.transfers.list({ offset: 0, limit: 50 }).transfers.find((t) => t.status === 'ready')!;
    expect(pending).toBeDefined();
    const p = await h.vault.proposeReshare({ walletId: h.walletId, threshold: 3, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol, h.ids.dave], deviceId: h.device.alice });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    expect(h.vault.wallet(h.walletId).wallet.pending).toMatchObject({ ceremony: 'reshare' });
    await expectError(h.transfers.sign(pending.id), 'RULE_VIOLATION', /owes a reshare/);
    const direct = h.host.signTransfer({ ceremonyId: 'tamper-revoked', requestId: pending.id, records: h.records(), signers: await signers(pending.id) });
    await expect(direct).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/owes a reshare/) });
  });
});
