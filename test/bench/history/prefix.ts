// The generated vault's governance, made through the real services on virtual Ledgers: people, groups, a 2-of-3 wallet
// whose key the MPC host makes, a whitelist and a policy. A hundred-odd records, the same ones a console would write.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { taprootPayment } from '../../../crypto/bitcoin';
import { policyDocument, validatePolicy, whitelistDocument } from '../../../crypto/policy';
import { DeviceManager } from '../../../main/devices/manager';
import type { MpcHostClient } from '../../../main/mpc/client';
import type { Store } from '../../../main/store';
import { WalletCeremonies } from '../../../main/wallets/ceremonies';
import { VaultService } from '../../../main/vault';
import { IDENTITY_PATH, type GroupName, type Person } from './people';

export interface Prefix {
  vault: VaultService;
  devices: DeviceManager;
  /** Device id by person's name. */
  device: Map<string, string>;
  walletId: string;
  groupIds: Record<GroupName, string>;
  /** Whitelisted exchange addresses (large transfers go only there), and where small ones go. */
  exchanges: string[];
  destinations: string[];
}

export const SMALL_MAX_SATS = 1_000_000n;

/** A regtest Taproot address from a label: made-up destinations that are real addresses. */
export const destinationOf = (label: number): string => taprootPayment(schnorr.getPublicKey(hexToBytes((label % 250 + 1).toString(16).padStart(2, '0').repeat(32))), 'regtest').address;

/**
 * Alice founds the vault and proposes everything; Bob and Carol approve (quorum 2, the proposer does not count). Each
 * person registers on their own device. Groups Ops, Approvers, Treasury, Audit. Wallet "Treasury BTC" 2-of-3 (Alice,
 * Bob, Carol). Policy v1: up to 0.01 BTC anywhere, one approver; above, only to a whitelisted exchange, two treasurers;
 * at most 500 BTC a day (never reached, but evaluated on every decision).
 */
export async function makePrefix(store: Store, host: MpcHostClient, people: readonly Person[], clock: () => Date): Promise<Prefix> {
  const devices = new DeviceManager();
  const device = new Map<string, string>();
  for (const p of people) {
    const { device: d, ledger } = devices.addVirtual({ label: p.name, mnemonic: p.mnemonic });
    ledger.screen.setResponder(() => 'approve');
    device.set(p.name, d.id);
  }
  const vault = new VaultService({ store, devices, clock });
  const as = { deviceId: device.get('Alice') as string };
  const userId = (name: string) => vault.listUsers().find((u) => u.name === name)!.id;
  const adopted = async (propose: () => Promise<{ id: string }>) => {
    const p = await propose();
    await vault.approve({ proposalId: p.id, deviceId: device.get('Bob') as string });
    await vault.approve({ proposalId: p.id, deviceId: device.get('Carol') as string });
  };
  await vault.create({ name: 'Bench Treasury', adminName: 'Alice', identityPath: IDENTITY_PATH, ...as });
  await vault.proposeUser({ name: 'Bob', roles: ['administrator'], newUserDeviceId: device.get('Bob') as string, ...as });
  await vault.proposeUser({ name: 'Carol', roles: ['administrator'], newUserDeviceId: device.get('Carol') as string, ...as });
  await vault.proposeQuorum({ quorum: 2, ...as });
  for (const p of people.slice(3)) await adopted(() => vault.proposeUser({ name: p.name, roles: p.roles, newUserDeviceId: device.get(p.name) as string, ...as }));
  const groupIds = {} as Record<GroupName, string>;
  for (const g of ['Ops', 'Approvers', 'Treasury', 'Audit'] as const) {
    await adopted(() => vault.proposeGroupCreate({ name: g, memberIds: people.filter((p) => p.groups.includes(g)).map((p) => userId(p.name)), ...as }));
    groupIds[g] = vault.listGroups().find((x) => x.name === g)!.id;
  }
  await adopted(() => vault.proposeWallet({ name: 'Treasury BTC', network: 'regtest', threshold: 2, custodianIds: ['Alice', 'Bob', 'Carol'].map(userId), ...as }));
  const walletId = vault.readState().wallets[0]!.id;
  await new WalletCeremonies({ vault, store, devices, host }).run(walletId);

  const exchanges = [1, 2, 3].map((i) => destinationOf(200 + i));
  const whitelist = whitelistDocument({ id: 'exchanges', name: 'Exchanges', network: 'regtest', entries: exchanges.map((address, i) => ({ address, label: `Exchange ${i + 1}` })) });
  await adopted(() => vault.proposeWhitelist({ document: JSON.stringify(whitelist), ...as }));
  const step = (groupId: string, count: number) => ({ groupId, count, initiatorMayApprove: false });
  const policy = policyDocument(
    validatePolicy({
      version: 1,
      walletId,
      rules: [
        { id: 'small', name: 'Small', amount: { min: null, max: SMALL_MAX_SATS.toString() }, destination: { kind: 'any' }, initiatorGroupId: groupIds.Ops, steps: [step(groupIds.Approvers, 1)], delaySeconds: 0, velocity: [] },
        { id: 'large', name: 'Large', amount: { min: (SMALL_MAX_SATS + 1n).toString(), max: null }, destination: { kind: 'whitelist', whitelistId: 'exchanges' }, initiatorGroupId: groupIds.Ops, steps: [step(groupIds.Treasury, 2)], delaySeconds: 0, velocity: [] },
      ],
      velocity: [{ windowSeconds: 86_400, maxAmount: '50000000000' }],
    }),
  );
  await adopted(() => vault.proposePolicy({ document: JSON.stringify(policy), ...as }));
  return { vault, devices, device, walletId, groupIds, exchanges, destinations: Array.from({ length: 40 }, (_, i) => destinationOf(i)) };
}
