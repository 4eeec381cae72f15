// A vault for the transfer benchmark, built through the real services without vitest: real SQLite in a temp folder,
// virtual Ledgers that approve at once, the MPC host as a child process, a 2-of-3 and a 3-of-5 wallet, funded coins.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { taprootPayment } from '../../crypto/bitcoin';
import type { Role } from '../../crypto/governance';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { DeviceManager } from '../../main/devices/manager';
import { MpcHostClient } from '../../main/mpc/client';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import { Store } from '../../main/store';
import { TransferService } from '../../main/transfers/service';
import { WalletCeremonies } from '../../main/wallets/ceremonies';
import { VaultService } from '../../main/vault';

export interface BenchWallet {
  id: string;
  threshold: number;
  custodians: number;
  /** The key ceremony as the console waits for it: use statements on every device, the host's DKG, attestations. */
  ceremonyMs: number;
  /** Inside ceremonyMs: main → host keygen → main (the host's gate and the DKG itself). */
  hostKeygenMs: number;
}

export type WalletSize = { t: number; n: number };
/** The transfer bench's wallets: 2-of-3 (Alice, Bob, Carol) and 3-of-5 (+ two auditor custodians). */
export const TRANSFER_WALLETS: WalletSize[] = [
  { t: 2, n: 3 },
  { t: 3, n: 5 },
];

export interface TransferVault {
  dir: string;
  store: Store;
  devices: DeviceManager;
  vault: VaultService;
  transfers: TransferService;
  client: MpcHostClient;
  /** Device id by person: alice, bob, carol (administrators), custodian4…custodianN (auditors), oscar, paula. */
  device: Record<'alice' | 'bob' | 'carol' | 'oscar' | 'paula', string> & Record<string, string | undefined>;
  wallets: BenchWallet[];
  destination: string;
  close(): Promise<void>;
}

/**
 * Alice, Bob and Carol administer (quorum 2); Oscar (group Ops) requests, Paula (group Approvers) approves. One wallet
 * per size, its custodians Alice, Bob, Carol, then auditors Custodian4…CustodianN, each with a policy of one rule: any
 * amount, anywhere, one approver; `coins` made-up regtest coins of 0.1 BTC each, so every request spends exactly one.
 */
export async function transferVault(coins: number, sizes: WalletSize[] = TRANSFER_WALLETS): Promise<TransferVault> {
  const dir = mkdtempSync(path.join(tmpdir(), 'custos-bench-transfers-'));
  const devices = new DeviceManager();
  const most = Math.max(3, ...sizes.map((s) => s.n));
  const extra = Array.from({ length: most - 3 }, (_, i) => `custodian${i + 4}`);
  const people = ['alice', 'bob', 'carol', ...extra, 'oscar', 'paula'];
  const device = {} as TransferVault['device'];
  for (const p of people) {
    const { device: d, ledger } = devices.addVirtual({ label: p });
    ledger.screen.setResponder(() => 'approve');
    device[p] = d.id;
  }
  const store = Store.open(dir);
  const vault = new VaultService({ store, devices });
  const client = new MpcHostClient({ launcher: nodeHostLauncher({ env: { ...process.env, CUSTOS_MPC_HOST_DATA: path.join(dir, 'mpc-host') } }) });
  const host = client;
  const spans: number[] = [];
  const keygen = client.keygen.bind(client);
  client.keygen = async (...args) => {
    const start = performance.now();
    try {
      return await keygen(...args);
    } finally {
      spans.push(performance.now() - start);
    }
  };
  const close = async () => {
    await client.close();
    vault.close();
    store.close();
    await devices.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const userId = (name: string) => vault.listUsers().find((u) => u.name === name)!.id;
    /** Proposed by Alice, approved by Bob and Carol (the proposer does not count). */
    const adopted = async (propose: () => Promise<{ id: string }>) => {
      const p = await propose();
      await vault.approve({ proposalId: p.id, deviceId: device.bob });
      await vault.approve({ proposalId: p.id, deviceId: device.carol });
    };
    const as = { deviceId: device.alice };
    await vault.create({ name: 'Bench', adminName: 'Alice', ...as });
    await vault.proposeUser({ name: 'Bob', roles: ['administrator'], newUserDeviceId: device.bob, ...as });
    await vault.proposeUser({ name: 'Carol', roles: ['administrator'], newUserDeviceId: device.carol, ...as });
    await vault.proposeQuorum({ quorum: 2, ...as });
    const capital = (p: string) => p[0]!.toUpperCase() + p.slice(1);
    const joiners: [string, string, Role][] = [...extra.map((p): [string, string, Role] => [capital(p), p, 'auditor']), ['Oscar', 'oscar', 'operator'], ['Paula', 'paula', 'approver']];
    for (const [name, who, role] of joiners) await adopted(() => vault.proposeUser({ name, roles: [role], newUserDeviceId: device[who] as string, ...as }));
    const group = async (name: string, members: string[]) => {
      await adopted(() => vault.proposeGroupCreate({ name, memberIds: members, ...as }));
      return vault.listGroups().find((g) => g.name === name)!.id;
    };
    const ops = await group('Ops', [userId('Oscar')]);
    const approvers = await group('Approvers', [userId('Paula')]);

    const ceremonies = new WalletCeremonies({ vault, store, devices, host });
    const transfers = new TransferService({ vault, store, devices, host });
    const wallets: BenchWallet[] = [];
    for (const { t, n } of sizes) {
      const names = ['Alice', 'Bob', 'Carol', ...extra.map(capital)].slice(0, n);
      const name = `Cold ${t}-of-${names.length}`;
      await adopted(() => vault.proposeWallet({ name, network: 'regtest', threshold: t, custodianIds: names.map(userId), ...as }));
      const walletId = vault.readState().wallets.find((w) => w.name === name)!.id;
      const start = performance.now();
      await ceremonies.run(walletId);
      const ceremonyMs = performance.now() - start;
      const hostKeygenMs = spans.at(-1) ?? NaN;
      const rule = { id: 'any', name: 'Any', amount: { min: null, max: null }, destination: { kind: 'any' }, initiatorGroupId: ops, steps: [{ groupId: approvers, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] };
      const doc = policyDocument(validatePolicy({ version: 1, walletId, rules: [rule], velocity: [] }));
      await adopted(() => vault.proposePolicy({ document: JSON.stringify(doc), ...as }));
      for (let i = 0; i < coins; i++) {
        const txid = (i + 1).toString(16).padStart(4, '0').repeat(16);
        transfers.fund({ walletId, txid, vout: t, amount: '10000000', path: `0/${i}`, label: 'made-up regtest prevout' });
      }
      wallets.push({ id: walletId, threshold: t, custodians: names.length, ceremonyMs, hostKeygenMs });
    }
    const destination = taprootPayment(schnorr.getPublicKey(hexToBytes('0b'.repeat(32))), 'regtest').address;
    return { dir, store, devices, vault, transfers, client, device, wallets, destination, close };
  } catch (err) {
    await close();
    throw err;
  }
}
