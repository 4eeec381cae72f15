// A compromised main speaks to the real MPC host process directly, with raw messages and real custodians' shares and
// secrets in hand, and tries every way to get a signature, a key or new shares that the signed log does not justify.
// Each attempt is refused with its reason, the host's ledger is unchanged, and no share is opened: the host reports
// the `unseal` step of any ceremony before it opens a share, and none is reported for a refused request.
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partyIdFor } from '../../crypto/frost';
import { genesisStatement, hostAnchorStatement, shareUseStatement, type GenesisRecord } from '../../crypto/governance';
import type { UnsealingParty } from '../../main/mpc-host/signer-gate';
import { bodiesLog } from '../../main/mpc/host-log';
import { CHECKPOINT_FILE, readCheckpoint, writeCheckpoint } from '../../main/mpc-host/checkpoint';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { openableShares } from '../../main/wallets/shares';
import { device, registeredUser } from '../crypto/fixtures';
import { consentingSigners, PATH, transferHarness, type TransferHarness } from '../transfers/helpers';
import { startRawHost, type RawHost } from './helpers';

let h: TransferHarness;
let folder: string;
let host: RawHost;
let n = 0;

beforeAll(async () => {
  h = await transferHarness();
  // Made-up regtest coins for the many requests below (each open request holds the coin it spends).
  for (let i = 0; i < 64; i++) h.transfers.fund({ walletId: h.walletId, txid: (i + 16).toString(16).padStart(2, '0').repeat(32), vout: 0, amount: '200000', path: `0/${i + 10}`, label: 'made-up regtest prevout' });
  folder = mkdtempSync(path.join(tmpdir(), 'custos-attacked-signer-'));
  host = start();
}, 240_000);
afterAll(async () => {
  host?.handle.kill();
  await h?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** A restarted host compiles its entry under tsx before it says ready: seconds on a loaded machine. */
const READY_MS = 60_000;
/** A test that restarts the host (each restart a new process under tsx) a few times. */
const RESTARTS_MS = 120_000;

function start(): RawHost {
  return startRawHost({ env: { ...process.env, CUSTOS_MPC_HOST_DATA: folder, CUSTOS_MPC_HOST_QUIET: '1', CUSTOS_MPC_HOST_CHECKPOINT_EVERY: '1' } });
}

interface Answer {
  reply: Record<string, unknown>;
  /** The steps the host reported for this request: `unseal` means it began opening shares. */
  steps: string[];
}

/** Sends a raw message as main would (any shape), and collects its answer and the progress it reported. */
async function send(message: Record<string, unknown>): Promise<Answer> {
  const id = `attack-${++n}`;
  const steps: string[] = [];
  const collect = (m: Record<string, unknown>) => {
    if (m.id === id && m.type === 'progress') steps.push(m.step as string);
    return false;
  };
  host.handle.postMessage({ v: 3, id, ...message });
  const reply = await host.next((m) => collect(m) || (m.id === id && m.type !== 'progress'), 60_000);
  return { reply, steps };
}

/** The transfer entries of the host's own ledger, read from its journal file as an attacker on the disk would. */
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

/** Expects a refusal with `code` and a message matching `why`, no share opened and the ledger as it was. */
async function refused(message: Record<string, unknown>, code: string, why: RegExp): Promise<void> {
  const before = ledger();
  const { reply, steps } = await send(message);
  expect(reply, JSON.stringify(reply)).toMatchObject({ type: 'error', code });
  expect(reply.message).toMatch(why);
  expect(steps).not.toContain('unseal');
  expect(ledger()).toEqual(before);
}

const wire = (parties: UnsealingParty[]) =>
  parties.map((p) => ({ partyId: p.partyId, sealed: bytesToHex(p.sealed), unsealSecret: bytesToHex(p.unsealSecret), useSignature: p.useSignature }));
const sign = (requestId: string, signers: UnsealingParty[], records = h.records()) => ({ type: 'transfer.sign', ceremonyId: `c-${n + 1}`, requestId, ...tail(records), signers: wire(signers) });

/** The log as a tail from `fromSeq` (from genesis unless said), bound by the fingerprint of all of `records`. */
const tail = (records: readonly string[], fromSeq = 0) => bodiesLog(records).tail(fromSeq);

function genesisOf(records: readonly string[]): GenesisRecord {
  return JSON.parse(records[0]!) as GenesisRecord;
}

/** The anchor.pin fields for the signer `hostId`, its statement signed by `who`'s virtual Ledger. */
async function anchor(hostId: string, who: 'alice' | 'mallory', genesisAddress?: string) {
  const state = h.vault.readState();
  const signer = state.users.find((u) => u.name.toLowerCase() === who)!;
  const a = { vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress: genesisAddress ?? genesisOf(h.records()).admin.identityAddress };
  return { ...a, confirmedBy: signer.identityAddress, signature: await h.vault.signOnDevice(h.device[who], PATH, hostAnchorStatement({ ...a, hostId }), signer.identityAddress) };
}

/** Every custodian of the wallet, each with a device signature of something (not a use statement of this ceremony). */
async function anyParties(): Promise<{ partyId: string; useSignature: string }[]> {
  const state = h.vault.readState();
  const alice = state.users.find((u) => u.name === 'Alice')!;
  const any = await h.vault.signOnDevice(h.device.alice, PATH, hostAnchorStatement({ vaultId: state.vaultId, vaultName: state.vaultName, genesisAddress: alice.identityAddress, hostId: '0'.repeat(16) }), alice.identityAddress);
  return state.wallets.find((w) => w.id === h.walletId)!.key!.custodians.map((c) => ({ partyId: c.partyId, useSignature: any }));
}

/** A request approved by one approver: ready to sign under the "small" rule. */
async function readyRequest(amount = '100000'): Promise<string> {
  const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount, feeRate: 1, deviceId: h.device.dave });
  await h.transfers.approve({ requestId: r.id, deviceId: h.device.erin });
  return r.id;
}

describe('a compromised main against a signer pinned to nothing', () => {
  it('signs nothing and runs no ceremony before a person pins the vault', async () => {
    const requestId = await readyRequest();
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'POLICY_DENIED', /not pinned to a vault/);
    await refused({ type: 'log.sync', ...tail(h.records()) }, 'POLICY_DENIED', /not pinned to a vault/);
    await refused({ type: 'wallet.keygen', ceremonyId: 'c-early', walletId: h.walletId, ...tail(h.records()), parties: await anyParties() }, 'POLICY_DENIED', /not pinned to a vault/);
  });

  it('refuses a forged genesis, an anchor signed by a device outside the vault, and one confirmed for another signer', async () => {
    const { reply } = await send({ type: 'signer.status' });
    const hostId = reply.hostId as string;
    const records = h.records();
    // Mallory (a member) confirms a vault whose genesis administrator is her own key: not the genesis of the log.
    await refused({ type: 'anchor.pin', ...(await anchor(hostId, 'mallory', genesisOf(records).admin.identityAddress.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')))), records }, 'TAMPERING_DETECTED', /does not start at the genesis/);
    // A genesis forged with another key, for the same vault id and name, with a matching anchor signed by that key.
    const forger = device(9);
    const real = genesisOf(records);
    const admin = registeredUser(real, 0, forger, real.admin.id, real.admin.name, ['administrator']);
    const { signature: _real, ...draft } = { ...real, admin };
    const forged = JSON.stringify({ ...draft, signature: forger.sign(genesisStatement(draft)) });
    const forgedAnchor = { vaultId: real.vaultId, vaultName: real.vaultName, genesisAddress: forger.address };
    await refused(
      { type: 'anchor.pin', ...forgedAnchor, confirmedBy: forger.address, signature: forger.sign(hostAnchorStatement({ ...forgedAnchor, hostId })), records: [forged, ...records.slice(1)] },
      'POLICY_DENIED',
      /does not hold/,
    );
    // The real vault, confirmed by a key that is no member of it.
    const genuine = { vaultId: real.vaultId, vaultName: real.vaultName, genesisAddress: real.admin.identityAddress };
    await refused({ type: 'anchor.pin', ...genuine, confirmedBy: forger.address, signature: forger.sign(hostAnchorStatement({ ...genuine, hostId })), records }, 'POLICY_DENIED', /no active member/);
    // Alice's real confirmation, but for the console's own signer: it cannot be replayed to this one.
    await refused({ type: 'anchor.pin', ...(await anchor('0123456789abcdef', 'alice')), records }, 'POLICY_DENIED', /not signed by the device/);
    expect((await send({ type: 'signer.status' })).reply).toMatchObject({ anchor: null, pinnedSeq: -1 });
  });

  it('is pinned by a member confirming the vault on their device, and then signs an allowed request once', async () => {
    const hostId = (await send({ type: 'signer.status' })).reply.hostId as string;
    const pinned = await send({ type: 'anchor.pin', ...(await anchor(hostId, 'alice')), records: h.records() });
    expect(pinned.reply).toMatchObject({ type: 'signer.state', anchor: { vaultId: h.vault.readState().vaultId }, problem: null });
    // The control: with the same kind of message and honest evidence, the host signs and says it opened the shares.
    const requestId = await readyRequest();
    const { reply, steps } = await send(sign(requestId, await consentingSigners(h, requestId)));
    expect(reply).toMatchObject({ type: 'transfer.signed', requestId });
    expect(steps).toContain('unseal');
    expect(ledger()).toContain(requestId);
    // Asked again for the same request, with fresh use statements: a request is signed once.
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'POLICY_DENIED', /already signed/);
  });
});

describe('a compromised main against a pinned signer', () => {
  it('refuses a signature for no request, and for a request still missing its approval', async () => {
    const requestId = await readyRequest();
    await refused(sign('R-999', await consentingSigners(h, requestId)), 'POLICY_DENIED', /no request R-999/);
    const unapproved = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
    await refused(sign(unapproved.id, await consentingSigners(h, unapproved.id)), 'POLICY_DENIED', /lacks approvals/);
    // Main drops the approver's approval from the log it shows the host: the host saw the approval before.
    await h.transfers.approve({ requestId: unapproved.id, deviceId: h.device.erin });
    await send({ type: 'log.sync', ...tail(h.records()) });
    await refused(sign(unapproved.id, await consentingSigners(h, unapproved.id), h.records().slice(0, -1)), 'TAMPERING_DETECTED', /removed/);
  });

  it('takes only a tail that binds to the log it holds: another head, a rewritten past or a shorter log are refused, a gap is asked again', async () => {
    const requestId = await readyRequest();
    const records = h.records();
    const pinned = (await send({ type: 'signer.status' })).reply.pinnedSeq as number;
    expect(pinned).toBeLessThan(records.length - 1);
    const signers = await consentingSigners(h, requestId);
    const ask = (log: { fromSeq: number; records: string[]; head: string }) => ({ type: 'transfer.sign', ceremonyId: `c-${n + 1}`, requestId, ...log, signers: wire(signers) });
    const honest = tail(records, pinned + 1);
    // The honest records after the host's, claimed to extend another log (a head main made up).
    await refused(ask({ ...honest, head: 'ab'.repeat(32) }), 'TAMPERING_DETECTED', /not the one this signer holds.*rewritten/s);
    // The same tail bound to a log whose past was rewritten (an approval of an earlier request dropped and replaced).
    const rewritten = [...records];
    rewritten[pinned - 1] = records[pinned - 1]!.slice(0, -1) + ',"note":"rewritten"}';
    expect(rewritten[pinned - 1]).not.toBe(records[pinned - 1]);
    await refused(ask(tail(rewritten, pinned + 1)), 'TAMPERING_DETECTED', /rewritten/);
    // A log shorter than the one the host pinned, sent as an empty tail at its end.
    await refused(ask(tail(records.slice(0, pinned), pinned)), 'TAMPERING_DETECTED', /records were removed/);
    // A tail that starts past the host's end: the host says where to send from, and takes nothing.
    const gap = (await send(ask(tail(records, pinned + 2)))).reply;
    expect(gap).toMatchObject({ type: 'error', code: 'MPC_PROTOCOL', resendFrom: pinned + 1 });
    expect((await send({ type: 'signer.status' })).reply.pinnedSeq).toBe(pinned);
    // The control: the honest tail signs.
    const { reply } = await send(ask(honest));
    expect(reply).toMatchObject({ type: 'transfer.signed', requestId });
  });

  it('refuses an approved request whose transaction main swapped for other sighashes', async () => {
    const requestId = await readyRequest();
    const records = h.records();
    const at = records.findIndex((b) => (JSON.parse(b) as { type: string; requestId?: string }).type === 'transfer-request' && b.includes(`"requestId":"${requestId}"`));
    const request = JSON.parse(records[at]!) as { sighashes: string[] };
    request.sighashes = request.sighashes.map(() => '00'.repeat(32));
    const swapped = [...records.slice(0, at), JSON.stringify(request), ...records.slice(at + 1)];
    // Before the host has seen the request: the swapped sighashes are not those of the request's transaction.
    await refused(sign(requestId, await consentingSigners(h, requestId), swapped), 'POLICY_DENIED', /sighash of input 0 is not the one in the request/);
    // Once the host pinned the real request, a different one at that seq is a rewritten log.
    await send({ type: 'log.sync', ...tail(records) });
    await refused(sign(requestId, await consentingSigners(h, requestId), swapped), 'TAMPERING_DETECTED', /rewritten/);
  });

  it("refuses a custodian's use statement for another request, or signed by another custodian's device", async () => {
    const a = await readyRequest();
    const b = await readyRequest();
    await refused(sign(a, await consentingSigners(h, a, ['alice', 'bob'], b)), 'POLICY_DENIED', /did not sign the use of their share for this request/);
    const honest = await consentingSigners(h, a, ['alice', 'bob']);
    const swappedDevices = [{ ...honest[0]!, useSignature: honest[1]!.useSignature }, { ...honest[1]!, useSignature: honest[0]!.useSignature }];
    await refused(sign(a, swappedDevices), 'POLICY_DENIED', /did not sign the use/);
    // Bob's share and secret brought under Carol's party id.
    const carol = await consentingSigners(h, a, ['carol']);
    await refused(sign(a, [honest[0]!, { ...honest[1]!, partyId: carol[0]!.partyId }]), 'POLICY_DENIED', /not the one the log recorded/);
    // Only one custodian: below the threshold.
    await refused(sign(a, [honest[0]!, { ...honest[0]!, partyId: carol[0]!.partyId }]), 'POLICY_DENIED', /not the one the log recorded|did not sign/);
  });

  it('refuses a DKG nobody approved, and a refresh or reshare the log does not owe', async () => {
    const parties = await anyParties();
    await refused({ type: 'wallet.keygen', ceremonyId: 'c-dkg', walletId: h.walletId, ...tail(h.records()), parties }, 'POLICY_DENIED', /owes no key ceremony/);
    // A wallet proposed but not approved is no wallet of the log at all.
    await h.vault.proposeWallet({ name: 'Hot BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob], deviceId: h.device.alice });
    const proposal = JSON.parse(h.records().at(-1)!) as { action: { type: string; wallet: { id: string } } };
    expect(proposal.action.type).toBe('create-wallet');
    await refused({ type: 'wallet.keygen', ceremonyId: 'c-dkg-2', walletId: proposal.action.wallet.id, ...tail(h.records()), parties: parties.slice(0, 2) }, 'POLICY_DENIED', /no wallet/);
    const state = h.vault.readState();
    const sealed = openableShares(h.vault, h.walletId);
    const dealers: UnsealingParty[] = [];
    for (const who of ['alice', 'bob'] as const) {
      const partyId = partyIdFor(h.ids[who]);
      const box = sealed.get(partyId)!;
      dealers.push({ partyId, sealed: box, unsealSecret: await unsealSecret(h.devices, h.device[who], PATH, box, 'a test'), useSignature: parties[0]!.useSignature });
    }
    expect(state.wallets.find((w) => w.id === h.walletId)!.pending).toBeNull();
    await refused({ type: 'wallet.reshare', ceremonyId: 'c-refresh', walletId: h.walletId, ...tail(h.records()), dealers: wire(dealers) }, 'POLICY_DENIED', /owes no key ceremony/);
  });

  it('knows no message of the old protocol, nor any old ceremony message under the new version', async () => {
    for (const type of ['sign.run', 'dkg.run', 'reshare.run']) {
      for (const v of [2, 3]) {
        const id = `old-${type}-${v}`;
        host.handle.postMessage({ v, id, type, ceremonyId: id, walletId: h.walletId, signers: [], messages: [] });
        const reply = await host.next((m) => m.id === id);
        expect(reply).toMatchObject({ type: 'error', code: 'MPC_PROTOCOL' });
        expect(reply.message).toMatch(v === 2 ? /speaks protocol 3/ : /unknown message type/);
      }
    }
    expect(ledger().length).toBeGreaterThan(0);
  });
});

describe('a local attacker on the signer folder', () => {
  /** Stops the signer, lets `edit` touch its folder while it is down, and starts it again. */
  async function restart(edit: () => void = () => {}): Promise<void> {
    host.handle.kill();
    await host.exited;
    edit();
    host = start();
    await host.next((m) => m.type === 'ready', READY_MS);
  }

  it('a journal cut short (its last entries removed) makes the signer refuse everything until a person resolves it', async () => {
    const file = path.join(folder, 'journal.jsonl');
    const original = readFileSync(file, 'utf8');
    const lines = original.split('\n').filter((l) => l !== '');
    await restart(() => writeFileSync(file, lines.slice(0, -2).join('\n') + '\n'));
    const status = (await send({ type: 'signer.status' })).reply;
    expect(status.problem).toMatch(/cut short/);
    const requestId = await readyRequest();
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'TAMPERING_DETECTED', /cut short.*signs nothing until a person resolves it/s);
    await restart(() => writeFileSync(file, original));
    expect((await send({ type: 'signer.status' })).reply).toMatchObject({ problem: null });
  }, RESTARTS_MS);

  it('a deleted journal (its ledger of signed requests with it) is noticed: nothing is signed until a person resolves it', async () => {
    const file = path.join(folder, 'journal.jsonl');
    const headFile = path.join(folder, 'head.json');
    const [journal, head] = [readFileSync(file, 'utf8'), readFileSync(headFile, 'utf8')];
    await restart(() => unlinkSync(file));
    expect((await send({ type: 'signer.status' })).reply.problem).toMatch(/journal is missing/);
    const requestId = await readyRequest();
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'TAMPERING_DETECTED', /journal is missing/);
    // Both files deleted: a fresh signer folder, pinned to nothing, which a person must pin again on a device.
    await restart(() => unlinkSync(headFile));
    expect((await send({ type: 'signer.status' })).reply).toMatchObject({ anchor: null, problem: null });
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'POLICY_DENIED', /not pinned to a vault/);
    // A person puts the folder back as it was: the signer holds together again.
    await restart(() => {
      writeFileSync(file, journal);
      writeFileSync(headFile, head);
    });
    expect((await send({ type: 'signer.status' })).reply).toMatchObject({ problem: null });
  }, RESTARTS_MS);
});

describe("a local attacker on the signer's checkpoint", () => {
  const checkpoint = () => path.join(folder, CHECKPOINT_FILE);
  async function restart(edit: () => void = () => {}): Promise<void> {
    host.handle.kill();
    await host.exited;
    edit();
    host = start();
    await host.next((m) => m.type === 'ready', READY_MS);
  }
  const status = async () => (await send({ type: 'signer.status' })).reply;
  /** A request the restarted signer must sign (with the records it lacks) for the folder to count as working. */
  async function signs(): Promise<void> {
    const requestId = await readyRequest();
    const { reply } = await send(sign(requestId, await consentingSigners(h, requestId)));
    expect(reply).toMatchObject({ type: 'transfer.signed', requestId });
  }

  it('an edited checkpoint makes the signer refuse to sign, and says to delete it once a person has looked', async () => {
    await send({ type: 'log.sync', ...tail(h.records()) });
    const original = readFileSync(checkpoint(), 'utf8');
    const [header, state] = original.split('\n');
    // An approval group gains a member in the saved state: the state no longer matches its digest.
    const edited = state!.replace('"status":"revoked"', '"status":"active"').replace('"quorum":2', '"quorum":1');
    expect(edited).not.toBe(state);
    await restart(() => writeFileSync(checkpoint(), `${header}\n${edited}\n`));
    expect((await status()).problem).toMatch(/checkpoint .* was edited: its state does not match its digest.*delete .*checkpoint\.json/s);
    const requestId = await readyRequest();
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'TAMPERING_DETECTED', /checkpoint .* was edited/);
    // The header alone edited (the seq it claims), its state untouched.
    const moved = header!.replace(/"seq":(\d+)/, (_m, seq: string) => `"seq":${Number(seq) - 1}`);
    await restart(() => writeFileSync(checkpoint(), `${moved}\n${state}\n`));
    expect((await status()).problem).toMatch(/its header does not match its digest/);
    // Cut short by a crash or by hand.
    await restart(() => writeFileSync(checkpoint(), original.slice(0, original.length / 2)));
    expect((await status()).problem).toMatch(/checkpoint .* was edited/);
    await restart(() => writeFileSync(checkpoint(), original));
    expect((await status()).problem).toBeNull();
    await signs();
  }, RESTARTS_MS);

  it('a checkpoint made for another head (its digests recomputed to match) is refused', async () => {
    const read = readCheckpoint(folder);
    if (!('checkpoint' in read)) throw new Error('expected a checkpoint');
    const cp = read.checkpoint;
    const original = readFileSync(checkpoint(), 'utf8');
    // Written with the host's own code, so every digest holds; only its journal line is not this journal's.
    await restart(() => writeCheckpoint(folder, { ...cp, lineHash: 'cd'.repeat(32) }));
    expect((await status()).problem).toMatch(/checkpoint .* was made for another journal/);
    const requestId = await readyRequest();
    await refused(sign(requestId, await consentingSigners(h, requestId)), 'TAMPERING_DETECTED', /made for another journal/);
    // One that names a later record than the line it binds to.
    await restart(() => writeCheckpoint(folder, { ...cp, seq: cp.seq + 1 }));
    expect((await status()).problem).toMatch(/made for another journal/);
    // An older checkpoint of this very journal is no edit: the signer replays the records after it.
    await restart(() => writeFileSync(checkpoint(), original));
    await send({ type: 'log.sync', ...tail(h.records()) });
    await readyRequest();
    await send({ type: 'log.sync', ...tail(h.records()) });
    expect(readFileSync(checkpoint(), 'utf8')).not.toBe(original);
    await restart(() => writeFileSync(checkpoint(), original));
    expect((await status()).problem).toBeNull();
    await signs();
  }, RESTARTS_MS);

  it('a deleted checkpoint costs a full replay of the journal, said in the status, and the signer signs as before', async () => {
    await restart(() => unlinkSync(checkpoint()));
    const s = await status();
    expect(s.problem).toBeNull();
    expect(s.notice).toMatch(/No checkpoint was found.*re-verified its whole journal \(\d+ records\)/);
    expect(existsSync(checkpoint())).toBe(true);
    await signs();
    await restart();
    expect(await status()).toMatchObject({ problem: null, notice: null });
  }, RESTARTS_MS);

  it('killed with SIGKILL while it writes checkpoints, the signer starts again on the last whole one and loses nothing', async () => {
    for (let round = 0; round < 6; round++) {
      const from = (await status()).pinnedSeq as number;
      // Records the host lacks, sent one per sync (each sync writes a checkpoint), and the host killed among them.
      for (let i = 0; i < 3; i++) await readyRequest();
      const records = h.records();
      for (let seq = from + 1; seq < records.length; seq++) {
        host.handle.postMessage({ v: 3, id: `burst-${round}-${seq}`, type: 'log.sync', ...tail(records.slice(0, seq + 1), seq) });
      }
      await new Promise((r) => setTimeout(r, 2 + round * 6));
      process.kill(host.handle.pid!, 'SIGKILL');
      await host.exited;
      host = start();
      await host.next((m) => m.type === 'ready', READY_MS);
      // Ready, nothing half-written read (a temporary file is removed, never trusted), and no record lost that it took.
      const after = await status();
      expect(after, `round ${round}`).toMatchObject({ problem: null });
      expect(after.pinnedSeq as number).toBeGreaterThanOrEqual(from);
      expect(existsSync(`${checkpoint()}.tmp`)).toBe(false);
    }
    const synced = (await send({ type: 'log.sync', ...tail(h.records()) })).reply;
    expect(synced).toMatchObject({ type: 'log.synced', seq: h.records().length - 1 });
    await signs();
  }, 3 * RESTARTS_MS);
});

describe('a compromised main against a reshare the administrators approved', () => {
  it("deals only from current custodians, to the log's receivers and threshold, each dealer with their use statement for this ceremony", async () => {
    const p = await h.vault.proposeReshare({ walletId: h.walletId, threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol, h.ids.dave], deviceId: h.device.alice });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    const state = h.vault.readState();
    const wallet = state.wallets.find((w) => w.id === h.walletId)!;
    expect(wallet.pending).toMatchObject({ ceremony: 'reshare' });
    const sealed = openableShares(h.vault, h.walletId);
    const dealer = async (who: 'alice' | 'bob', ceremonyId: string): Promise<UnsealingParty> => {
      const user = state.users.find((u) => u.name.toLowerCase() === who)!;
      const partyId = partyIdFor(user.id);
      const box = sealed.get(partyId)!;
      const useSignature = await h.vault.signOnDevice(h.device[who], PATH, shareUseStatement(state, wallet, user, { ceremony: 'reshare', ceremonyId }), user.identityAddress);
      return { partyId, sealed: box, unsealSecret: await unsealSecret(h.devices, h.device[who], PATH, box, 'a test'), useSignature };
    };
    const reshare = (ceremonyId: string, dealers: UnsealingParty[], extra: Record<string, unknown> = {}) => ({ type: 'wallet.reshare', ceremonyId, walletId: h.walletId, ...tail(h.records()), dealers: wire(dealers), ...extra });
    const id = 'c-reshare-1';
    const [alice, bob] = [await dealer('alice', id), await dealer('bob', id)];
    // Dave is to receive a share but holds none yet: Bob's share handed in under Dave's party id cannot deal.
    await refused(reshare(id, [alice, { ...bob, partyId: partyIdFor(h.ids.dave) }]), 'POLICY_DENIED', /holds no share of Cold BTC that may deal/);
    // Receivers and threshold are the log's: a message naming its own is not even read.
    await refused(reshare(id, [alice, bob], { threshold: 2 }), 'MPC_PROTOCOL', /threshold/);
    await refused(reshare(id, [alice, bob], { receivers: [] }), 'MPC_PROTOCOL', /receivers/);
    // Use statements the dealers signed for another ceremony.
    await refused(reshare('c-reshare-2', [alice, bob]), 'POLICY_DENIED', /did not sign the use of their share for this reshare/);
    // Alice's share brought again under Carol's party id: not the share the log recorded for Carol.
    await refused(reshare(id, [alice, { ...alice, partyId: partyIdFor(h.ids.carol) }]), 'POLICY_DENIED', /not the one the log recorded/);
    // The control: the same dealers, for this ceremony, run it, and the host reports opening their shares.
    const { reply, steps } = await send(reshare(id, [alice, bob]));
    expect(reply).toMatchObject({ type: 'wallet.keyed', ceremony: 'reshare', keyVersion: 2 });
    expect((reply.shares as unknown[]).length).toBe(4);
    expect(steps).toContain('unseal');
    // The same use statements cannot run it twice.
    await refused(reshare(id, [alice, bob]), 'POLICY_DENIED', /already ran on this signer/);
  });
});
