// Signing with each custodian's share on its own signer node (its own folder, its own pinned log, only its own share)
// through the relay on a real nats-server, and a coordinator that holds no share: the signature verifies; a coordinator
// that asks for more gets nothing signed.
import { schnorr } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { deriveChildKey } from '../../crypto/frost/hd';
import { signingPlan } from '../../crypto/transfers/evidence';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { GateRefusal, type RunParty, type UnsealingParty } from '../../main/mpc-host/signer-gate';
import { SignDriver, type RelayEvent } from '../../main/relay';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import { consentingSigners, transferHarness, type TransferHarness } from '../transfers/helpers';
import { nodes, type TestNode } from './nodes';

let h: TransferHarness;
let server: NatsServer;
let requestId: string;
let signerNodes: ReturnType<typeof nodes>;
let alice: TestNode;
let bob: TestNode;
let carol: TestNode;
const pool = new DkgPool({ threads: 1 });

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
  h = await transferHarness();
  requestId = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId, deviceId: h.device.erin });
  signerNodes = nodes(h, pool, server.url);
  alice = await signerNodes.make('alice');
  bob = await signerNodes.make('bob');
  carol = await signerNodes.make('carol');
  await signerNodes.sync(alice.gate, bob.gate, carol.gate);
}, 240_000);
afterAll(async () => {
  await signerNodes?.close();
  await h?.close();
  await pool.close();
  await server?.stop();
});

/** What the coordinator signs, from its own replica: the request's sighashes under their wallet path's child key. */
function coordinatorSession() {
  const state = h.vault.readState();
  const plan = signingPlan({ state, requestId, ledger: [], receivedAt: () => 0, now: Date.now() });
  if ('refused' in plan) throw new Error(plan.refused);
  const key = state.wallets.find((w) => w.id === h.walletId)!.key!;
  const path = plan.inputs[0]!.path;
  const child = deriveChildKey(groupKeyOf(key), path);
  return { plan, path, child, messages: plan.inputs.filter((i) => i.path.join('/') === path.join('/')).map((i) => i.sighash) };
}

const noReport = () => undefined;

describe('signing with one share per signer node, through the relay', () => {
  it('two nodes, each with only its own share, and a coordinator with none, make a signature that verifies', async () => {
    const [pa, pb] = (await consentingSigners(h, requestId, ['alice', 'bob'])) as [UnsealingParty, UnsealingParty];
    const c = coordinatorSession();
    // One session here: the request spends inputs of one path.
    expect(new Set(c.plan.inputs.map((i) => i.path.join('/'))).size).toBe(1);
    const ceremonyId = 'cer-party-1';
    const sessionId = `${ceremonyId}/${c.path.join('-') || 'root'}`;
    const signers = [pa.partyId, pb.partyId];
    const head = signerNodes.head();
    expect(alice.gate.head()).toEqual(head);
    // Carol's node coordinates: its keys speak for "coordinator" in this session's directory.
    const events: RelayEvent[] = [];
    const [runA, runB, runC] = await Promise.all([signerNodes.relay(alice.keys, h.ids.carol), signerNodes.relay(bob.keys, h.ids.carol), signerNodes.relay(carol.keys, h.ids.carol, events)]);
    const coordinator = new SignDriver({ sessionId, self: null, signers, messages: c.messages, publicPackage: c.child.groupKey.publicPackage }, null, randomBytes);
    const [result] = await Promise.all([
      runC(coordinator),
      alice.gate.signTransferAsParty({ ceremonyId, requestId, signers, self: pa, head }, runA, noReport),
      bob.gate.signTransferAsParty({ ceremonyId, requestId, signers, self: pb, head }, runB, noReport),
    ]);
    const sigs = result.signatures!;
    expect(sigs).toHaveLength(c.messages.length);
    sigs.forEach((sig, i) => expect(schnorr.verify(sig, c.messages[i]!, c.child.groupKey.outputKey)).toBe(true));
    expect(events.filter((e) => e.type === 'refused')).toEqual([]);
    // Each node journaled the signing: asked again, it refuses (a request is signed once).
    await expect(alice.gate.signTransferAsParty({ ceremonyId: 'cer-party-2', requestId, signers, self: pa, head }, runA, noReport)).rejects.toThrow(/already signed/);
  }, 120_000);

  it('a coordinator that asks for more is refused before any share is opened', async () => {
    const [pc, pa] = (await consentingSigners(h, requestId, ['carol', 'alice'])) as [UnsealingParty, UnsealingParty];
    const head = carol.gate.head();
    const never: RunParty = () => {
      throw new Error('no session may start');
    };
    const ask = (over: Partial<Parameters<typeof carol.gate.signTransferAsParty>[0]>) =>
      carol.gate.signTransferAsParty({ ceremonyId: 'cer-x', requestId, signers: [pc.partyId, pa.partyId], self: pc, head, ...over }, never, noReport);
    await expect(ask({ head: { ...head, fingerprint: '0'.repeat(64) } })).rejects.toThrow(/two histories/);
    await expect(ask({ head: { ...head, seq: head.seq + 1 } })).rejects.toThrow(/catches up first/);
    await expect(ask({ requestId: 'no-such-request' })).rejects.toThrow(GateRefusal);
    await expect(ask({ signers: [pc.partyId] })).rejects.toThrow(/needs 2/);
    await expect(ask({ signers: [pc.partyId, 'ffffffffffffffff'] })).rejects.toThrow(/holds no share/);
    await expect(ask({ signers: [pa.partyId, pa.partyId] })).rejects.toThrow(/named twice/);
    // Told it is Alice's party (with her use statement and share), Carol's node refuses: it signs only as Carol.
    await expect(ask({ self: pa })).rejects.toThrow(/Carol's .*signs as no other party/);
  }, 120_000);
});
