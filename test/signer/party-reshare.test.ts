// A refresh with each custodian's party on their own signer node's gate, in-process over a real nats-server: the key
// unchanged, each new share sealed to its own device and unlike the old one; a gate never opens a share that is not its
// own custodian's, nor one for a use its custodian's device did not sign, and starts no session when it refuses.
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { unsealShare } from '../../main/mpc-host/ceremonies/shares';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import type { ReshareRequest, RunParty, UnsealingParty } from '../../main/mpc-host/signer-gate';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { openingShares } from '../../main/wallets/share-consent';
import { adopted, walletHarness, type WalletHarness } from '../wallets/helpers';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import { nodes, type TestNode } from './nodes';

const PATH = "m/44'/60'/0'/0/0";
const who = ['alice', 'bob', 'carol'] as const;
let h: WalletHarness & { records(): string[] };
let signerNodes: ReturnType<typeof nodes>;
let server: NatsServer;
const pool = new DkgPool({ threads: 1 });
let walletId: string;
const made: TestNode[] = [];

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  const w = await walletHarness();
  h = Object.assign(w, { records: () => w.store.records.all().map((r) => r.body) });
  await adopted(h, () => h.vault.proposeWallet({ name: 'Team BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  walletId = h.vault.readState().wallets.find((x) => x.name === 'Team BTC')!.id;
  // The key made at one desk (its sealed shares in this store), then a refresh the administrators approve.
  await h.ceremonies.run(walletId);
  await adopted(h, () => h.vault.proposeRefresh({ walletId, deviceId: h.device.alice }));
  signerNodes = nodes(h, pool, server.url);
  for (const p of who) made.push(await signerNodes.make(p));
  await signerNodes.sync(...made.map((n) => n.gate));
}, 240_000);
afterAll(async () => {
  await signerNodes?.close();
  await h?.close();
  await pool.close();
  await server?.stop();
});

const never: RunParty = () => {
  throw new Error('no session may start');
};
const parties = () => who.map((p) => partyIdFor(h.ids[p]));
const request = (ceremonyId: string, over: Partial<ReshareRequest> = {}): ReshareRequest => ({ ceremonyId, walletId, ceremony: 'refresh', dealers: parties(), receivers: parties(), threshold: 2, head: signerNodes.head(), ...over });

/** Each custodian's device signs the refresh's use statement and opens their own sealed share (as their node does). */
async function opened(ceremonyId: string): Promise<UnsealingParty[]> {
  const state = h.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId)!;
  const custodians = who.map((p) => ({ user: state.users.find((u) => u.id === h.ids[p])!, deviceId: h.device[p] }));
  return openingShares({ vault: h.vault, devices: h.devices, state, identityPath: PATH, wallet, subject: { ceremony: 'refresh', ceremonyId }, custodians, progress: () => undefined });
}

describe('a refresh across signer nodes\' gates', () => {
  it('refuses another custodian\'s share, a use its device did not sign, and unapproved receivers or threshold, before any session', async () => {
    const ceremonyId = 'refresh-refused';
    const shares = await opened(ceremonyId);
    const gate = made[0]!.gate;
    // Alice's node brought Bob's opened share: never a share that is not its own.
    await expect(gate.reshareAsParty({ ...request(ceremonyId), self: shares[1]! }, never, () => undefined)).rejects.toThrow(/brings Alice's own current share, and no other party's/);
    // Alice's share with Bob's use statement.
    await expect(gate.reshareAsParty({ ...request(ceremonyId), self: { ...shares[0]!, useSignature: shares[1]!.useSignature } }, never, () => undefined)).rejects.toThrow(/did not sign the use/);
    // A dealer with no share, a use statement for another ceremony id.
    await expect(gate.reshareAsParty({ ...request(ceremonyId), self: null }, never, () => undefined)).rejects.toThrow(/brings Alice's own current share/);
    await expect(gate.reshareAsParty({ ...request('refresh-other'), self: shares[0]! }, never, () => undefined)).rejects.toThrow(/did not sign the use/);
    // Receivers, threshold or dealers other than the log approved.
    await expect(gate.checkReshareAsParty(request(ceremonyId, { receivers: parties().slice(0, 2) }))).rejects.toThrow(/exactly its 3 approved custodians/);
    await expect(gate.checkReshareAsParty(request(ceremonyId, { threshold: 3 }))).rejects.toThrow(/approved with threshold 2, not 3/);
    await expect(gate.checkReshareAsParty(request(ceremonyId, { dealers: parties().slice(0, 2) }))).rejects.toThrow(/needs 3 dealers; 2 are named/);
    await expect(gate.checkReshareAsParty(request(ceremonyId, { ceremony: 'reshare' }))).rejects.toThrow(/owes a refresh the administrators approved, not a reshare/);
    await expect(gate.checkReshareAsParty(request(ceremonyId, { head: { ...signerNodes.head(), seq: signerNodes.head().seq - 1 } }))).rejects.toThrow(/coordinator catches up first/);
    for (const s of shares) s.unsealSecret.fill(0);
  }, 120_000);

  it('gives every node a new share of the same key, sealed to its own device, unlike its old one', async () => {
    const ceremonyId = 'refresh-team-1';
    const before = h.vault.readState().wallets.find((w) => w.id === walletId)!.key!;
    const shares = await opened(ceremonyId);
    const olds = shares.map((s) => bytesToHex(unsealShare({ partyId: s.partyId, sealed: s.sealed, unsealSecret: s.unsealSecret.slice() }, { ceremonyId, walletId, keyVersion: 1 }, groupKeyOf(before).publicPackage).signingShare));
    const at = signerNodes.head();
    const checked = await Promise.all(made.map((n) => n.gate.checkReshareAsParty(request(ceremonyId, { head: at }))));
    expect(checked.map((c) => [c.dealer, c.receiver, c.keyVersion])).toEqual(who.map(() => [true, true, 2]));
    const runs = await Promise.all(made.map((n) => signerNodes.relay(n.keys, null)));
    const outs = await Promise.all(made.map((n, i) => n.gate.reshareAsParty({ ...request(ceremonyId, { head: at }), self: shares[i]! }, runs[i]!, () => undefined)));
    for (const s of shares) s.unsealSecret.fill(0);
    for (const [i, o] of outs.entries()) {
      expect(bytesToHex(o.groupKey.outputKey)).toBe(before.outputKey);
      expect([o.ceremony, o.keyVersion, o.partyId]).toEqual(['refresh', 2, partyIdFor(h.ids[who[i]!])]);
      const secret = await unsealSecret(h.devices, h.device[who[i]!], PATH, o.sealed!, 'a test');
      const share = unsealShare({ partyId: o.partyId, sealed: o.sealed!, unsealSecret: secret }, { ceremonyId, walletId, keyVersion: 2 }, o.groupKey.publicPackage);
      expect(bytesToHex(share.signingShare)).not.toBe(olds[i]);
    }
    // A ceremony id runs once on a gate.
    await expect(made[0]!.gate.checkReshareAsParty(request(ceremonyId))).rejects.toThrow(/already ran on this signer/);
  }, 120_000);
});
