// Crashes in the middle of a wallet's DKG through three `custos signer start` processes on a real nats-server: a node
// SIGKILLed after the first round went out, a node restarted between its DKG report and the attestation, and the server
// SIGKILLed mid-DKG. Each ceremony aborts naming what failed, records no key, and a new one then records it once.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { KeyRecord } from '../../crypto/governance';
import { NatsRelayTransport, relaySubject } from '../../main/relay';
import { controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage } from '../../main/signer/control';
import { keygenWithNodes, type KeygenEvent } from '../../main/signer/keygen-coordinator';
import { gateFolderOf } from '../../main/signer/node-keys';
import type { NatsServer } from '../team/nats-server';
import type { TransferHarness } from '../transfers/helpers';
import { adopted } from '../wallets/helpers';
import { PHRASES } from '../vault/phrases';
import { startNode } from './node-processes';
import { CUSTODIANS, signerTeam, type Who } from './signer-team';

const nodes = signerTeam('custos-crash-dkg-');
const { nodeDir, keys, procs, connection, caughtUp, nodesAtHead } = nodes;
let server: NatsServer;
let h: TransferHarness;
const wallets = {} as Record<'nodeKill' | 'restart' | 'serverKill', string>;

beforeAll(async () => {
  ({ server, h } = await nodes.open());
  for (const [slot, name] of [['nodeKill', 'Crash A'], ['restart', 'Crash B'], ['serverKill', 'Crash C']] as const) {
    await adopted(h, () => h.vault.proposeWallet({ name, network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
    wallets[slot] = h.vault.readState().wallets.find((w) => w.name === name)!.id;
  }
  await nodes.start({ reconnect: true });
}, 240_000);

afterAll(() => nodes.close());

/** Resolves once `cond` holds, checked every 10 ms (a state no event announces: a file another process appends to). */
async function until(cond: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Resolves on the first relay envelope of session `sessionId` the server carries (a DKG's first round going out). */
async function firstEnvelope(nc: NatsConnection, sessionId: string): Promise<void> {
  const subject = relaySubject({ vaultId: h.vault.readState().vaultId, sessionId, party: 'x' }).split('.').slice(0, -1).join('.') + '.*';
  await new Promise<void>((resolve) => {
    const sub = nc.subscribe(subject, { callback: () => (sub.unsubscribe(), resolve()) });
  });
}

const head = () => ({ seq: h.vault.logHead()!.count - 1, fingerprint: h.vault.logHead()!.fingerprint });
const keyRecords = (walletId: string) => h.store.records.all().map((r) => JSON.parse(r.body) as KeyRecord).filter((r) => r.type === 'wallet-key' && r.walletId === walletId);
const journalHas = (who: Who, ceremonyId: string) => readFileSync(path.join(gateFolderOf(nodeDir(who)), 'journal.jsonl'), 'utf8').includes(`"ceremonyId":"${ceremonyId}"`);

/** No key, no share here, the wallet still owes its DKG, and the log where it was. */
async function expectNothingRecorded(walletId: string, before: { seq: number; fingerprint: string }): Promise<void> {
  await caughtUp();
  expect(keyRecords(walletId)).toEqual([]);
  expect(h.vault.readState().wallets.find((w) => w.id === walletId)!.key).toBeNull();
  expect(h.store.wallets.shares(walletId, 1)).toEqual([]);
  expect(head()).toEqual(before);
}

/** A new DKG with the three nodes records the key once, attested by all three, each node's kept share the one recorded. */
async function keygenSucceeds(walletId: string): Promise<void> {
  await caughtUp();
  const transport = new NatsRelayTransport(await connection());
  const made = await keygenWithNodes(walletId, { vault: h.vault, keys: keys.dave, transport, sessionMs: 60_000 });
  expect(made.key).not.toBeNull();
  await h.vault.teamSync();
  const records = keyRecords(walletId);
  expect(records).toHaveLength(1);
  expect(records[0]!.attestations.map((a) => a.userId).sort()).toEqual(CUSTODIANS.map((w) => h.ids[w]).sort());
  for (const who of CUSTODIANS) {
    const party = partyIdFor(h.ids[who]);
    const file = path.join(nodeDir(who), 'shares', `${walletId}.v1.${party}.json`);
    const sealed = (JSON.parse(readFileSync(file, 'utf8')) as { sealed: string }).sealed;
    expect(bytesToHex(sha256(hexToBytes(sealed)))).toBe(records[0]!.key.shareDigests.find((d) => d.partyId === party)!.digest);
  }
  expect(h.vault.verify().status).toBe('ok');
}

describe('crashes mid-DKG through signer node processes', () => {
  it('a node SIGKILLed after the first round went out: the DKG aborts naming it, no key; restarted, it runs no part of the old DKG, and a new DKG records the key once', async () => {
    const walletId = wallets.nodeKill;
    await h.vault.teamSync();
    const before = head();
    const watcher = await connection();
    const transport = new NatsRelayTransport(await connection());
    let ceremonyId = '';
    const events: KeygenEvent[] = [];
    const started = Date.now();
    const failure = await keygenWithNodes(walletId, {
      vault: h.vault,
      keys: keys.dave,
      transport,
      sessionMs: 10_000,
      onEvent: async (e) => {
        events.push(e);
        if (e.type !== 'picked') return;
        ceremonyId = e.ceremonyId;
        const out = firstEnvelope(watcher, ceremonyId);
        // Bob's node dies once its journal holds the DKG (it began it) and the first round is on the wire.
        void (async () => {
          await until(() => journalHas('bob', ceremonyId), "Bob's node journaled the DKG");
          await out;
          procs.bob.child.kill('SIGKILL');
        })().catch((err: unknown) => console.error(err));
      },
    }).then(() => null, (err: unknown) => err as Error);
    console.info(`a DKG with a node killed mid-round aborted after ${Date.now() - started} ms (session 10 s): ${failure?.message}`);
    // Bob's node is named; on a loaded machine another node still in its round may be named beside it.
    expect(failure?.message).toMatch(/^[^:]*: ((Alice|Carol)'s signer node \(party [0-9a-f]{64}\), )*Bob's signer node \(party [0-9a-f]{64}\)(, (Alice|Carol)'s signer node \(party [0-9a-f]{64}\))* did not answer/);
    expect(failure?.message).toMatch(/No key was recorded/);
    await procs.bob.kill();
    await expectNothingRecorded(walletId, before);
    // The other two gave the DKG up by its expiry (or, had Bob's round 2 gone out, made a key the log never recorded).
    for (const who of ['alice', 'carol'] as const) await procs[who].waitFor((e) => (e.event === 'failed' || e.event === 'keygen') && e.ceremonyId === ceremonyId, 30_000);

    // Restarted on its folder: pinned already, no device asked to pin again.
    procs.bob = startNode('bob', nodeDir('bob'), PHRASES.bob);
    await procs.bob.waitFor((e) => e.event === 'ready', 90_000);
    const screens = procs.bob.screens();
    // A coordinator replaying the aborted DKG's id (its device's entropy is bound to it) gets no second run of it, and no
    // attestation of a key the node does not hold the share of.
    const vaultId = h.vault.readState().vaultId;
    const dave = coordinatorAddress(h.ids.dave);
    const answers: ControlMessage[] = [];
    const state = h.vault.readState();
    const sub = await transport.subscribe(controlRoute(vaultId, dave), (bytes) => {
      void openControl(bytes, { vaultId, me: dave, keys: keys.dave.transport, state, now: Date.now() }).then((m) => answers.push(m.message), () => undefined);
    });
    const toBob = (m: ControlMessage & { expiresAt: number }) =>
      sendControl({ transport, vaultId, keys: keys.dave.transport, from: dave, to: partyIdFor(h.ids.bob), toKeys: { signingKey: hexToBytes(keys.bob.signingKey.slice(2)), hpkeKey: hexToBytes(keys.bob.hpkeKey.slice(2)) }, message: m, expiresAt: m.expiresAt });
    try {
      const mark = procs.bob.events.length;
      await toBob({ kind: 'session/dkg', ceremonyId, walletId, head: head(), coordinatorUserId: h.ids.dave, expiresAt: Date.now() + 20_000 });
      expect((await procs.bob.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId, 30_000, mark)).reason).toMatch(/ceremony .* already ran on this signer/);
      const record = { type: 'wallet-key' as const, seq: head().seq + 1, vaultId, walletId, proposalId: state.wallets.find((w) => w.id === walletId)!.pending!.proposalId, ceremony: 'dkg' as const, ceremonyId, createdAt: new Date().toISOString(), key: {} as KeyRecord['key'] };
      await toBob({ kind: 'session/attest', ceremonyId, coordinatorUserId: h.ids.dave, record, expiresAt: Date.now() + 20_000 });
      const refusal = await procs.bob.waitFor((e) => e.event === 'refused' && e.ceremonyId === ceremonyId && /attests no key/.test(String(e.reason)), 30_000, mark);
      expect(refusal.reason).toMatch(/restarted after DKG .* began, and no longer knows the key that DKG made/);
      await expect.poll(() => answers.filter((a) => a.kind === 'session/answer' && a.ceremonyId === ceremonyId && !a.accepted).length, { timeout: 10_000 }).toBe(2);
      expect(procs.bob.screens()).toBe(screens);
    } finally {
      await sub.close();
    }
    await keygenSucceeds(walletId);
  }, 180_000);

  it('a node restarted between its DKG report and the attestation refuses to attest, saying why; nothing is recorded; a new DKG records the key once', async () => {
    const walletId = wallets.restart;
    await h.vault.teamSync();
    const before = head();
    const transport = new NatsRelayTransport(await connection());
    let restarted = false;
    let ceremonyId = '';
    const failure = await keygenWithNodes(walletId, {
      vault: h.vault,
      keys: keys.dave,
      transport,
      sessionMs: 30_000,
      onEvent: async (e) => {
        if (e.type === 'picked') ceremonyId = e.ceremonyId;
        // Every node reported the key; before the attestation goes out, Carol's node is SIGKILLed and started again.
        if (e.type === 'keygen' && !restarted) {
          restarted = true;
          await procs.carol.kill();
          procs.carol = startNode('carol', nodeDir('carol'), PHRASES.carol);
          await procs.carol.waitFor((x) => x.event === 'ready', 90_000);
        }
      },
    }).then(() => null, (err: unknown) => err as Error);
    expect(restarted).toBe(true);
    expect(failure?.message).toMatch(/Carol's signer node refused to attest the key: this node was restarted after DKG dkg-[0-9a-f]+ began, and no longer knows the key that DKG made: it attests no key it cannot check against its own share\. Run the key ceremony again\. No key was recorded\./);
    expect(procs.carol.events.some((e) => e.event === 'attested')).toBe(false);
    await expectNothingRecorded(walletId, before);
    // Its share of the aborted DKG is still in its folder, but the log records no key with it: it is never used, and the
    // next DKG replaces it.
    expect(readdirSync(path.join(nodeDir('carol'), 'shares'))).toContain(`${walletId}.v1.${partyIdFor(h.ids.carol)}.json`);
    expect(ceremonyId).not.toBe('');
    await keygenSucceeds(walletId);
  }, 180_000);

  it('the server SIGKILLed mid-DKG: the coordinator says the server is unreachable, no key; restarted on its store, every record is intact everywhere and a new DKG records the key once', async () => {
    const walletId = wallets.serverKill;
    await nodesAtHead();
    const before = head();
    const watcher = await connection();
    const transport = new NatsRelayTransport(await connection());
    let ceremonyId = '';
    const started = Date.now();
    const failure = await keygenWithNodes(walletId, {
      vault: h.vault,
      keys: keys.dave,
      transport,
      sessionMs: 10_000,
      onEvent: (e) => {
        if (e.type !== 'picked') return;
        ceremonyId = e.ceremonyId;
        void firstEnvelope(watcher, ceremonyId).then(() => server.kill());
      },
    }).then(() => null, (err: unknown) => err as Error);
    const ms = Date.now() - started;
    console.info(`a DKG with the server killed mid-round aborted after ${ms} ms: ${failure?.message}`);
    expect(failure).toMatchObject({ code: 'TEAM_UNREACHABLE' });
    expect(failure?.message).toMatch(/The DKG of Crash C stopped: the team server is unreachable .* No key was recorded/);
    // At once, not at the session's expiry.
    expect(ms).toBeLessThan(10_000);
    await server.restart();
    // Each node gives the DKG up by its expiry, or finishes it once the server is back (the coordinator is gone: the key
    // is recorded by no one).
    for (const who of CUSTODIANS) await procs[who].waitFor((e) => (e.event === 'failed' || e.event === 'keygen') && e.ceremonyId === ceremonyId, 60_000);
    await expectNothingRecorded(walletId, before);
    await nodesAtHead();
    await keygenSucceeds(walletId);
    for (const who of CUSTODIANS) expect(procs[who].child.exitCode).toBeNull();
  }, 180_000);
});
