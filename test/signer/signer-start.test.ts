// Signer nodes as processes: three `custos signer start` processes (each its own folder, replica and virtual Ledger)
// sign a transfer 2-of-3 through a real nats-server with a coordinator that holds no share; a signer SIGKILLed between
// the pick and its session is named and the two others sign; hostile and forged session requests never reach a device.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import type { NatsConnection } from '@nats-io/transport-node';
import { Transaction } from '@scure/btc-signer';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { transportKeysFromSeed } from '../../crypto/relay';
import { walletOutputKeyAt } from '../../crypto/transfers/transaction';
import { NatsRelayTransport } from '../../main/relay';
import { controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage } from '../../main/signer/control';
import { signWithNodes, type CoordinatorEvent } from '../../main/signer/coordinator';
import type { NodeKeys } from '../../main/signer/node-keys';
import { nodeSealedShare } from '../../main/signer/node-share';
import { Store } from '../../main/store';
import type { TransferHarness } from '../transfers/helpers';
import { custos } from './node-processes';
import { CUSTODIANS, signerTeam, type Who } from './signer-team';

const nodes = signerTeam('custos-signer-start-');
const { root, nodeDir, keys, procs } = nodes;
let h: TransferHarness;
let nc: NatsConnection;
const requests: string[] = [];
/** The nodes still running after the kill test. */
let alive: Who[] = [...CUSTODIANS];

beforeAll(async () => {
  ({ h } = await nodes.open());
  // Three small requests, each allowed (one approver); R-3 is left pending: the log does not allow it yet.
  for (let i = 0; i < 3; i++) {
    const id = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '400000', feeRate: 2, deviceId: h.device.dave })).id;
    if (i < 2) await h.transfers.approve({ requestId: id, deviceId: h.device.erin });
    requests.push(id);
  }
  // Each node's replica joins the team log, and takes its custodian's sealed share from the console that ran the DKG.
  await nodes.start({ importShares: true });
  nc = await nodes.connection();
}, 240_000);

afterAll(() => nodes.close());

/** The recorded transaction's key-path signatures verify under the wallet's keys, over the request's sighashes. */
function expectSignedAndValid(requestId: string): void {
  const state = h.vault.readState();
  const t = state.transfers.find((x) => x.id === requestId)!;
  expect(t.signed).not.toBeNull();
  const root = groupKeyOf(state.wallets.find((w) => w.id === h.walletId)!.key!);
  const tx = Transaction.fromRaw(hexToBytes(t.signed!.tx), { allowUnknownOutputs: true });
  expect(tx.inputsLength).toBe(t.request.sighashes.length);
  for (let i = 0; i < tx.inputsLength; i++) {
    const sig = tx.getInput(i).finalScriptWitness![0]!;
    expect(schnorr.verify(sig, hexToBytes(t.request.sighashes[i]!), walletOutputKeyAt(root, t.request.inputPaths[i]!))).toBe(true);
  }
}

const screensOf = () => Object.fromEntries(Object.entries(h.screens).map(([k, v]) => [k, v.length]));

describe('custos signer start: nodes as processes, a coordinator with no share', () => {
  it('three node processes, 2-of-3: a `custos transfer sign --nodes` process that holds no share gets it signed', async () => {
    const [r1] = requests as [string];
    const started = Date.now();
    const out = await custos('transfer', 'sign', r1, '--nodes', '--node-dir', nodeDir('dave'), '--data-dir', h.dir, '--timeout', '30', '--json');
    const ms = Date.now() - started;
    expect(out.code, out.out + out.err).toBe(0);
    expect(JSON.parse(out.out)).toMatchObject({ request: { id: r1, status: 'signed' } });
    // The coordinator's process opened no device: no screen, no shared secret, no unseal secret.
    expect(out.err).not.toMatch(/virtual Ledger screen|Provide public secret key/);
    // The first two custodians in the key's order whose nodes answered signed, each after its own device; the third was not asked.
    const picked = /: with (\w+), (\w+)'s signer nodes/.exec(out.err)!.slice(1).map((n) => n.toLowerCase() as Who);
    expect(new Set(picked).size).toBe(2);
    for (const who of picked) await procs[who].waitFor((e) => e.event === 'signed' && e.requestId === r1);
    const third = CUSTODIANS.find((w) => !picked.includes(w))!;
    expect(procs[third].events.some((e) => e.event === 'accepted')).toBe(false);
    for (const who of picked) expect(procs[who].stderr()).toMatch(/Provide public secret key|shared secret|secret/i);
    await h.vault.teamSync();
    expectSignedAndValid(r1);
    console.info(`signing ${r1} through three node processes: ${ms} ms for the coordinator's CLI process (start included)`);
  }, 120_000);

  it('a node SIGKILLed after it was picked is named when the session times out; nothing is recorded; the other two sign', async () => {
    const [, r2] = requests as [string, string];
    await h.vault.teamSync();
    const transport = new NatsRelayTransport(nc);
    const before = screensOf();
    const events: CoordinatorEvent[] = [];
    const coordinate = (only?: string[]) =>
      signWithNodes(r2, {
        vault: h.vault,
        transfers: h.transfers,
        keys: keys.dave,
        transport,
        sessionMs: 6_000,
        resendMs: 200,
        ...(only === undefined ? {} : { only }),
        onEvent: async (e) => {
          events.push(e);
          // The second node picked dies between answering the ping and its session.
          if (e.type === 'picked' && victim === null) {
            victim = e.custodians[1]!;
            survivor = e.custodians[0]!;
            await procs[victim.toLowerCase() as Who].kill();
          }
        },
      });
    let victim: string | null = null;
    let survivor: string | null = null;
    const failure = await coordinate().then(() => null, (err: unknown) => err as Error);
    expect(failure?.message).toMatch(new RegExp(`timed out: .*${victim}'s signer node \\(party [0-9a-f]{64}\\) did not answer.*Nothing was recorded as signed`));
    await h.vault.teamSync();
    expect(h.vault.readState().transfers.find((t) => t.id === r2)!.signed).toBeNull();
    // The survivor's node made no signature share for it (no signing package came), so it signs in the next ceremony.
    const first = procs[survivor!.toLowerCase() as Who];
    await first.waitFor((e) => e.event === 'failed' && e.requestId === r2, 30_000);
    const third = CUSTODIANS.find((w) => w !== survivor!.toLowerCase() && w !== victim!.toLowerCase())!;
    const t0 = Date.now();
    const view = await coordinate([survivor!, third]);
    console.info(`signing ${r2} with two node processes, coordinator in process: ${Date.now() - t0} ms (ping ${'≤'}2 s included)`);
    expect(view.status).toBe('signed');
    expectSignedAndValid(r2);
    await procs[third].waitFor((e) => e.event === 'signed' && e.requestId === r2);
    await first.waitFor((e) => e.event === 'signed' && e.requestId === r2);
    alive = [survivor!.toLowerCase() as Who, third];
    // The coordinator asked none of the devices in its own process.
    expect(screensOf()).toEqual(before);
  }, 120_000);

  it('custos signer ping says which registered nodes are online, ready and at the console\'s head', async () => {
    const out = await custos('signer', 'ping', '--node-dir', nodeDir('dave'), '--data-dir', h.dir, '--json');
    expect(out.code, out.err).toBe(1);
    const rows = (JSON.parse(out.out) as { nodes: { name: string; online: boolean; problem: string | null }[] }).nodes;
    const byName = new Map(rows.map((r) => [r.name.toLowerCase(), r]));
    for (const who of alive) expect(byName.get(who)).toMatchObject({ online: true, problem: null });
    const down = CUSTODIANS.find((w) => !alive.includes(w))!;
    expect(byName.get(down)).toMatchObject({ online: false, problem: expect.stringMatching(/did not answer/) });
    // Dave registered a node only to coordinate; it does not run.
    expect(byName.get('dave')).toMatchObject({ online: false });
  }, 60_000);

  it('a hostile coordinator gets nothing: a request the log does not allow, a forged sender, a sender naming another coordinator, garbage', async () => {
    const r3 = requests[2]!;
    await h.vault.teamSync();
    const transport = new NatsRelayTransport(nc);
    const state = h.vault.readState();
    const vaultId = state.vaultId;
    const head = { seq: h.vault.logHead()!.count - 1, fingerprint: h.vault.logHead()!.fingerprint };
    const [target, other] = alive as [Who, Who];
    const node = procs[target];
    const targetParty = partyIdFor(h.ids[target]);
    const otherParty = partyIdFor(h.ids[other]);
    const daveAddress = coordinatorAddress(h.ids.dave);
    const answers: ControlMessage[] = [];
    const sub = await transport.subscribe(controlRoute(vaultId, daveAddress), (bytes) => {
      void openControl(bytes, { vaultId, me: daveAddress, keys: keys.dave.transport, state, now: Date.now() }).then((m) => answers.push(m.message), () => undefined);
    });
    const targetKeys = { signingKey: hexToBytes(keys[target].signingKey.slice(2)), hpkeKey: hexToBytes(keys[target].hpkeKey.slice(2)) };
    const request = (ceremonyId: string, requestId: string, coordinatorUserId = h.ids.dave): ControlMessage => ({
      kind: 'session/request', ceremonyId, requestId, signers: [targetParty, otherParty], head, coordinatorUserId, expiresAt: Date.now() + 20_000,
    });
    const send = (from: string, senderKeys: NodeKeys['transport'], m: ControlMessage) =>
      sendControl({ transport, vaultId, keys: senderKeys, from, to: targetParty, toKeys: targetKeys, message: m, expiresAt: (m as { expiresAt: number }).expiresAt });
    const screens = node.screens();
    const mark = node.events.length;
    try {
      // Signed by Dave's registered node keys, for a request still waiting for its approval.
      await send(daveAddress, keys.dave.transport, request('c-hostile-1', r3));
      const refusedPending = await node.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'c-hostile-1', 30_000, mark);
      expect(refusedPending.reason).toMatch(/request R-3 lacks approvals/);
      await expect.poll(() => answers.find((a) => a.kind === 'session/answer' && a.ceremonyId === 'c-hostile-1'), { timeout: 10_000 }).toMatchObject({ accepted: false });
      // A request the log never held.
      await send(daveAddress, keys.dave.transport, request('c-hostile-2', 'R-99'));
      expect((await node.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'c-hostile-2', 30_000, mark)).reason).toMatch(/no request R-99/);
      // Forged: Dave's coordinator address, keys no device registered.
      const forged = transportKeysFromSeed(randomBytes(32));
      await send(daveAddress, forged, request('c-forged', requests[1]!));
      expect((await node.waitFor((e) => e.event === 'refused' && /signature does not verify/.test(String(e.reason)), 30_000, mark)).from).toBeNull();
      // Alice's registered node keys, claiming Dave coordinates.
      await send(coordinatorAddress(h.ids[other]), keys[other].transport, request('c-other', requests[1]!));
      expect((await node.waitFor((e) => e.event === 'refused' && e.ceremonyId === 'c-other', 30_000, mark)).reason).toMatch(/not by the coordinator it names/);
      // Garbage on the node's control subject.
      nc.publish(`custos.relay.${vaultId}.control.${targetParty}`, new Uint8Array([1, 2, 3]));
      await node.waitFor((e) => e.event === 'refused' && /not an envelope/.test(String(e.reason)), 30_000, mark);
      // The node's device was never asked, and the node still runs.
      expect(node.screens()).toBe(screens);
      expect(node.events.slice(mark).filter((e) => e.event === 'accepted')).toEqual([]);
      expect(node.child.exitCode).toBeNull();
    } finally {
      await sub.close();
    }
  }, 120_000);

  it('a node uses only the sealed share the log recorded: a changed share file is refused before any device is asked', () => {
    const state = h.vault.readState();
    const dir = path.join(root, 'copy');
    cpSync(nodeDir('alice'), dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}replica`) });
    mkdirSync(path.join(root, 'empty-replica'));
    const empty = Store.open(path.join(root, 'empty-replica'));
    try {
      const read = () => nodeSealedShare({ nodeDir: dir, nodeId: keys.alice.nodeId, state, walletId: h.walletId, replica: empty });
      expect(read().length).toBeGreaterThan(0);
      const file = path.join(dir, 'shares', readdirSync(path.join(dir, 'shares'))[0]!);
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { sealed: string };
      writeFileSync(file, JSON.stringify({ ...parsed, sealed: (parsed.sealed[0] === 'a' ? 'b' : 'a') + parsed.sealed.slice(1) }));
      expect(read).toThrow(/not the one the signed log recorded: it is not used/);
      rmSync(file);
      expect(read).toThrow(/no sealed share .* custos signer import-share/);
    } finally {
      empty.close();
    }
  });

  it('SIGTERM stops a node cleanly', async () => {
    const node = procs[alive[0]!];
    const code = await node.stop();
    expect(code).toBe(0);
    expect(node.events.at(-1)).toMatchObject({ event: 'stopped' });
  }, 30_000);
});
