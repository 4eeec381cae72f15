// Wallets end to end under plain Node: proposals, DKG through the real MPC host process with virtual Ledgers (each
// custodian approving the use of their share and attesting the key on their device), addresses, signing through a
// transfer request, reshare to new custodians (same address), revocation that really revokes, and crash safety.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasValidChecksum, taprootPayment } from '../../crypto/bitcoin';
import { partyIdFor } from '../../crypto/frost';
import { shareUseStatement } from '../../crypto/governance';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { TransferService } from '../../main/transfers/service';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { walletAddresses, walletView } from '../../main/wallets/views';
import { verifyAddressOnDevice } from '../../main/wallets/address-verification';
import { recoverPersonalSigner } from '../../crypto/ethereum';
import type { TransferView } from '../../preload/contract';
import { expectError } from '../vault/helpers';
import { adopted, walletHarness, type WalletHarness } from './helpers';

let h: WalletHarness;
let walletId: string;

beforeAll(async () => {
  h = await walletHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

const view = () => {
  const state = h.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId);
  if (wallet === undefined) throw new Error('no wallet');
  return walletView(state, wallet);
};

let transfers: TransferService;
let coins = 0;

/** Once: Carol becomes an operator, Dave the approver group, and the wallet a policy (any send, one approval). */
async function underPolicy(): Promise<void> {
  if (transfers !== undefined) return;
  transfers = new TransferService({ vault: h.vault, store: h.store, devices: h.devices, host: h.host });
  await adopted(h, () => h.vault.proposeRoles({ userId: h.ids.carol, roles: ['administrator', 'operator'], deviceId: h.device.alice }));
  await adopted(h, () => h.vault.proposeGroupCreate({ name: 'Approvers', memberIds: [h.ids.dave], deviceId: h.device.alice }));
  const groupId = h.vault.listGroups().find((g) => g.name === 'Approvers')!.id;
  const doc = policyDocument(
    validatePolicy({
      version: 1,
      walletId,
      rules: [{ id: 'any', name: 'Any', amount: { min: null, max: null }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
      velocity: [],
    }),
  );
  await adopted(h, () => h.vault.proposePolicy({ document: JSON.stringify(doc), deviceId: h.device.alice }));
}

/** A request from a fresh made-up coin, approved by Dave: ready to sign. */
async function readyRequest(): Promise<TransferView> {
  await underPolicy();
  coins++;
  transfers.fund({ walletId, txid: coins.toString(16).padStart(2, '0').repeat(32), vout: 0, amount: '100000', path: `0/${coins}`, label: 'made-up regtest prevout' });
  const r = await transfers.create({ walletId, destination: elsewhere, amount: '30000', feeRate: 2, deviceId: h.device.carol });
  return transfers.approve({ requestId: r.id, deviceId: h.device.dave });
}

/** Runs the ceremony the wallet owes, SIGKILLs the host when it reports `step`, and expects the ceremony to fail. */
async function killedAt(step: string): Promise<void> {
  const kill = (e: { stage: string; step: string }) => {
    if (e.stage === 'host' && e.step === step && h.client.pid !== null) process.kill(h.client.pid, 'SIGKILL');
  };
  h.ceremonies.on('progress', kill);
  try {
    await expectError(h.ceremonies.run(walletId), 'MPC_HOST_UNAVAILABLE');
  } finally {
    h.ceremonies.off('progress', kill);
  }
}

const elsewhere = taprootPayment(schnorr.getPublicKey(hexToBytes('07'.repeat(32))), 'regtest').address;

describe('a 2-of-3 wallet', () => {
  it('is proposed, approved, and owes its DKG', async () => {
    await adopted(h, () => h.vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
    const wallet = h.vault.readState().wallets[0]!;
    walletId = wallet.id;
    expect(wallet).toMatchObject({ status: 'awaiting-key', key: null, pending: { ceremony: 'dkg', threshold: 2 } });
  });

  it('a SIGKILL of the host at each DKG step records nothing; the DKG then runs again', async () => {
    for (const step of ['round1', 'round2', 'finish', 'seal']) {
      await killedAt(step);
      expect(view(), step).toMatchObject({ status: 'awaiting-key', keyVersion: null });
      expect(h.store.db.prepare('SELECT COUNT(*) AS n FROM wallet_shares').get()).toEqual({ n: 0 });
      expect(h.vault.verify().status).toBe('ok');
    }
  });

  it('runs its DKG: every custodian approves its use and attests the key on their device; the key, descriptors and address follow', async () => {
    const before = { alice: h.screens.alice.length, bob: h.screens.bob.length, carol: h.screens.carol.length, dave: h.screens.dave.length };
    h.progress.length = 0;
    const wallet = await h.ceremonies.run(walletId);
    expect(wallet.status).toBe('active');
    for (const who of ['alice', 'bob', 'carol'] as const) {
      const shown = h.screens[who].slice(before[who]);
      // The use statement's signature is the device's entropy: no blind "Provide public secret key" screen for a DKG.
      expect(shown.map((s) => s.title)).toEqual(['Review message', 'Review message']);
      const texts = shown.map((s) => s.fields.map((f) => f.value).join('\n'));
      expect(texts[0]).toMatch(/USE key share[\s\S]*CREATE wallet key[\s\S]*Threshold: 2 of 3/);
      expect(texts[1]).toMatch(/ATTEST wallet key[\s\S]*Key version: 1[\s\S]*First address:/);
    }
    expect(h.screens.dave.length).toBe(before.dave);
    expect(new Set(h.progress.map((p) => p.stage))).toEqual(new Set(['devices', 'host', 'record', 'done']));
    const v = view();
    expect(v).toMatchObject({ status: 'active', threshold: 2, keyVersion: 1, pending: null });
    expect(v.custodians.map((c) => c.name).sort()).toEqual(['Alice', 'Bob', 'Carol']);
    expect(v.address).toMatch(/^bcrt1p/);
    for (const d of Object.values(v.descriptors!)) expect(hasValidChecksum(d)).toBe(true);
    expect(v.descriptors!.root).toContain(v.internalKey);
    expect(walletAddresses(h.vault.wallet(walletId).wallet, 'receive', 0, 3)[0]!.address).toBe(v.address);
    // The first address the custodians attested is the one the console shows.
    expect(h.screens.bob.at(-1)!.fields.map((f) => f.value).join('').replace(/\s/g, '')).toContain(v.address!);
    expect(h.vault.verify().status).toBe('ok');
  });

  it("shows an address on a custodian's device, which signs what it showed; nobody else's device is asked", async () => {
    const expected = walletAddresses(h.vault.wallet(walletId).wallet, 'receive', 3, 1)[0]!.address;
    const before = h.screens.bob.length;
    const done = await verifyAddressOnDevice(h.vault, { walletId, path: '0/3', deviceId: h.device.bob });
    expect(done).toMatchObject({ path: '0/3', address: expected, keyVersion: 1, custodian: { name: 'Bob' } });
    const shown = h.screens.bob.slice(before);
    expect(shown.map((s) => s.title)).toEqual(['Review message']);
    const text = shown[0]!.fields.map((f) => f.value).join('\n');
    expect(text).toMatch(/VERIFY address[\s\S]*Wallet: Cold BTC[\s\S]*Key version: 1[\s\S]*Path: 0\/3/);
    expect(text.replace(/\s/g, '')).toContain(expected);
    // Anyone can check the signature again, from the statement and the custodian's identity in the log.
    expect(recoverPersonalSigner(done.statement, hexToBytes(done.signature.slice(2))).toLowerCase()).toBe(done.deviceAddress.toLowerCase());
    const dave = h.screens.dave.length;
    await expectError(verifyAddressOnDevice(h.vault, { walletId, path: '0/3', deviceId: h.device.dave }), 'NOT_AUTHORISED', /Dave holds no share of Cold BTC/);
    expect(h.screens.dave.length).toBe(dave);
    await expectError(verifyAddressOnDevice(h.vault, { walletId, path: '2/3', deviceId: h.device.bob }), 'BAD_INPUT', /0\/n for a receive address/);
  });

  it('signs a transfer request with two custodians, each approving the use of their share first, and the transaction verifies', async () => {
    const ready = await readyRequest();
    const custodians = ['alice', 'bob', 'carol'] as const;
    const before = Object.fromEntries(custodians.map((who) => [who, h.screens[who].length]));
    const signed = await transfers.sign(ready.id);
    // Two of the three custodians (the threshold) each saw the use statement, then the prompt that opens their share.
    const used = custodians.filter((who) => h.screens[who].length > before[who]!);
    expect(used).toHaveLength(2);
    for (const who of used) {
      const shown = h.screens[who].slice(before[who]);
      expect(shown.map((s) => s.title)).toEqual(['Review message', 'Provide public secret key']);
      expect(shown[0]!.fields.map((f) => f.value).join('\n')).toMatch(/USE key share[\s\S]*SIGN transfer[\s\S]*Request: R-1[\s\S]*Amount: 0.0003 BTC/);
    }
    const tx = Transaction.fromRaw(hexToBytes(signed.signed!.tx), { allowUnknownOutputs: true });
    expect(tx.id).toBe(signed.signed!.txid);
    expect(tx.getInput(0).finalScriptWitness?.[0]).toHaveLength(64);
  });

  it('refuses a sealed share that is not the one recorded', async () => {
    const ready = await readyRequest();
    const row = h.store.db.prepare('SELECT party_id, sealed FROM wallet_shares LIMIT 1').get() as { party_id: string; sealed: string };
    const flipped = row.sealed.slice(0, -2) + (row.sealed.endsWith('00') ? '01' : '00');
    h.store.db.prepare('UPDATE wallet_shares SET sealed = ? WHERE party_id = ?').run(flipped, row.party_id);
    await expectError(transfers.sign(ready.id), 'TAMPERING_DETECTED');
    h.store.db.prepare('UPDATE wallet_shares SET sealed = ? WHERE party_id = ?').run(row.sealed, row.party_id);
    await transfers.cancel({ requestId: ready.id, deviceId: h.device.carol });
  });
});

describe('reshare and revocation', () => {
  it('reshares 2-of-3 to 3-of-4 with Dave: same key, same address, new shares that sign', async () => {
    const address = view().address;
    const outputKey = view().outputKey;
    // Made before the reshare is owed (no request is taken while a wallet owes one), signed after it.
    const waiting = await readyRequest();
    await adopted(h, () => h.vault.proposeReshare({ walletId, threshold: 3, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol, h.ids.dave], deviceId: h.device.alice }));
    expect(view().pending).toMatchObject({ ceremony: 'reshare', threshold: 3 });
    await expectError(transfers.sign(waiting.id), 'RULE_VIOLATION', /owes a reshare/);
    const shares = h.vault.sealedShares(walletId);
    for (const step of ['unseal', 'deal', 'collect', 'finish', 'seal']) {
      await killedAt(step);
      expect(view(), step).toMatchObject({ keyVersion: 1, threshold: 2, pending: { ceremony: 'reshare' } });
      expect(h.vault.sealedShares(walletId), step).toEqual(shares);
    }
    await h.ceremonies.run(walletId);
    expect(view()).toMatchObject({ threshold: 3, keyVersion: 2, address, outputKey, pending: null });
    expect(view().custodians).toHaveLength(4);
    // Dave, the new custodian, attested the key he now holds a share of.
    expect(h.screens.dave.at(-1)!.fields.map((f) => f.value).join('\n')).toMatch(/ATTEST wallet key[\s\S]*Key version: 2[\s\S]*Threshold: 3 of 4/);
    const signed = await transfers.sign(waiting.id);
    expect(signed.signed!.txid).toMatch(/^[0-9a-f]{64}$/);
    expect(h.vault.verify().status).toBe('ok');
  });

  it('revoking a custodian owes a reshare without them; signing waits for it; afterwards they are not a custodian', async () => {
    const address = view().address;
    await adopted(h, () => h.vault.proposeRevoke({ userId: h.ids.dave, deviceId: h.device.alice }));
    expect(view().pending).toMatchObject({ ceremony: 'reshare', threshold: 3 });
    expect(view().custodians.find((c) => c.name === 'Dave')?.share).toBe('revoked');
    await h.ceremonies.run(walletId);
    const v = view();
    expect(v).toMatchObject({ keyVersion: 3, threshold: 3, address, pending: null });
    expect(v.custodians.map((c) => c.name).sort()).toEqual(['Alice', 'Bob', 'Carol']);
    expect(h.vault.verify().status).toBe('ok');
  });

  it('a refresh keeps the key and address; an old sealed share no longer combines with the new ones', async () => {
    const { wallet } = h.vault.wallet(walletId);
    const oldRows = h.vault.sealedShares(walletId);
    await adopted(h, () => h.vault.proposeRefresh({ walletId, deviceId: h.device.alice }));
    await h.ceremonies.run(walletId);
    expect(view()).toMatchObject({ keyVersion: 4, address: walletView(h.vault.readState(), wallet).address });
    // A main that sends the host Alice's old sealed share (version 3) beside Bob's and Carol's new ones, each with a
    // valid use statement from their devices, for a request the policy allows.
    await adopted(h, () => h.vault.proposeGroupEdit({ groupId: h.vault.listGroups().find((g) => g.name === 'Approvers')!.id, memberIds: [h.ids.bob], deviceId: h.device.alice }));
    coins++;
    transfers.fund({ walletId, txid: coins.toString(16).padStart(2, '0').repeat(32), vout: 0, amount: '100000', path: `0/${coins}`, label: 'made-up regtest prevout' });
    const r = await transfers.create({ walletId, destination: elsewhere, amount: '30000', feeRate: 2, deviceId: h.device.carol });
    await transfers.approve({ requestId: r.id, deviceId: h.device.bob });
    const newRows = h.vault.sealedShares(walletId);
    const state = h.vault.readState();
    const w = state.wallets.find((x) => x.id === walletId)!;
    const transfer = state.transfers.find((t) => t.id === r.id)!;
    const path = "m/44'/60'/0'/0/0";
    const signers = [];
    for (const [who, rows] of [['alice', oldRows], ['bob', newRows], ['carol', newRows]] as const) {
      const row = rows.find((x) => x.userId === h.ids[who])!;
      const user = state.users.find((u) => u.id === h.ids[who])!;
      const sealed = hexToBytes(row.sealed);
      const useSignature = await h.vault.signOnDevice(h.device[who], path, shareUseStatement(state, w, user, { transfer }), user.identityAddress);
      signers.push({ partyId: partyIdFor(user.id), sealed, unsealSecret: await unsealSecret(h.devices, h.device[who], path, sealed, 'a test'), useSignature });
    }
    const attempt = h.host.signTransfer({ ceremonyId: 'mix-old-new', requestId: r.id, records: h.store.records.all().map((x) => x.body), signers });
    // Refused before any share is opened: the old box is not the one the log records for Alice's share of key version 4.
    await expect(attempt).rejects.toMatchObject({ code: 'POLICY_DENIED', message: expect.stringMatching(/not the one the log recorded/) });
    expect((await transfers.sign(r.id)).status).toBe('signed');
  });
});
