// `custos demo [--json] [--team]` / `npm run demo`: the whole custody flow, headless, on a fresh SQLite file, virtual
// Ledgers and the MPC host in a child process, printing each step as it goes. With --team the vault's log is on a local
// nats-server and the transfers are signed by three `custos signer start` processes, each holding one share.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { taprootPayment } from '../../crypto/bitcoin';
import { policyDocument, validatePolicy, whitelistDocument } from '../../crypto/policy';
import type { Role } from '../../crypto/governance';
import { DeviceManager } from '../devices/manager';
import { hostClientFor } from '../mpc/launch-node';
import { Store } from '../store';
import { TransferService } from '../transfers/service';
import { TeamNodes } from '../signer/team-nodes';
import { VaultService } from '../vault';
import { WalletCeremonies } from '../wallets/ceremonies';
import { keepHostSynced } from '../wallets/host-anchor';
import { walletView } from '../wallets/views';
import type { CliContext } from './context';
import { verifyTransaction } from './demo-verify';
import { DemoTeam, type DemoTeamReport } from './demo-team';
import { NatsServerMissing } from '../team/nats-server';
import { toErrorData } from '../errors';

/** Well-known BIP-39 test phrases: the demo's people and their virtual Ledgers (NOT secure, by design). */
const PEOPLE = {
  Alice: { phrase: 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about', roles: ['administrator'] },
  Bob: { phrase: 'legal winner thank year wave sausage worth useful legal winner thank yellow', roles: ['administrator'] },
  Carol: { phrase: 'letter advice cage absurd amount doctor acoustic avoid letter advice cage above', roles: ['administrator'] },
  Olivia: { phrase: 'zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo wrong', roles: ['operator'] },
  Adam: { phrase: 'test test test test test test test test test test test junk', roles: ['approver'] },
  Amy: { phrase: 'scheme spot photo card baby mountain device kick cradle pact join borrow', roles: ['approver'] },
  Rita: { phrase: 'ozone drill grab fiber curtain grace pudding thank cruise elder eight picnic', roles: ['approver'] },
} as const satisfies Record<string, { phrase: string; roles: Role[] }>;
type Person = keyof typeof PEOPLE;

/** Destinations with keys nobody uses: addresses only. */
const address = (seed: string) => taprootPayment(schnorr.getPublicKey(hexToBytes(seed.repeat(32))), 'regtest').address;

/** Exit code when --team cannot run for want of nats-server. */
export const NO_NATS_SERVER = 3;

export async function runDemo(ctx: CliContext): Promise<number> {
  const say = (line: string) => (ctx.json ? ctx.err(line) : ctx.out(line));
  let team: DemoTeam | null = null;
  if (ctx.team === true) {
    try {
      team = await DemoTeam.start(say);
    } catch (err) {
      if (!(err instanceof NatsServerMissing)) throw err;
      if (ctx.json) ctx.out(JSON.stringify({ error: toErrorData(err) }));
      else ctx.err(`custos demo --team: ${err.message}`);
      return NO_NATS_SERVER;
    }
  }
  let outcome: { code: number; result: Record<string, unknown> };
  try {
    outcome = await runFlow(ctx, say, team);
  } finally {
    if (team !== null) {
      say(`\n== Stopping the team: the signer node processes and nats-server`);
      await team.close();
    }
  }
  // Printed once everything it started is stopped, so the report can say so.
  if (ctx.json) ctx.out(JSON.stringify({ ...outcome.result, ...(team === null ? {} : { team: team.report() satisfies DemoTeamReport }) }));
  return outcome.code;
}

async function runFlow(ctx: CliContext, say: (line: string) => void, team: DemoTeam | null): Promise<{ code: number; result: Record<string, unknown> }> {
  const dataDir = ctx.dataDirGiven ? ctx.dataDir : mkdtempSync(path.join(tmpdir(), 'custos-demo-'));
  let steps = 0;
  const step = (title: string) => say(`\n== ${++steps}. ${title}`);
  const store = Store.open(dataDir);
  const devices = new DeviceManager();
  const device = {} as Record<Person, string>;
  for (const [name, p] of Object.entries(PEOPLE) as [Person, (typeof PEOPLE)[Person]][]) {
    const { device: d, ledger } = devices.addVirtual({ label: name, mnemonic: p.phrase });
    device[name] = d.id;
    ledger.screen.setResponder((screen) => {
      say(`   ┌ ${name}'s virtual Ledger — ${screen.title}`);
      for (const f of screen.fields) say(`   │ ${f.label}: ${f.value.split('\n').join('\n   │   ')}`);
      say('   └ approved');
      return 'approve';
    });
  }
  const host = hostClientFor(dataDir);
  const client = host;
  const vault = new VaultService({ store, devices });
  keepHostSynced(vault, store, host, () => undefined);
  // In a team (--team), key ceremonies and signings go through the custodians' signer nodes, as the console's buttons do.
  const nodes = new TeamNodes({ dataDir, vault, sessionMs: 60_000 });
  const ceremonies = new WalletCeremonies({ vault, store, devices, host, nodes });
  ceremonies.on('progress', (p) => p.stage !== 'host' && say(`   [${p.stage}] ${p.message}`));
  const transfers = new TransferService({ vault, store, devices, host, nodes });
  const picked = new Map<string, string[]>();
  transfers.on('progress', ({ requestId, message, node }) => {
    say(`   ${message}`);
    if (node?.state === 'picked') picked.set(requestId, [...(picked.get(requestId) ?? []), node.custodian]);
  });
  const ids: Partial<Record<Person, string>> = {};
  const approveBy = async (proposalId: string, ...who: Person[]) => {
    for (const w of who) await vault.approve({ proposalId, deviceId: device[w] });
  };
  try {
    say(`Custos demo: vault data in ${dataDir} (SQLite), virtual Ledgers (NOT secure), MPC host pid on first use.`);
    step('Genesis: Alice creates the vault on her device');
    await vault.create({ name: 'Demo Treasury', adminName: 'Alice', deviceId: device.Alice });

    step('Administrators, operators and approvers registered (each on their own device)');
    for (const name of ['Bob', 'Carol'] as const) await vault.proposeUser({ name, roles: [...PEOPLE[name].roles], newUserDeviceId: device[name], deviceId: device.Alice });
    await vault.proposeQuorum({ quorum: 2, deviceId: device.Alice });
    for (const name of ['Olivia', 'Adam', 'Amy', 'Rita'] as const) {
      const p = await vault.proposeUser({ name, roles: [...PEOPLE[name].roles], newUserDeviceId: device[name], deviceId: device.Alice });
      await approveBy(p.id, 'Bob', 'Carol');
    }
    for (const u of vault.listUsers()) ids[u.name as Person] = u.id;
    const group = async (name: string, members: Person[]) => {
      const p = await vault.proposeGroupCreate({ name, memberIds: members.map((m) => ids[m] as string), deviceId: device.Alice });
      await approveBy(p.id, 'Bob', 'Carol');
      return vault.listGroups().find((g) => g.name === name)!.id;
    };
    const operators = await group('Operators', ['Olivia']);
    const approvers = await group('Approvers', ['Adam', 'Amy']);
    const risk = await group('Risk officers', ['Rita']);
    say(`   ${vault.listUsers().length} users; groups Operators, Approvers, Risk officers; administrator quorum 2`);

    if (team !== null) {
      step(`The vault joins its team: its log on nats-server (${team.url}), the stream created`);
      await team.join(dataDir, store, vault);
      step("Signer nodes: each custodian's own node folder, registered on their device, its replica joined to the team, and `custos signer start`");
      const genesis = vault.readState().users.find((u) => u.id === ids.Alice)!.identityAddress;
      const custodians = (['Alice', 'Bob', 'Carol'] as const).map((name) => ({ name, deviceId: device[name] }));
      await team.setUpNodes({ dataDir, vault, custodians, coordinator: { name: 'Olivia', deviceId: device.Olivia }, genesis });
      await team.startNodes(Object.fromEntries(Object.entries(PEOPLE).map(([name, p]) => [name, p.phrase])));
    }

    step(`A 2-of-3 Taproot wallet on regtest, created by DKG among Alice, Bob and Carol${team === null ? '' : "'s signer nodes (each keeps its own share)"}`);
    const created = await vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [ids.Alice!, ids.Bob!, ids.Carol!], deviceId: device.Alice });
    await approveBy(created.id, 'Bob', 'Carol');
    const walletId = vault.readState().wallets[0]!.id;
    await ceremonies.run(walletId);
    const wallet = walletView(vault.readState(), vault.wallet(walletId).wallet);
    say(`   output key ${wallet.outputKey}\n   receive descriptor ${wallet.descriptors!.receive}\n   first address ${wallet.address}`);

    step('A whitelist and a policy adopted by the administrators');
    const exchange = address('0a');
    const whitelist = whitelistDocument({ id: 'exchanges', name: 'Exchanges', network: 'regtest', entries: [{ address: exchange, label: 'Exchange deposit' }] });
    await approveBy((await vault.proposeWhitelist({ document: JSON.stringify(whitelist), deviceId: device.Alice })).id, 'Bob', 'Carol');
    const policy = policyDocument(
      validatePolicy({
        version: 1,
        walletId,
        rules: [
          { id: 'small', name: 'Small sends', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: operators, steps: [{ groupId: approvers, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
          {
            id: 'large',
            name: 'Large sends to exchanges',
            amount: { min: '1000001', max: null },
            destination: { kind: 'whitelist', whitelistId: 'exchanges' },
            initiatorGroupId: operators,
            steps: [
              { groupId: approvers, count: 2, initiatorMayApprove: false },
              { groupId: risk, count: 1, initiatorMayApprove: false },
            ],
            delaySeconds: 0,
            velocity: [],
          },
        ],
        velocity: [{ windowSeconds: 24 * 3600, maxAmount: '5000000' }],
      }),
    );
    await approveBy((await vault.proposePolicy({ document: JSON.stringify(policy), deviceId: device.Alice })).id, 'Bob', 'Carol');
    const adopted = transfers.policy(walletId)!;
    say(`   policy version ${adopted.version}, hash ${adopted.hash}: small sends (≤ 0.01 BTC) one approver; large sends to the whitelist two approvers then a risk officer; 0.05 BTC per 24 hours`);

    step('A funding coin for the wallet (a MADE-UP regtest prevout: no such transaction exists on any chain)');
    const funding = { txid: bytesToHex(new Uint8Array(32).fill(0xfd)), vout: 0, amount: '20000000', path: '0/0', label: 'made-up regtest prevout (demo)' };
    transfers.fund({ walletId, ...funding });
    say(`   ${funding.txid}:${funding.vout}, 0.2 BTC to ${wallet.address}`);

    const signedTransfers: { hex: string; txid: string; prevouts: { txid: string; vout: number; amount: number; scriptPubKey: string }[] }[] = [];
    const refused: { requestId: string; reason: string }[] = [];
    const send = async (title: string, destination: string, amount: string, approvals: Person[]) => {
      step(title);
      const request = await transfers.create({ walletId, destination, amount, feeRate: 2, deviceId: device.Olivia });
      say(`   request ${request.id}: ${request.status}${request.rule ? ` under rule "${request.rule.name}"` : ''}${request.reason ? ` — ${request.reason}` : ''}`);
      if (request.status === 'denied') {
        refused.push({ requestId: request.id, reason: request.reason ?? 'denied' });
        return;
      }
      for (const who of approvals) await transfers.approve({ requestId: request.id, deviceId: device[who] });
      const signed = await transfers.sign(request.id);
      await team?.signedBy(request.id, picked.get(request.id) ?? []);
      const prevouts = verifyTransaction(signed.signed!.tx, signed.signed!.psbt!);
      say(`   signed: txid ${signed.signed!.txid}\n   ${signed.signed!.tx}`);
      signedTransfers.push({ hex: signed.signed!.tx, txid: signed.signed!.txid, prevouts });
    };
    await send('A small transfer (0.005 BTC): one approver', address('0b'), '500000', ['Adam']);
    await send('A large transfer (0.03 BTC) to the exchange: two approvers, then the risk officer', exchange, '3000000', ['Adam', 'Amy', 'Rita']);
    await send('Another large transfer (0.02 BTC): over the 24-hour velocity limit, refused', exchange, '2000000', []);

    step('Verification: every signature of every transaction checked apart from Custos (BIP-341 sighash, BIP-340 Schnorr)');
    say(`   ${signedTransfers.length} transactions verified`);
    step('The audit chain checked');
    const audit = vault.auditVerify();
    const integrity = vault.verify();
    say(`   ${audit.entries} entries, chain ${audit.valid ? 'valid' : 'BROKEN'}, head ${audit.head}; store equals the signed log: ${integrity.status === 'ok' ? 'yes' : 'NO'}`);
    return {
      code: audit.valid && integrity.status === 'ok' && signedTransfers.length === 2 && refused.length === 1 ? 0 : 1,
      result: {
        network: 'regtest',
        wallet: { threshold: wallet.threshold, parties: wallet.custodians.length, groupKey: wallet.outputKey, descriptor: wallet.descriptors!.receive },
        address: wallet.address,
        transfers: signedTransfers,
        refused,
        audit: { entries: audit.entries, chainValid: audit.valid },
      },
    };
  } finally {
    await client.close();
    vault.close();
    store.close();
    await devices.close();
  }
}


