// A wallet's refresh and reshare through `custos signer start` processes on a real nats-server: a 2-of-3 wallet made by
// the nodes is refreshed (same key, every node's share replaced by a new one, a transfer signed with the new shares),
// then reshared to a changed custodian set; a coordinator asking for a ceremony the administrators did not approve (or
// with other receivers or threshold) is refused by every node before its device opens anything, and nothing is sealed.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Transaction } from '@scure/btc-signer';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import { ceremonyPlan, type KeyRecord } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { walletOutputKeyAt } from '../../crypto/transfers/transaction';
import { NatsRelayTransport } from '../../main/relay';
import { ceremonyWithNodes } from '../../main/signer/ceremony-coordinator';
import { signWithNodes } from '../../main/signer/coordinator';
import { controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage } from '../../main/signer/control';
import { walletKeyFrom } from '../../main/signer/dkg-result';
import { openNodeKeys, type NodeKeys } from '../../main/signer/node-keys';
import { attachFromSettings, joinTeam, type TeamSession } from '../../main/team/team';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import { destination, transferHarness, type TransferHarness } from '../transfers/helpers';
import { adopted } from '../wallets/helpers';
import { PHRASES } from '../vault/phrases';
import { custos, startNode, type NodeProcess } from './node-processes';

type Who = 'alice' | 'bob' | 'carol' | 'dave';
const FIRST: Who[] = ['alice', 'bob', 'carol'];
const ALL: Who[] = [...FIRST, 'dave'];

let server: NatsServer;
let h: TransferHarness;
let team: TeamSession | null = null;
let nc: NatsConnection;
const root = mkdtempSync(path.join(tmpdir(), 'custos-node-reshare-'));
const nodeDir = (who: string) => path.join(root, who);
/** Erin coordinates: her node keys are registered, and she holds no share of the wallet. */
const keys = {} as Record<Who | 'erin', NodeKeys>;
const procs = {} as Record<Who, NodeProcess>;
let walletId: string;

const head = () => ({ seq: h.vault.logHead()!.count - 1, fingerprint: h.vault.logHead()!.fingerprint });
const party = (who: Who) => partyIdFor(h.ids[who]);
const erinId = () => h.vault.readState().users.find((u) => u.name === 'Erin')!.id;
const shareFile = (who: Who, v: number) => path.join(nodeDir(who), 'shares', `${walletId}.v${v}.${party(who)}.json`);
const sealedIn = (who: Who, v: number) => (JSON.parse(readFileSync(shareFile(who, v), 'utf8')) as { sealed: string }).sealed;
const shareFiles = (who: Who) => (existsSync(path.join(nodeDir(who), 'shares')) ? readdirSync(path.join(nodeDir(who), 'shares')).sort() : []);
const ceremony = (...extra: string[]) => custos('wallet', 'ceremony', walletId, '--nodes', '--node-dir', nodeDir('erin'), '--data-dir', h.dir, '--timeout', '60', '--json', ...extra);
const keyRecords = () => h.store.records.all().map((r) => JSON.parse(r.body) as KeyRecord).filter((r) => r.type === 'wallet-key' && r.walletId === walletId);

beforeAll(async () => {
  server = await startNatsServer();
  h = await transferHarness();
  await adopted(h, () => h.vault.proposeWallet({ name: 'Team BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  walletId = h.vault.readState().wallets.find((w) => w.name === 'Team BTC')!.id;
  for (const who of [...ALL, 'erin'] as const) {
    keys[who] = openNodeKeys(nodeDir(who));
    await h.vault.registerNode({ nodeId: keys[who].nodeId, signingKey: keys[who].signingKey, hpkeKey: keys[who].hpkeKey, deviceId: h.device[who] });
  }
  await joinTeam(h.dir, h.store, h.vault, { servers: [server.url], user: null, password: null, create: true });
  team = attachFromSettings(h.dir, h.vault);
  const state = h.vault.readState();
  const genesis = state.users.find((u) => u.id === h.ids.alice)!.identityAddress;
  await Promise.all(
    ALL.map(async (who) => {
      const joined = await custos('signer', 'join', '--node-dir', nodeDir(who), '--server', server.url, '--vault', state.vaultId, '--genesis', genesis, '--json');
      expect(joined.code, joined.out + joined.err).toBe(0);
    }),
  );
  for (const who of ALL) procs[who] = startNode(who, nodeDir(who), PHRASES[who]);
  await Promise.all(ALL.map((who) => procs[who].waitFor((e) => e.event === 'ready', 90_000)));
  nc = await connect({ servers: server.url, reconnect: false });
  // The wallet's key, made by the three custodians' nodes (the CLI's path for it is node-dkg.test.ts's).
  await h.vault.teamSync();
  await ceremonyWithNodes(walletId, { vault: h.vault, keys: keys.erin, transport: new NatsRelayTransport(nc), sessionMs: 60_000 });
}, 240_000);

afterAll(async () => {
  for (const p of Object.values(procs)) await p.kill();
  await nc?.drain().catch(() => undefined);
  await team?.close();
  await h?.close();
  await server?.stop();
  rmSync(root, { recursive: true, force: true });
});

/** Sends control messages as Erin's coordinator (valid node keys), and keeps the nodes' answers. */
async function asCoordinator() {
  await h.vault.teamSync();
  const transport = new NatsRelayTransport(nc);
  const state = h.vault.readState();
  const erin = coordinatorAddress(erinId());
  const answers: ControlMessage[] = [];
  const sub = await transport.subscribe(controlRoute(state.vaultId, erin), (bytes) => {
    void openControl(bytes, { vaultId: state.vaultId, me: erin, keys: keys.erin.transport, state, now: Date.now() }).then((m) => answers.push(m.message), () => undefined);
  });
  const to = (who: Who, m: ControlMessage & { expiresAt: number }) =>
    sendControl({ transport, vaultId: state.vaultId, keys: keys.erin.transport, from: erin, to: party(who), toKeys: { signingKey: hexToBytes(keys[who].signingKey.slice(2)), hpkeKey: hexToBytes(keys[who].hpkeKey.slice(2)) }, message: m, expiresAt: m.expiresAt });
  return { answers, to, close: () => sub.close() };
}

/** A transfer from the wallet, allowed by a one-approval policy, signed through the nodes (Erin coordinates); returns who signed. */
async function signTransfer(amount: string, txByte: string, only?: Who[]): Promise<Who[]> {
  const id = (await h.transfers.create({ walletId, destination: destination(txByte), amount, feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId: id, deviceId: h.device.erin });
  await h.vault.teamSync();
  await signWithNodes(id, { vault: h.vault, transfers: h.transfers, keys: keys.erin, transport: new NatsRelayTransport(nc), sessionMs: 30_000, ...(only ? { only } : {}) });
  const state = h.vault.readState();
  const t = state.transfers.find((x) => x.id === id)!;
  const rootKey = groupKeyOf(state.wallets.find((w) => w.id === walletId)!.key!);
  const tx = Transaction.fromRaw(hexToBytes(t.signed!.tx), { allowUnknownOutputs: true });
  for (let i = 0; i < tx.inputsLength; i++) {
    expect(schnorr.verify(tx.getInput(i).finalScriptWitness![0]!, hexToBytes(t.request.sighashes[i]!), walletOutputKeyAt(rootKey, t.request.inputPaths[i]!))).toBe(true);
  }
  return ALL.filter((w) => procs[w].events.some((e) => e.event === 'signed' && e.requestId === id));
}

describe('a wallet\'s refresh and reshare through signer node processes', () => {
  it('a refresh the administrators approved runs through the three nodes: the same key, every share new, three attestations', async () => {
    const before = h.vault.readState().wallets.find((w) => w.id === walletId)!.key!;
    const old = Object.fromEntries(FIRST.map((w) => [w, sealedIn(w, 1)])) as Record<Who, string>;
    await adopted(h, () => h.vault.proposeRefresh({ walletId, deviceId: h.device.alice }));
    const started = Date.now();
    const out = await ceremony();
    const ms = Date.now() - started;
    expect(out.code, out.out + out.err).toBe(0);
    expect(JSON.parse(out.out)).toMatchObject({ id: walletId, keyVersion: 2, sealedSharesHere: false });
    expect(out.err).not.toMatch(/virtual Ledger screen/);
    await h.vault.teamSync();
    const key = h.vault.readState().wallets.find((w) => w.id === walletId)!.key!;
    // The wallet's key and address are unchanged; its shares (and verifying shares) are not.
    expect([key.keyVersion, key.threshold, key.outputKey, key.internalKey, key.chainCode]).toEqual([2, 2, before.outputKey, before.internalKey, before.chainCode]);
    expect(key.verifyingShares).not.toEqual(before.verifyingShares);
    const record = keyRecords().find((r) => r.key.keyVersion === 2)!;
    expect(record.ceremony).toBe('refresh');
    expect(record.attestations.map((a) => a.userId).sort()).toEqual(FIRST.map((w) => h.ids[w]).sort());
    expect(h.store.wallets.shares(walletId, 2)).toEqual([]);
    for (const who of FIRST) {
      const done = await procs[who].waitFor((e) => e.event === 'reshared' && e.walletId === walletId && e.keyVersion === 2);
      expect(done).toMatchObject({ ceremony: 'refresh', outputKey: key.outputKey, shareDigest: key.shareDigests.find((d) => d.partyId === party(who))!.digest });
      await procs[who].waitFor((e) => e.event === 'attested' && e.walletId === walletId && e.ceremonyId === record.ceremonyId);
      expect(procs[who].events.find((e) => e.event === 'accepted-reshare' && e.ceremonyId === record.ceremonyId)).toMatchObject({ dealer: true, receiver: true });
      // A new sealed share beside the old one, and a different one.
      expect(sealedIn(who, 2)).not.toBe(old[who]);
      expect(sealedIn(who, 1)).toBe(old[who]);
    }
    // Dave holds no share of the wallet: his node was asked nothing.
    expect(procs.dave.events.some((e) => e.event === 'accepted-reshare')).toBe(false);
    console.info(`a 2-of-3 refresh through three node processes, recorded with three attestations: ${ms} ms for the coordinator's CLI process (start included)`);
  }, 120_000);

  it('then two of the nodes sign a transfer with their new shares', async () => {
    const doc = policyDocument(
      validatePolicy({
        version: 1,
        walletId,
        rules: [{ id: 'small', name: 'Small', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: h.groups.ops, steps: [{ groupId: h.groups.approvers, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
        velocity: [],
      }),
    );
    await adopted(h, () => h.vault.proposePolicy({ document: JSON.stringify(doc), deviceId: h.device.alice }));
    h.transfers.fund({ walletId, txid: 'da'.repeat(32), vout: 0, amount: '2000000', path: '0/0', label: 'made-up regtest prevout' });
    expect((await signTransfer('300000', '0c')).length).toBe(2);
  }, 120_000);

  it('a coordinator asking for a ceremony the administrators did not approve, or with other receivers or threshold, is refused by every node; nothing is opened or sealed', async () => {
    const c = await asCoordinator();
    const marks = Object.fromEntries(ALL.map((w) => [w, { events: procs[w].events.length, screens: procs[w].screens(), files: shareFiles(w) }])) as Record<Who, { events: number; screens: number; files: string[] }>;
    const ask = (ceremonyId: string, over: Partial<Extract<ControlMessage, { kind: 'session/reshare' }>> = {}) => ({
      kind: 'session/reshare' as const,
      ceremonyId,
      walletId,
      ceremony: 'refresh' as const,
      dealers: FIRST.map(party),
      receivers: FIRST.map(party),
      threshold: 2,
      head: head(),
      coordinatorUserId: erinId(),
      expiresAt: Date.now() + 20_000,
      ...over,
    });
    const refused = async (who: Who, ceremonyId: string, reason: RegExp) => {
      expect((await procs[who].waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, marks[who].events)).reason, who).toMatch(reason);
      await expect.poll(() => c.answers.find((a) => a.kind === 'session/answer' && a.ceremonyId === ceremonyId), { timeout: 10_000 }).toMatchObject({ accepted: false });
    };
    try {
      // The refresh is recorded: the wallet owes nothing now, so a second one is nobody's to run.
      for (const who of FIRST) await c.to(who, ask('refresh-again'));
      for (const who of FIRST) await refused(who, 'refresh-again', /owes no key ceremony/);
      // The administrators approve a reshare to Alice, Bob and Dave at 2 of 3.
      await adopted(h, () => h.vault.proposeReshare({ walletId, threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.dave], deviceId: h.device.alice }));
      await h.vault.teamSync();
      const approved = { ceremony: 'reshare' as const, dealers: [party('alice'), party('bob')], receivers: [party('alice'), party('bob'), party('dave')] };
      // Another receiver than approved (Carol instead of Dave), another threshold, the other ceremony.
      for (const who of ALL) await c.to(who, ask('reshare-to-carol', { ...approved, head: head(), receivers: FIRST.map(party) }));
      for (const who of ALL) await refused(who, 'reshare-to-carol', /gives new shares to exactly its 3 approved custodians/);
      for (const who of ALL) await c.to(who, ask('reshare-3-of-3', { ...approved, head: head(), threshold: 3 }));
      for (const who of ALL) await refused(who, 'reshare-3-of-3', /approved with threshold 2, not 3/);
      for (const who of ['alice', 'bob', 'dave'] as const) await c.to(who, ask('refresh-not-reshare', { head: head(), receivers: approved.receivers }));
      for (const who of ['alice', 'bob', 'dave'] as const) await refused(who, 'refresh-not-reshare', /owes a reshare the administrators approved, not a refresh/);
      // Dave holds no current share: he may not be named a dealer.
      await c.to('dave', ask('dave-deals', { ...approved, head: head(), dealers: [party('alice'), party('dave')] }));
      await refused('dave', 'dave-deals', /holds no share of Team BTC that may deal/);
      for (const who of ALL) {
        // No device showed anything (no use statement, no share opened), no party ran, nothing was sealed.
        expect(procs[who].screens(), who).toBe(marks[who].screens);
        expect(procs[who].events.slice(marks[who].events).filter((e) => e.event === 'accepted-reshare' || e.event === 'reshared' || e.event === 'attested'), who).toEqual([]);
        expect(shareFiles(who), who).toEqual(marks[who].files);
        expect(procs[who].child.exitCode).toBeNull();
      }
    } finally {
      await c.close();
    }
  }, 120_000);

  it('a compromised coordinator that ran the approved reshare gets no attestation of a record for another ceremony or other custodians', async () => {
    const c = await asCoordinator();
    try {
      const state = h.vault.readState();
      const at = head();
      const ceremonyId = 'reshare-unattested';
      const receivers = [party('alice'), party('bob'), party('dave')];
      const expiresAt = Date.now() + 30_000;
      for (const who of ['alice', 'bob', 'dave'] as const) {
        await c.to(who, { kind: 'session/reshare', ceremonyId, walletId, ceremony: 'reshare', dealers: [party('alice'), party('bob')], receivers, threshold: 2, head: at, coordinatorUserId: erinId(), expiresAt });
      }
      const isResult = (m: ControlMessage): m is Extract<ControlMessage, { kind: 'session/keygen' }> => m.kind === 'session/keygen' && m.ceremonyId === ceremonyId;
      await expect.poll(() => c.answers.filter(isResult).length, { timeout: 30_000 }).toBe(3);
      const results = c.answers.filter(isResult);
      const plan = ceremonyPlan(state, walletId);
      if ('refused' in plan) throw new Error(plan.refused);
      expect(new Set(results.map((r) => r.key.outputKey))).toEqual(new Set([plan.current!.key.outputKey]));
      const key = walletKeyFrom(results[0]!.key, 3, plan.receivers, new Map(results.map((r) => [r.partyId, r.shareDigest])));
      const honest = { type: 'wallet-key' as const, seq: at.seq + 1, vaultId: state.vaultId, walletId, proposalId: plan.wallet.pending!.proposalId, ceremony: 'reshare' as const, ceremonyId, createdAt: new Date().toISOString(), key };
      const screens = procs.dave.screens();
      const mark = procs.dave.events.length;
      // Called a refresh in the record: not the reshare Dave's node ran.
      await c.to('dave', { kind: 'session/attest', ceremonyId, coordinatorUserId: erinId(), record: { ...honest, ceremony: 'refresh' }, expiresAt: Date.now() + 20_000 });
      expect((await procs.dave.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, mark)).reason).toMatch(/is not the reshare reshare-unattested this node ran/);
      expect(procs.dave.screens()).toBe(screens);
      // Alice's node is asked with Carol named a custodian of the new key in Dave's place (a node attests once per ceremony).
      const aliceScreens = procs.alice.screens();
      const aliceMark = procs.alice.events.length;
      const custodians = key.custodians.map((x) => (x.userId === h.ids.dave ? { userId: h.ids.carol, partyId: party('carol') } : x));
      await c.to('alice', { kind: 'session/attest', ceremonyId, coordinatorUserId: erinId(), record: { ...honest, key: { ...key, custodians } }, expiresAt: Date.now() + 20_000 });
      expect((await procs.alice.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, aliceMark)).reason).toMatch(/holds another key than the one this node's reshare made, or other custodians/);
      expect(procs.alice.screens()).toBe(aliceScreens);
      for (const who of ['alice', 'dave'] as const) expect(procs[who].events.some((e) => e.event === 'attested' && e.ceremonyId === ceremonyId)).toBe(false);
    } finally {
      await c.close();
    }
  }, 120_000);

  it('the approved reshare to Alice, Bob and Dave runs through the nodes: the same key, Dave receives only, and Dave and Alice sign with it', async () => {
    const before = h.vault.readState().wallets.find((w) => w.id === walletId)!.key!;
    // The one entry the console's button calls too: it runs whatever the wallet owes (here, the approved reshare).
    await h.vault.teamSync();
    const recorded = await ceremonyWithNodes(walletId, { vault: h.vault, keys: keys.erin, transport: new NatsRelayTransport(nc), sessionMs: 60_000 });
    expect(recorded.key?.keyVersion).toBe(3);
    const key = h.vault.readState().wallets.find((w) => w.id === walletId)!.key!;
    expect([key.keyVersion, key.threshold, key.outputKey, key.internalKey, key.chainCode]).toEqual([3, 2, before.outputKey, before.internalKey, before.chainCode]);
    expect(key.custodians.map((c) => c.userId).sort()).toEqual([h.ids.alice, h.ids.bob, h.ids.dave].sort());
    const record = keyRecords().find((r) => r.key.keyVersion === 3)!;
    expect(record.ceremony).toBe('reshare');
    expect(record.attestations.map((a) => a.userId).sort()).toEqual([h.ids.alice, h.ids.bob, h.ids.dave].sort());
    // Dave's node had no old share: it received only, its device opened nothing before it attested.
    expect(procs.dave.events.find((e) => e.event === 'accepted-reshare' && e.ceremonyId === record.ceremonyId)).toMatchObject({ dealer: false, receiver: true });
    expect(shareFiles('dave')).toEqual([path.basename(shareFile('dave', 3))]);
    for (const who of ['alice', 'bob'] as const) expect(sealedIn(who, 3)).not.toBe(sealedIn(who, 2));
    // Carol is no custodian of the new key: she dealt, if picked, and kept no new share.
    expect(shareFiles('carol').some((f) => f.includes('.v3.'))).toBe(false);
    h.transfers.fund({ walletId, txid: 'db'.repeat(32), vout: 0, amount: '2000000', path: '0/1', label: 'made-up regtest prevout' });
    expect((await signTransfer('200000', '0d', ['dave', 'alice'])).sort()).toEqual(['alice', 'dave']);
  }, 120_000);
});
