// Signing with each custodian's share on its own signer (its own folder, its own pinned log, only its own share), and a
// coordinator that holds no share: the signature verifies; a coordinator that asks for more gets nothing signed.
import { schnorr } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { deriveChildKey } from '../../crypto/frost/hd';
import type { SignMessage } from '../../crypto/frost/sign';
import { COORDINATOR } from '../../crypto/frost/types';
import { signingPlan } from '../../crypto/transfers/evidence';
import { runSignCoordinator } from '../../main/mpc-host/ceremonies/sign-party';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { GateRefusal, type SignerGate, type UnsealingParty } from '../../main/mpc-host/signer-gate';
import { headOf } from '../../main/store/log-head';
import { hub, nodes } from './hub';
import { consentingSigners, transferHarness, type TransferHarness } from '../transfers/helpers';

let h: TransferHarness;
let requestId: string;
let signerNodes: ReturnType<typeof nodes>;
const pool = new DkgPool({ threads: 1 });
const node = (who: 'alice' | 'bob' | 'carol') => signerNodes.make(who);

beforeAll(async () => {
  h = await transferHarness();
  requestId = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId, deviceId: h.device.erin });
  signerNodes = nodes(h, pool);
}, 240_000);
afterAll(async () => {
  await h?.close();
  await pool.close();
  signerNodes?.close();
});

function coordinatorSession() {
  const state = h.vault.readState();
  const plan = signingPlan({ state, requestId, ledger: [], receivedAt: () => 0, now: Date.now() });
  if ('refused' in plan) throw new Error(plan.refused);
  const key = state.wallets.find((w) => w.id === h.walletId)!.key!;
  const root = groupKeyOf(key);
  const path0 = plan.inputs[0]!.path;
  return { plan, key, root, path: path0, child: deriveChildKey(root, path0), messages: plan.inputs.filter((i) => i.path.join('/') === path0.join('/')).map((i) => i.sighash) };
}

const noReport = () => undefined;

describe('signing with one share per signer node', () => {
  it('two nodes, each with only its own share, and a coordinator with none, make a signature that verifies', async () => {
    const alice = await node('alice');
    const bob = await node('bob');
    // Alice's node takes the records made since it was pinned (Bob's registration), as its follower would.
    await signerNodes.sync(alice);
    const [pa, pb] = (await consentingSigners(h, requestId, ['alice', 'bob'])) as [UnsealingParty, UnsealingParty];
    const c = coordinatorSession();
    // One session here: the demo's request spends inputs of one path.
    expect(new Set(c.plan.inputs.map((i) => i.path.join('/'))).size).toBe(1);
    const ceremonyId = 'cer-party-1';
    const sessionId = `${ceremonyId}/${c.path.join('-') || 'root'}`;
    const signers = [pa.partyId, pb.partyId];
    const net = hub<SignMessage>([pa.partyId, pb.partyId, COORDINATOR]);
    const head = alice.head();
    expect(bob.head()).toEqual(head);
    expect(head.fingerprint).toBe(headOf(h.store.records.all()).fingerprint);
    const [sigs] = await Promise.all([
      runSignCoordinator({ sessionId, walletId: h.walletId, keyVersion: c.key.keyVersion, groupKey: c.root, child: c.child, messages: c.messages, signers }, net.channel(COORDINATOR), { rng: randomBytes }),
      alice.signTransferAsParty({ ceremonyId, requestId, signers, self: pa, head }, () => net.channel(pa.partyId), noReport),
      bob.signTransferAsParty({ ceremonyId, requestId, signers, self: pb, head }, () => net.channel(pb.partyId), noReport),
    ]);
    expect(sigs).toHaveLength(c.messages.length);
    sigs.forEach((sig, i) => expect(schnorr.verify(sig, c.messages[i]!, c.child.groupKey.outputKey)).toBe(true));
    // Each node journaled the signing: asked again, it refuses (a request is signed once).
    await expect(alice.signTransferAsParty({ ceremonyId: 'cer-party-2', requestId, signers, self: pa, head }, () => net.channel(pa.partyId), noReport)).rejects.toThrow(/already signed/);
    // Nothing secret crossed the hub: only commitments and signature shares.
    expect(new Set(net.sent.map((m) => m.kind))).toEqual(new Set(['sign/commit', 'sign/share']));
  }, 120_000);

  it('a coordinator that asks for more is refused before any share is opened', async () => {
    const carol = await node('carol');
    const [pc, pa] = (await consentingSigners(h, requestId, ['carol', 'alice'])) as [UnsealingParty, UnsealingParty];
    const head = carol.head();
    const ask = (over: Partial<Parameters<SignerGate['signTransferAsParty']>[0]>) =>
      carol.signTransferAsParty({ ceremonyId: 'cer-x', requestId, signers: [pc.partyId, pa.partyId], self: pc, head, ...over }, () => {
        throw new Error('no channel may be opened');
      }, noReport);
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
