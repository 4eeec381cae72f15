// A 2-of-3 DKG with each custodian's party on their own signer node: one group key on every node, each share sealed to
// its own custodian's device, recorded with the custodians' attestations; nodes refuse a DKG the log does not owe them.
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unsealShare } from '../../main/mpc-host/ceremonies/shares';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import type { RunParty, SignerGate } from '../../main/mpc-host/signer-gate';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { walletKeyOf } from '../../main/wallets/keys';
import { useSignatures } from '../../main/wallets/share-consent';
import { adopted, walletHarness, type WalletHarness } from '../wallets/helpers';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import { nodes, type TestNode } from './nodes';

const PATH = "m/44'/60'/0'/0/0";
let h: WalletHarness & { records(): string[] };
let signerNodes: ReturnType<typeof nodes>;
let server: NatsServer;
const pool = new DkgPool({ threads: 1 });
let walletId: string;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  const w = await walletHarness();
  h = Object.assign(w, { records: () => w.store.records.all().map((r) => r.body) });
  const p = await adopted(h, () => h.vault.proposeWallet({ name: 'Team BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  walletId = h.vault.readState().wallets.find((x) => x.name === 'Team BTC')!.id;
  expect(p.id).toBeTruthy();
  signerNodes = nodes(h, pool, server.url);
}, 240_000);
afterAll(async () => {
  await signerNodes?.close();
  await h?.close();
  await pool.close();
  await server?.stop();
});

const who = ['alice', 'bob', 'carol'] as const;
const head = () => signerNodes.head();
const never: RunParty = () => {
  throw new Error('no session may start');
};

async function uses(ceremonyId: string) {
  const state = h.vault.readState();
  const wallet = state.wallets.find((w) => w.id === walletId)!;
  const custodians = who.map((p) => ({ user: state.users.find((u) => u.id === h.ids[p])!, deviceId: h.device[p] }));
  return useSignatures({ vault: h.vault, state, identityPath: PATH, wallet, subject: { ceremony: 'dkg', ceremonyId }, custodians, progress: () => undefined });
}

describe('a DKG across signer nodes', () => {
  let made: TestNode[] = [];
  let gates: SignerGate[] = [];

  it('gives every node the same key and its own share, sealed to its own device, and the key is recorded', async () => {
    made = [];
    for (const p of who) made.push(await signerNodes.make(p));
    gates = made.map((n) => n.gate);
    await signerNodes.sync(...gates);
    const ceremonyId = 'dkg-team-1';
    const parties = await uses(ceremonyId);
    const closed = never;
    // Before it runs: Dave's node is no custodian of it, and Alice's node takes no one's use statement but Alice's.
    const dave = await signerNodes.make('dave');
    await signerNodes.sync(...gates);
    await expect(dave.gate.keygenAsParty({ ceremonyId, walletId, useSignature: parties[0]!.useSignature, head: head() }, closed, () => undefined)).rejects.toThrow(/Dave is not among the approved custodians/);
    await expect(gates[0]!.keygenAsParty({ ceremonyId: 'dkg-team-0', walletId, useSignature: parties[1]!.useSignature, head: head() }, closed, () => undefined)).rejects.toThrow(/use|signed/);
    const at = head();
    // A DKG has no coordinator: only the custodians' nodes take part, each over its own relay connection.
    const runs = await Promise.all(made.map((n) => signerNodes.relay(n.keys, null)));
    const outs = await Promise.all(gates.map((g, i) => g.keygenAsParty({ ceremonyId, walletId, useSignature: parties[i]!.useSignature, head: at }, runs[i]!, () => undefined)));
    const keys = new Set(outs.map((o) => bytesToHex(o.groupKey.outputKey)));
    expect(keys.size).toBe(1);
    // Each share opens only with its own custodian's device, and is that party's share of the key.
    for (const [i, o] of outs.entries()) {
      const secret = await unsealSecret(h.devices, h.device[who[i]!], PATH, o.sealed, 'a test');
      const share = unsealShare({ partyId: o.partyId, sealed: o.sealed, unsealSecret: secret }, { ceremonyId, walletId, keyVersion: 1 }, o.groupKey.publicPackage);
      expect(share.identifier).toBe(o.partyId);
      const other = await unsealSecret(h.devices, h.device[who[(i + 1) % 3]!], PATH, o.sealed, 'a test');
      expect(() => unsealShare({ partyId: o.partyId, sealed: o.sealed, unsealSecret: other }, { ceremonyId, walletId, keyVersion: 1 }, o.groupKey.publicPackage)).toThrow(/does not open/);
    }
    // The coordinator records the key from the nodes' public answers, attested by every custodian's device.
    const state = h.vault.readState();
    const wallet = state.wallets.find((w) => w.id === walletId)!;
    const userOfParty = new Map(outs.map((o, i) => [o.partyId, h.ids[who[i]!]]));
    const sealed = new Map(outs.map((o) => [o.partyId, bytesToHex(o.sealed)]));
    const key = walletKeyOf(outs[0]!.groupKey, 1, userOfParty, sealed);
    const recorded = await h.vault.recordKey({
      walletId,
      proposalId: wallet.pending!.proposalId,
      ceremony: 'dkg',
      ceremonyId,
      key,
      shares: key.custodians.map((c) => ({ walletId, keyVersion: 1, partyId: c.partyId, userId: c.userId, sealed: sealed.get(c.partyId)! })),
      attesters: new Map(who.map((p) => [h.ids[p], h.device[p]])),
      onAttest: () => undefined,
    });
    expect(recorded.key?.outputKey).toBe(key.outputKey);
  }, 180_000);

  it('refuses, once the key is recorded, a DKG the log no longer owes, and a wallet it does not know', async () => {
    const [alice] = gates as [SignerGate];
    await signerNodes.sync(alice);
    const at = head();
    const channel = never;
    await expect(alice.keygenAsParty({ ceremonyId: 'dkg-team-2', walletId, useSignature: '0x' + '11'.repeat(65), head: at }, channel, () => undefined)).rejects.toThrow(/owes no|not a DKG/);
    await expect(alice.keygenAsParty({ ceremonyId: 'dkg-team-3', walletId: 'no-such-wallet', useSignature: '0x' + '11'.repeat(65), head: at }, channel, () => undefined)).rejects.toThrow(/wallet/);
  }, 120_000);
});
