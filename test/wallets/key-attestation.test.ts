// A wallet key is its custodians' word: replay accepts a wallet-key record only with one valid device attestation from
// each custodian the approved proposal named. A key made elsewhere, a missing or foreign attestation, or the store
// edited to another key are all refused.
import Database from 'better-sqlite3';
import path from 'node:path';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost';
import { keyAttestationStatement, type KeyRecord } from '../../crypto/governance';
import { replayBodies } from '../../crypto/transfers/evidence';
import { runDkg } from '../../main/mpc-host/ceremonies/dkg';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { DATABASE_FILE } from '../../main/store';
import { walletKeyOf } from '../../main/wallets/keys';
import { expectError } from '../vault/helpers';
import { adopted, walletHarness, type WalletHarness } from './helpers';

let h: WalletHarness;
let walletId: string;

beforeAll(async () => {
  h = await walletHarness();
  await adopted(h, () => h.vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  walletId = h.vault.readState().wallets[0]!.id;
}, 120_000);
// The host's own DKG pool: the same ceremony code, run where no custodian sees it.
const dkgPool = new DkgPool({ threads: 2 });

afterAll(async () => {
  await h?.close();
  await dkgPool.close();
});

const bodies = () => h.store.records.all().map((r) => r.body);
const PATH = "m/44'/60'/0'/0/0";

/** A consistent key for the wallet's approved custodians, made by the same ceremony code outside any custodian's view. */
async function keyMadeElsewhere(): Promise<KeyRecord['key']> {
  const state = h.vault.readState();
  const custodians = [h.ids.alice, h.ids.bob, h.ids.carol].map((id) => state.users.find((u) => u.id === id)!);
  const out = await runDkg(
    {
      ceremonyId: 'c-elsewhere',
      walletId,
      keyVersion: 1,
      threshold: 2,
      parties: custodians.map((u) => ({ partyId: partyIdFor(u.id), encryptionKey: hexToBytes(u.encryptionKey.slice(2)), deviceEntropy: randomBytes(32) })),
    },
    { rng: randomBytes, dkgPool },
  );
  const sealed = new Map(out.shares.map((s) => [s.partyId, bytesToHex(s.sealed)]));
  return walletKeyOf(out.groupKey, 1, new Map(custodians.map((u) => [partyIdFor(u.id), u.id])), sealed);
}

describe('wallet keys attested by their custodians', () => {
  let forged: KeyRecord['key'];

  it('refuses a key made elsewhere, whatever attestations main puts beside it', async () => {
    forged = await keyMadeElsewhere();
    const log = bodies();
    const state = h.vault.readState();
    const proposalId = state.wallets.find((w) => w.id === walletId)!.pending!.proposalId;
    const unsigned = { type: 'wallet-key' as const, seq: log.length, vaultId: state.vaultId, walletId, proposalId, ceremony: 'dkg' as const, ceremonyId: 'c-elsewhere', createdAt: new Date().toISOString(), key: forged };
    // Signatures of the custodians' devices, but over something else than this record's attestation statement.
    const other = await h.vault.signOnDevice(h.device.alice, PATH, keyAttestationStatement(state, { name: 'Other', network: 'regtest' }, unsigned, (id) => id), state.users.find((u) => u.id === h.ids.alice)!.identityAddress);
    const ids = [h.ids.alice, h.ids.bob, h.ids.carol].sort();
    const record = (attestations: { userId: string; signature: string }[]) => JSON.stringify({ ...unsigned, attestations });
    expect(replayBodies([...log, record(ids.map((userId) => ({ userId, signature: other })))])).toMatchObject({ refused: expect.stringMatching(/key attestation of .* is not signed by their device/) });
    expect(replayBodies([...log, record([])])).toMatchObject({ refused: expect.stringMatching(/attestations must list one per custodian/) });
    expect(replayBodies([...log, JSON.stringify(unsigned)])).toMatchObject({ refused: expect.stringMatching(/attestations/) });
  });

  it('accepts the key its custodians attested on their devices, and replay refuses it with an attestation missing, foreign or swapped', async () => {
    await h.ceremonies.run(walletId);
    const log = bodies();
    expect(replayBodies(log)).toHaveProperty('state');
    const at = log.findIndex((b) => b.includes('"type":"wallet-key"'));
    const record = JSON.parse(log[at]!) as KeyRecord;
    const variant = (attestations: KeyRecord['attestations']) => [...log.slice(0, at), JSON.stringify({ ...record, attestations }), ...log.slice(at + 1)];
    const [a, b, c] = record.attestations as [KeyRecord['attestations'][0], KeyRecord['attestations'][0], KeyRecord['attestations'][0]];
    expect(replayBodies(variant([a, b]))).toMatchObject({ refused: expect.stringMatching(/attested by exactly its custodians/) });
    // Dave's device really signed the attestation statement, but Dave is not a custodian the proposal named.
    const state = h.vault.readState();
    const dave = state.users.find((u) => u.id === h.ids.dave)!;
    const { attestations: _all, ...unsigned } = record;
    const statement = keyAttestationStatement(state, { name: 'Cold BTC', network: 'regtest' }, unsigned, (id) => state.users.find((u) => u.id === id)?.name ?? id);
    const daves = { userId: dave.id, signature: await h.vault.signOnDevice(h.device.dave, PATH, statement, dave.identityAddress) };
    expect(replayBodies(variant([a, b, daves].sort((x, y) => x.userId.localeCompare(y.userId))))).toMatchObject({ refused: expect.stringMatching(/attested by exactly its custodians/) });
    expect(replayBodies(variant([a, { ...b, signature: c.signature }, { ...c, signature: b.signature }]))).toMatchObject({ refused: expect.stringMatching(/not signed by their device/) });
  });

  it('the store edited to another key is tampering: reported, and the vault refuses to act', async () => {
    const db = new Database(path.join(h.dir, DATABASE_FILE));
    db.prepare('UPDATE wallets SET key = ? WHERE id = ?').run(JSON.stringify(forged), walletId);
    db.close();
    const report = h.vault.verify();
    expect(report.status).toBe('tampered');
    expect(report.problems.join('\n')).toMatch(new RegExp(`wallet ${walletId} key`));
    await expectError(h.vault.proposeRefresh({ walletId, deviceId: h.device.alice }), 'TAMPERING_DETECTED', /refuses to act/);
    await expectError(() => h.vault.walletForChange(walletId), 'TAMPERING_DETECTED');
  });
});
