// Team mode from the attacker's side: once the signed log moves the vault to team mode, a compromised main holding the
// custodians' opened shares (a wallet made on the single desk, before the move) gets nothing from the real MPC host
// process, not even after a restart or by hiding the record; and a console whose team settings are gone says why it
// signs nothing instead of falling back to its MPC host.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost';
import { hostAnchorStatement, shareUseStatement, type GovernanceState } from '../../crypto/governance';
import type { UnsealingParty } from '../../main/mpc-host/signer-gate';
import { bodiesLog } from '../../main/mpc/host-log';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { openableShares } from '../../main/wallets/shares';
import { adopted } from '../wallets/helpers';
import { consentingSigners, PATH, transferHarness, type TransferHarness } from '../transfers/helpers';
import { startRawHost, type RawHost } from './helpers';

let h: TransferHarness;
let folder: string;
let host: RawHost;
let n = 0;
/** Approved before the move, its custodians' shares opened and their use statements signed: all main needs, but the mode. */
let ready: { requestId: string; signers: UnsealingParty[] };
/** A wallet whose DKG was approved before the move and never run. */
let hotWalletId: string;
/** The seq of the record that moved the vault to team mode. */
let since: number;

beforeAll(async () => {
  h = await transferHarness();
  folder = mkdtempSync(path.join(tmpdir(), 'custos-team-mode-host-'));
  host = start();
  // A member pins the host to the vault on their device, as on any single desk.
  const state = h.vault.readState();
  const hostId = (await send({ type: 'signer.status' })).reply.hostId as string;
  const alice = state.users.find((u) => u.name === 'Alice')!;
  const genesis = JSON.parse(h.records()[0]!) as { admin: { identityAddress: string } };
  const a = { vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress: genesis.admin.identityAddress };
  const signature = await h.vault.signOnDevice(h.device.alice, PATH, hostAnchorStatement({ ...a, hostId }), alice.identityAddress);
  const pinned = await send({ type: 'anchor.pin', ...a, confirmedBy: alice.identityAddress, signature, records: h.records() });
  expect(pinned.reply).toMatchObject({ type: 'signer.state', problem: null });
}, 240_000);
afterAll(async () => {
  host?.handle.kill();
  await h?.close();
  rmSync(folder, { recursive: true, force: true });
});

function start(): RawHost {
  return startRawHost({ env: { ...process.env, CUSTOS_MPC_HOST_DATA: folder, CUSTOS_MPC_HOST_QUIET: '1', CUSTOS_MPC_HOST_CHECKPOINT_EVERY: '1' } });
}

/** Sends a raw message as main would, and collects its answer and the steps it reported (`unseal`: shares opened). */
async function send(message: Record<string, unknown>): Promise<{ reply: Record<string, unknown>; steps: string[] }> {
  const id = `team-${++n}`;
  const steps: string[] = [];
  const collect = (m: Record<string, unknown>) => {
    if (m.id === id && m.type === 'progress') steps.push(m.step as string);
    return false;
  };
  host.handle.postMessage({ v: 3, id, ...message });
  const reply = await host.next((m) => collect(m) || (m.id === id && m.type !== 'progress'), 60_000);
  return { reply, steps };
}

/** The requests the host's own ledger says it signed, read from its journal as an attacker on the disk would. */
function ledger(): string[] {
  const file = path.join(folder, 'journal.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as { entry: { kind: string; requestId?: string } })
    .filter((l) => l.entry.kind === 'signed')
    .map((l) => l.entry.requestId as string);
}

async function refused(message: Record<string, unknown>, code: string, why: RegExp): Promise<void> {
  const before = ledger();
  const { reply, steps } = await send(message);
  expect(reply, JSON.stringify(reply)).toMatchObject({ type: 'error', code });
  expect(reply.message).toMatch(why);
  expect(steps).not.toContain('unseal');
  expect(ledger()).toEqual(before);
}

const tail = (records: readonly string[], fromSeq = 0) => bodiesLog(records).tail(fromSeq);
const wire = (parties: UnsealingParty[]) =>
  parties.map((p) => ({ partyId: p.partyId, sealed: bytesToHex(p.sealed), unsealSecret: bytesToHex(p.unsealSecret), useSignature: p.useSignature }));
const sign = (requestId: string, signers: UnsealingParty[], records = h.records()) => ({ type: 'transfer.sign', ceremonyId: `c-${n + 1}`, requestId, ...tail(records), signers: wire(signers) });

async function readyRequest(): Promise<string> {
  const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
  await h.transfers.approve({ requestId: r.id, deviceId: h.device.erin });
  return r.id;
}

/** Each named custodian's device-signed use statement for the ceremony `ceremonyId` the wallet owes. */
async function ceremonyUses(state: GovernanceState, walletId: string, ceremony: 'dkg' | 'refresh', ceremonyId: string, who: readonly ('alice' | 'bob' | 'carol')[]) {
  const wallet = state.wallets.find((w) => w.id === walletId)!;
  const out: { partyId: string; useSignature: string; who: 'alice' | 'bob' | 'carol' }[] = [];
  for (const w of who) {
    const user = state.users.find((u) => u.id === h.ids[w])!;
    out.push({ who: w, partyId: partyIdFor(user.id), useSignature: await h.vault.signOnDevice(h.device[w], PATH, shareUseStatement(state, wallet, user, { ceremony, ceremonyId }), user.identityAddress) });
  }
  return out;
}

describe('before the move: the single desk', () => {
  it('the host signs an allowed request with the shares main brings (the control)', async () => {
    const requestId = await readyRequest();
    const { reply, steps } = await send(sign(requestId, await consentingSigners(h, requestId)));
    expect(reply).toMatchObject({ type: 'transfer.signed', requestId });
    expect(steps).toContain('unseal');
    expect(ledger()).toContain(requestId);
  });

  it('a request, a wallet and a refresh are approved; then the administrators move the vault to team mode', async () => {
    const requestId = await readyRequest();
    ready = { requestId, signers: await consentingSigners(h, requestId) };
    await adopted(h, () => h.vault.proposeWallet({ name: 'Hot BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
    hotWalletId = h.vault.readState().wallets.find((w) => w.name === 'Hot BTC')!.id;
    await adopted(h, () => h.vault.proposeRefresh({ walletId: h.walletId, deviceId: h.device.alice }));
    expect(h.vault.inTeam()).toBe(false);
    const p = await h.vault.proposeTeamMode({ deviceId: h.device.alice });
    expect(p.title).toMatch(/team mode/);
    // One approval of a quorum of two: still a single desk.
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    expect(h.vault.teamModeRecord()).toBeNull();
    const approved = await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    expect(approved.status).toBe('approved');
    since = h.vault.teamModeRecord()!;
    expect(since).toBe(h.records().length - 1);
    expect(h.vault.inTeam()).toBe(true);
    expect(h.vault.status().vault?.settings.teamModeSince).toBe(since);
  });
});

describe('after the move: a compromised main against the MPC host', () => {
  const teamMode = () => new RegExp(`team mode by record ${since}: its keys are made and used only by the custodians' signer nodes`);

  it('gets no signature for a fully approved request, with the custodians opened shares and their use statements', async () => {
    await refused(sign(ready.requestId, ready.signers), 'POLICY_DENIED', teamMode());
    // Use statements signed afresh after the move change nothing.
    await refused(sign(ready.requestId, await consentingSigners(h, ready.requestId)), 'POLICY_DENIED', teamMode());
  });

  it('cannot hide the record once the host has seen it: a log without it is a log cut short', async () => {
    const before = h.records().slice(0, since);
    await refused(sign(ready.requestId, ready.signers, before), 'TAMPERING_DETECTED', /removed/);
  });

  it('runs no DKG and no refresh the log owes, with the custodians device-signed use statements', async () => {
    const state = h.vault.readState();
    const dkg = await ceremonyUses(state, hotWalletId, 'dkg', 'c-team-dkg', ['alice', 'bob', 'carol']);
    await refused({ type: 'wallet.keygen', ceremonyId: 'c-team-dkg', walletId: hotWalletId, ...tail(h.records()), parties: dkg.map(({ partyId, useSignature }) => ({ partyId, useSignature })) }, 'POLICY_DENIED', /team mode by record \d+.*refuses to run a DKG/);
    const uses = await ceremonyUses(state, h.walletId, 'refresh', 'c-team-refresh', ['alice', 'bob']);
    const sealed = openableShares(h.vault, h.walletId);
    const dealers: UnsealingParty[] = [];
    for (const u of uses) {
      const box = sealed.get(u.partyId)!;
      dealers.push({ partyId: u.partyId, sealed: box, unsealSecret: await unsealSecret(h.devices, h.device[u.who], PATH, box, 'a test'), useSignature: u.useSignature });
    }
    await refused({ type: 'wallet.reshare', ceremonyId: 'c-team-refresh', walletId: h.walletId, ...tail(h.records()), dealers: wire(dealers) }, 'POLICY_DENIED', /team mode by record \d+.*refuses to refresh or reshare a key/);
  });

  it('gets nothing from the host restarted from its own folder (its checkpoint holds the mode)', async () => {
    host.handle.kill();
    await host.exited;
    host = start();
    await host.next((m) => m.type === 'ready');
    await refused(sign(ready.requestId, ready.signers), 'POLICY_DENIED', teamMode());
    expect(ledger()).not.toContain(ready.requestId);
  });
});

describe('after the move: the console without its team settings', () => {
  it('refuses to sign and to run a ceremony in words, and its own MPC host signs nothing', async () => {
    expect(existsSync(path.join(h.dir, 'team.json'))).toBe(false);
    const words = new RegExp(`This vault is in team mode by record ${since}; its signings and key ceremonies go through the custodians' signer nodes; this console is not joined to its team`);
    await expect(h.transfers.sign(ready.requestId)).rejects.toThrow(words);
    await expect(h.ceremonies.run(hotWalletId)).rejects.toThrow(words);
    expect(h.vault.readState().transfers.find((t) => t.id === ready.requestId)?.signed).toBeNull();
  });
});
