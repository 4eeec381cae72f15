// A new wallet's DKG through three `custos signer start` processes on a real nats-server: each node keeps only its own
// sealed share from the start, the share-less coordinator records the key with every custodian's attestation, and two of
// the nodes then sign a transfer with no import-share; a node asked for a DKG its log does not owe it refuses unasked.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { Transaction } from '@scure/btc-signer';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import { ceremonyPlan, type KeyRecord } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { walletOutputKeyAt } from '../../crypto/transfers/transaction';
import { NatsRelayTransport } from '../../main/relay';
import { controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage } from '../../main/signer/control';
import { walletKeyFrom } from '../../main/signer/dkg-result';
import { openNodeKeys } from '../../main/signer/node-keys';
import { destination, type TransferHarness } from '../transfers/helpers';
import { adopted } from '../wallets/helpers';
import { custos } from './node-processes';
import { CUSTODIANS, signerTeam, type Who } from './signer-team';
import type { EventPayloads, WalletProgress } from '../../preload/contract';
import { silentLogger } from '../../main/log';
import { TeamNodes } from '../../main/signer/team-nodes';
import { TeamService } from '../../main/team/service';
import { TransferService } from '../../main/transfers/service';
import { WalletCeremonies } from '../../main/wallets/ceremonies';

const nodes = signerTeam('custos-node-dkg-');
const { root, nodeDir, keys, procs } = nodes;
let h: TransferHarness;
let nc: NatsConnection;
/** A new 2-of-3 wallet owing its DKG, and a 2-of-2 one of Alice and Bob only (Carol's node has no part in it). */
let teamWallet: string;
let pairWallet: string;

beforeAll(async () => {
  ({ h } = await nodes.open());
  await adopted(h, () => h.vault.proposeWallet({ name: 'Team BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  await adopted(h, () => h.vault.proposeWallet({ name: 'Pair BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob], deviceId: h.device.alice }));
  const wallets = h.vault.readState().wallets;
  teamWallet = wallets.find((w) => w.name === 'Team BTC')!.id;
  pairWallet = wallets.find((w) => w.name === 'Pair BTC')!.id;
  // Each node joins the team log; no share is imported from anywhere.
  await nodes.start();
  nc = await nodes.connection();
}, 240_000);

afterAll(() => nodes.close());

const head = () => ({ seq: h.vault.logHead()!.count - 1, fingerprint: h.vault.logHead()!.fingerprint });

describe('a wallet\'s DKG through signer node processes', () => {
  it('three nodes run a 2-of-3 DKG, each keeps only its own share, and the key is recorded with three attestations', async () => {
    const started = Date.now();
    const out = await custos('wallet', 'ceremony', teamWallet, '--nodes', '--node-dir', nodeDir('dave'), '--data-dir', h.dir, '--timeout', '60', '--json');
    const ms = Date.now() - started;
    expect(out.code, out.out + out.err).toBe(0);
    expect(JSON.parse(out.out)).toMatchObject({ id: teamWallet, keyVersion: 1, sealedSharesHere: false });
    // The coordinator's process opened no device.
    expect(out.err).not.toMatch(/virtual Ledger screen/);
    await h.vault.teamSync();
    const state = h.vault.readState();
    const key = state.wallets.find((w) => w.id === teamWallet)!.key!;
    expect(key.threshold).toBe(2);
    const record = h.store.records.all().map((r) => JSON.parse(r.body) as KeyRecord).find((r) => r.type === 'wallet-key' && r.walletId === teamWallet)!;
    expect(record.attestations.map((a) => a.userId).sort()).toEqual(CUSTODIANS.map((w) => h.ids[w]).sort());
    // No sealed share here: each is in its own node's folder only, its digest the one the log recorded.
    expect(h.store.wallets.shares(teamWallet, 1)).toEqual([]);
    for (const who of CUSTODIANS) {
      const made = await procs[who].waitFor((e) => e.event === 'keygen' && e.walletId === teamWallet);
      expect(made.outputKey).toBe(key.outputKey);
      expect(made.shareDigest).toBe(key.shareDigests.find((d) => d.partyId === partyIdFor(h.ids[who]))!.digest);
      await procs[who].waitFor((e) => e.event === 'attested' && e.walletId === teamWallet);
      expect(readdirSync(path.join(nodeDir(who), 'shares'))).toEqual([`${teamWallet}.v1.${partyIdFor(h.ids[who])}.json`]);
      // Its own device showed the DKG's use statement and then the key to attest (after the pinning at start).
      expect(procs[who].stderr()).toMatch(/DKG|key ceremony/i);
      expect(procs[who].screens()).toBeGreaterThanOrEqual(3);
    }
    console.info(`a 2-of-3 DKG through three node processes, recorded with three attestations: ${ms} ms for the coordinator's CLI process (start included)`);
  }, 120_000);

  it('then two of the nodes sign a transfer from it, with no share imported anywhere', async () => {
    const doc = policyDocument(
      validatePolicy({
        version: 1,
        walletId: teamWallet,
        rules: [{ id: 'small', name: 'Small', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: h.groups.ops, steps: [{ groupId: h.groups.approvers, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
        velocity: [],
      }),
    );
    await adopted(h, () => h.vault.proposePolicy({ document: JSON.stringify(doc), deviceId: h.device.alice }));
    h.transfers.fund({ walletId: teamWallet, txid: 'da'.repeat(32), vout: 0, amount: '2000000', path: '0/0', label: 'made-up regtest prevout' });
    const id = (await h.transfers.create({ walletId: teamWallet, destination: destination('0c'), amount: '400000', feeRate: 2, deviceId: h.device.dave })).id;
    await h.transfers.approve({ requestId: id, deviceId: h.device.erin });
    const out = await custos('transfer', 'sign', id, '--nodes', '--node-dir', nodeDir('dave'), '--data-dir', h.dir, '--timeout', '30', '--json');
    expect(out.code, out.out + out.err).toBe(0);
    await h.vault.teamSync();
    const state = h.vault.readState();
    const t = state.transfers.find((x) => x.id === id)!;
    const rootKey = groupKeyOf(state.wallets.find((w) => w.id === teamWallet)!.key!);
    const tx = Transaction.fromRaw(hexToBytes(t.signed!.tx), { allowUnknownOutputs: true });
    for (let i = 0; i < tx.inputsLength; i++) {
      expect(schnorr.verify(tx.getInput(i).finalScriptWitness![0]!, hexToBytes(t.request.sighashes[i]!), walletOutputKeyAt(rootKey, t.request.inputPaths[i]!))).toBe(true);
    }
    const signedBy = CUSTODIANS.filter((w) => procs[w].events.some((e) => e.event === 'signed' && e.requestId === id));
    expect(signedBy.length).toBe(2);
  }, 120_000);

  it('a node asked for a DKG its log does not owe, or not its custodian\'s, or to attest a DKG it did not run, refuses and its device shows nothing', async () => {
    await h.vault.teamSync();
    const transport = new NatsRelayTransport(nc);
    const state = h.vault.readState();
    const vaultId = state.vaultId;
    const dave = coordinatorAddress(h.ids.dave);
    const answers: ControlMessage[] = [];
    const sub = await transport.subscribe(controlRoute(vaultId, dave), (bytes) => {
      void openControl(bytes, { vaultId, me: dave, keys: keys.dave.transport, state, now: Date.now() }).then((m) => answers.push(m.message), () => undefined);
    });
    const to = async (who: Who, m: ControlMessage & { expiresAt: number }) =>
      sendControl({ transport, vaultId, keys: keys.dave.transport, from: dave, to: partyIdFor(h.ids[who]), toKeys: { signingKey: hexToBytes(keys[who].signingKey.slice(2)), hpkeKey: hexToBytes(keys[who].hpkeKey.slice(2)) }, message: m, expiresAt: m.expiresAt });
    const dkg = (ceremonyId: string, walletId: string) => ({ kind: 'session/dkg' as const, ceremonyId, walletId, head: head(), coordinatorUserId: h.ids.dave, expiresAt: Date.now() + 20_000 });
    const marks = Object.fromEntries(CUSTODIANS.map((w) => [w, { events: procs[w].events.length, screens: procs[w].screens() }])) as Record<Who, { events: number; screens: number }>;
    try {
      // Carol is no custodian of Pair BTC.
      await to('carol', dkg('dkg-not-hers', pairWallet));
      expect((await procs.carol.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'dkg-not-hers', 30_000, marks.carol.events)).reason).toMatch(/Carol is not among the approved custodians of Pair BTC/);
      await expect.poll(() => answers.find((a) => a.kind === 'session/answer' && a.ceremonyId === 'dkg-not-hers'), { timeout: 10_000 }).toMatchObject({ accepted: false });
      // Team BTC has its key now: the log owes it no DKG.
      await to('alice', dkg('dkg-not-owed', teamWallet));
      expect((await procs.alice.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'dkg-not-owed', 30_000, marks.alice.events)).reason).toMatch(/owes no|not a DKG/);
      // An attestation for a DKG this node never ran.
      const record = JSON.parse(h.store.records.all().map((r) => r.body).find((b) => b.includes('"wallet-key"') && b.includes(teamWallet))!) as KeyRecord;
      const { attestations: _a, ...unsigned } = record;
      await to('bob', { kind: 'session/attest', ceremonyId: 'dkg-never-ran', coordinatorUserId: h.ids.dave, record: { ...unsigned, ceremonyId: 'dkg-never-ran' }, expiresAt: Date.now() + 20_000 });
      expect((await procs.bob.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'dkg-never-ran', 30_000, marks.bob.events)).reason).toMatch(/ran no key ceremony dkg-never-ran/);
      for (const who of CUSTODIANS) {
        expect(procs[who].screens(), who).toBe(marks[who].screens);
        expect(procs[who].events.slice(marks[who].events).filter((e) => e.event === 'accepted-dkg' || e.event === 'attested')).toEqual([]);
        expect(procs[who].child.exitCode).toBeNull();
      }
    } finally {
      await sub.close();
    }
  }, 120_000);

  it('a compromised coordinator gets no attestation of another key, nor of another digest of the node\'s own share', async () => {
    await h.vault.teamSync();
    const transport = new NatsRelayTransport(nc);
    const state = h.vault.readState();
    const vaultId = state.vaultId;
    const dave = coordinatorAddress(h.ids.dave);
    const got: { from: string; message: ControlMessage }[] = [];
    const sub = await transport.subscribe(controlRoute(vaultId, dave), (bytes) => {
      void openControl(bytes, { vaultId, me: dave, keys: keys.dave.transport, state, now: Date.now() }).then((m) => got.push(m), () => undefined);
    });
    const to = async (who: Who, m: ControlMessage & { expiresAt: number }) =>
      sendControl({ transport, vaultId, keys: keys.dave.transport, from: dave, to: partyIdFor(h.ids[who]), toKeys: { signingKey: hexToBytes(keys[who].signingKey.slice(2)), hpkeKey: hexToBytes(keys[who].hpkeKey.slice(2)) }, message: m, expiresAt: m.expiresAt });
    try {
      // A real DKG of Pair BTC with Alice's and Bob's nodes: the key is one both report.
      const ceremonyId = 'dkg-pair-1';
      const at = head();
      const expiresAt = Date.now() + 30_000;
      for (const who of ['alice', 'bob'] as const) await to(who, { kind: 'session/dkg', ceremonyId, walletId: pairWallet, head: at, coordinatorUserId: h.ids.dave, expiresAt });
      const results = await expect
        .poll(() => got.filter((m) => m.message.kind === 'session/keygen' && m.message.ceremonyId === ceremonyId), { timeout: 30_000 })
        .toHaveLength(2)
        .then(() => got.filter((m) => m.message.kind === 'session/keygen').map((m) => m.message as Extract<ControlMessage, { kind: 'session/keygen' }>));
      const plan = ceremonyPlan(state, pairWallet);
      if ('refused' in plan) throw new Error(plan.refused);
      const digests = new Map(results.map((r) => [r.partyId, r.shareDigest]));
      const honest = { type: 'wallet-key' as const, seq: at.seq + 1, vaultId, walletId: pairWallet, proposalId: plan.wallet.pending!.proposalId, ceremony: 'dkg' as const, ceremonyId, createdAt: new Date().toISOString(), key: walletKeyFrom(results[0]!.key, 1, plan.receivers, digests) };
      const screens = procs.alice.screens();
      const mark = procs.alice.events.length;
      // Another output key (the coordinator's own, say) in the record.
      await to('alice', { kind: 'session/attest', ceremonyId, coordinatorUserId: h.ids.dave, record: { ...honest, key: { ...honest.key, outputKey: '02'.repeat(32) } }, expiresAt: Date.now() + 20_000 });
      expect((await procs.alice.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, mark)).reason).toMatch(/holds another key than the one this node's DKG made/);
      expect(procs.alice.screens()).toBe(screens);
      // Bob's node is asked with his own share's digest changed.
      const bobMark = procs.bob.events.length;
      const bobParty = partyIdFor(h.ids.bob);
      const changed = honest.key.shareDigests.map((d) => (d.partyId === bobParty ? { ...d, digest: 'ab'.repeat(32) } : d));
      await to('bob', { kind: 'session/attest', ceremonyId, coordinatorUserId: h.ids.dave, record: { ...honest, key: { ...honest.key, shareDigests: changed } }, expiresAt: Date.now() + 20_000 });
      expect((await procs.bob.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, bobMark)).reason).toMatch(/another digest of this node's sealed share/);
      expect(procs.bob.events.slice(bobMark).some((e) => e.event === 'attested')).toBe(false);
    } finally {
      await sub.close();
    }
  }, 120_000);
});

describe("the console's own buttons in a team: through the nodes, or not at all", () => {
  const services = (nodeDirGiven = false) => {
    const nodes = new TeamNodes({ dataDir: h.dir, vault: h.vault, pingMs: 3_000, ...(nodeDirGiven ? { nodeDir: nodeDir('dave') } : {}) });
    // Built as main/services.ts builds them for the console.
    return {
      transfers: new TransferService({ vault: h.vault, store: h.store, devices: h.devices, host: h.host, nodes }),
      ceremonies: new WalletCeremonies({ vault: h.vault, store: h.store, devices: h.devices, host: h.host, nodes }),
      team: new TeamService({ dataDir: h.dir, store: h.store, vault: h.vault, log: silentLogger }),
    };
  };
  let requestId: string;

  it('refuses to sign or run a key ceremony through its MPC host, and until a registered node of its user is set', async () => {
    await h.vault.teamSync();
    h.transfers.fund({ walletId: teamWallet, txid: 'db'.repeat(32), vout: 0, amount: '1500000', path: '0/0', label: 'made-up regtest prevout' });
    requestId = (await h.transfers.create({ walletId: teamWallet, destination: destination('0d'), amount: '300000', feeRate: 2, deviceId: h.device.dave })).id;
    await h.transfers.approve({ requestId, deviceId: h.device.erin });
    const screens = Object.fromEntries(CUSTODIANS.map((w) => [w, procs[w].screens()]));
    // A service built without the nodes (the single desk's wiring) signs nothing in a team: no second way.
    await expect(h.transfers.sign(requestId)).rejects.toThrow(/in a team: its requests are signed by the custodians' signer nodes/);
    const { transfers, ceremonies, team: teamService } = services();
    await expect(transfers.sign(requestId)).rejects.toThrow(/Set your signer node's folder/);
    await expect(ceremonies.run(pairWallet)).rejects.toThrow(/Set your signer node's folder/);
    expect(h.vault.readState().transfers.find((t) => t.id === requestId)!.signed).toBeNull();
    for (const w of CUSTODIANS) expect(procs[w].screens(), w).toBe(screens[w]);
    // The node folder is checked before it is kept: keys there, registered in the log to an active user.
    await expect(teamService.setNode(path.join(root, 'empty'))).rejects.toThrow(/holds no signer node keys/);
    openNodeKeys(path.join(root, 'stranger'));
    await expect(teamService.setNode(path.join(root, 'stranger'))).rejects.toThrow(/registered to no active user/);
    expect((await teamService.status()).coordinator).toMatchObject({ nodeDir: null, problem: expect.stringMatching(/No signer node is set/) });
    const set = await teamService.setNode(nodeDir('dave'));
    expect(set.coordinator).toEqual({ nodeDir: nodeDir('dave'), nodeId: keys.dave.nodeId, user: { id: h.ids.dave, name: 'Dave' }, problem: null });
  }, 60_000);

  it('lists which registered nodes answer: the three custodians\' nodes online at its head, the coordinator\'s own (no process) not', async () => {
    const ping = await services().team.ping();
    const row = (who: string) => ping.nodes.find((n) => n.user.id === h.ids[who as Who | 'dave'])!;
    for (const w of CUSTODIANS) expect(row(w), w).toMatchObject({ online: true, problem: null, head: { seq: h.vault.logHead()!.count - 1 } });
    expect(row('dave')).toMatchObject({ online: false, problem: expect.stringMatching(/did not answer/) });
  }, 60_000);

  it('signs through two nodes when the Sign button calls it, each node\'s answer and rounds in its progress, no share here', async () => {
    const { transfers } = services();
    const progress: EventPayloads['transfers.progress'][] = [];
    transfers.on('progress', (p) => progress.push(p));
    const signed = await transfers.sign(requestId);
    expect(signed.status).toBe('signed');
    const rows = progress.flatMap((p) => (p.node === undefined ? [] : [p.node]));
    const picked = rows.filter((r) => r.state === 'picked').map((r) => r.custodian);
    expect(picked).toHaveLength(2);
    for (const c of picked) {
      expect(rows.some((r) => r.custodian === c && r.state === 'accepted'), c).toBe(true);
      // The coordinator hears each picked node in each signing round: its commitments, then its signature share.
      expect(new Set(rows.filter((r) => r.custodian === c && r.state === 'round').map((r) => r.round)), c).toEqual(new Set([1, 2]));
    }
    expect(progress.every((p) => p.requestId === requestId)).toBe(true);
    expect(h.store.wallets.shares(teamWallet, 1)).toEqual([]);
    const entry = h.store.audit.page({ offset: 0, limit: 50, action: 'transfer.signed' }).entries.find((e) => e.subject === requestId);
    expect(entry?.actor).toBe('signer-nodes');
  }, 120_000);

  it('runs a key ceremony through the custodians\' nodes when its button calls it, each node\'s key and attestation in its progress', async () => {
    const { ceremonies } = services();
    const progress: WalletProgress[] = [];
    ceremonies.on('progress', (p) => progress.push(p));
    const wallet = await ceremonies.run(pairWallet);
    expect(wallet.key?.keyVersion).toBe(1);
    expect(h.store.wallets.shares(pairWallet, 1)).toEqual([]);
    const rows = progress.flatMap((p) => (p.node === undefined ? [] : [p.node]));
    for (const name of ['Alice', 'Bob']) {
      expect(rows.filter((r) => r.custodian === name).map((r) => r.state), name).toEqual(expect.arrayContaining(['picked', 'accepted', 'key', 'attested']));
    }
    expect(rows.some((r) => r.custodian === 'Carol')).toBe(false);
    expect(progress.at(-1)).toMatchObject({ stage: 'done', walletId: pairWallet });
  }, 120_000);
});
