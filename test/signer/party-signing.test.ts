// Signing with each custodian's share on its own signer (its own folder, its own pinned log, only its own share), and a
// coordinator that holds no share: the signature verifies; a coordinator that asks for more gets nothing signed.
import { schnorr } from '@noble/curves/secp256k1.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAnchorStatement, type GenesisRecord } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { deriveChildKey } from '../../crypto/frost/hd';
import type { SignMessage } from '../../crypto/frost/sign';
import { BROADCAST, COORDINATOR } from '../../crypto/frost/types';
import { signingPlan } from '../../crypto/transfers/evidence';
import { runSignCoordinator, type PartyChannel } from '../../main/mpc-host/ceremonies/sign-party';
import { DkgPool } from '../../main/mpc-host/dkg-pool';
import { GateRefusal, SignerGate, type UnsealingParty } from '../../main/mpc-host/signer-gate';
import { headOf } from '../../main/store/log-head';
import { consentingSigners, PATH, transferHarness, type TransferHarness } from '../transfers/helpers';

let h: TransferHarness;
let requestId: string;
const dirs: string[] = [];
const pool = new DkgPool({ threads: 1 });

beforeAll(async () => {
  h = await transferHarness();
  requestId = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId, deviceId: h.device.erin });
}, 240_000);
afterAll(async () => {
  await h?.close();
  await pool.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A signer node's gate in its own folder, pinned by `who`'s device and given the log (as its follower would). */
async function node(who: 'alice' | 'bob' | 'carol'): Promise<SignerGate> {
  const dir = mkdtempSync(path.join(tmpdir(), `custos-node-${who}-`));
  dirs.push(dir);
  const gate = new SignerGate({ dataDir: dir, now: () => Date.now(), rng: randomBytes, monotonic: () => performance.now(), pause: () => Promise.resolve(), dkgPool: pool });
  const hostId = gate.status().hostId;
  // The custodian's device registers the node (its keys are the relay's business; any distinct ones do here).
  await h.vault.registerNode({ nodeId: hostId, signingKey: key(), hpkeKey: key(), deviceId: h.device[who] });
  const state = h.vault.readState();
  const records = h.records();
  const me = state.users.find((u) => u.id === h.ids[who])!;
  const genesisAddress = (JSON.parse(records[0]!) as GenesisRecord).admin.identityAddress;
  const a = { vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress };
  const signature = await h.vault.signOnDevice(h.device[who], PATH, hostAnchorStatement({ ...a, hostId }), me.identityAddress);
  await gate.pinAnchor({ ...a, confirmedBy: me.identityAddress, signature, records });
  return gate;
}

/** In-memory delivery between the parties of one session, each with its own copy of every message. */
function hub(members: readonly string[]) {
  const boxes = new Map(members.map((m) => [m, { queue: [] as SignMessage[], waiting: [] as ((m: SignMessage) => void)[] }]));
  const deliver = (to: string, m: SignMessage) => {
    const box = boxes.get(to);
    if (box === undefined) throw new Error(`no member ${to}`);
    const copy = structuredClone(m);
    const w = box.waiting.shift();
    if (w) w(copy);
    else box.queue.push(copy);
  };
  const sent: SignMessage[] = [];
  return {
    sent,
    channel(self: string): PartyChannel<SignMessage> {
      return {
        send: async (messages) => {
          for (const m of messages) {
            sent.push(structuredClone(m));
            if (m.to === BROADCAST) for (const other of members) if (other !== self) deliver(other, m);
            if (m.to !== BROADCAST) deliver(m.to, m);
          }
        },
        receive: () => {
          const box = boxes.get(self)!;
          const next = box.queue.shift();
          return next ? Promise.resolve(next) : new Promise((resolve) => box.waiting.push(resolve));
        },
      };
    },
  };
}

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
const key = () => '0x' + Buffer.from(randomBytes(32)).toString('hex');

describe('signing with one share per signer node', () => {
  it('two nodes, each with only its own share, and a coordinator with none, make a signature that verifies', async () => {
    const alice = await node('alice');
    const bob = await node('bob');
    // Alice's node takes the records made since it was pinned (Bob's registration), as its follower would.
    const records = h.records();
    await alice.sync({ fromSeq: 0, records, head: headOf(h.store.records.all()).fingerprint });
    const [pa, pb] = (await consentingSigners(h, requestId, ['alice', 'bob'])) as [UnsealingParty, UnsealingParty];
    const c = coordinatorSession();
    // One session here: the demo's request spends inputs of one path.
    expect(new Set(c.plan.inputs.map((i) => i.path.join('/'))).size).toBe(1);
    const ceremonyId = 'cer-party-1';
    const sessionId = `${ceremonyId}/${c.path.join('-') || 'root'}`;
    const signers = [pa.partyId, pb.partyId];
    const net = hub([pa.partyId, pb.partyId, COORDINATOR]);
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
