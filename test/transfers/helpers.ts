// A vault with a 2-of-3 wallet, a whitelist, a policy and a funded coin, built through the real services: real SQLite,
// virtual Ledgers, the MPC host as a child process.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { taprootPayment } from '../../crypto/bitcoin';
import { policyDocument, validatePolicy, whitelistDocument, type ShareRefresh } from '../../crypto/policy';
import { partyIdFor } from '../../crypto/frost';
import { shareUseStatement } from '../../crypto/governance';
import type { UnsealingParty } from '../../main/mpc-host/signer-gate';
import { TransferService } from '../../main/transfers/service';
import { unsealSecret } from '../../main/wallets/device-secrets';
import { openableShares } from '../../main/wallets/shares';
import { adopted, walletHarness, type WalletHarness } from '../wallets/helpers';
import { userId } from '../vault/helpers';

export interface TransferHarness extends WalletHarness {
  transfers: TransferService;
  walletId: string;
  exchange: string;
  elsewhere: string;
  groups: { ops: string; approvers: string };
  records(): string[];
}

export const destination = (seed: string): string => taprootPayment(schnorr.getPublicKey(hexToBytes(seed.repeat(32))), 'regtest').address;

/**
 * Alice, Bob, Carol: administrators and custodians of "Cold BTC" (2-of-3, regtest). Dave: operator (group Ops).
 * Erin and Mallory: approvers (group Approvers). Policy v1: up to 0.01 BTC anywhere with one approver; above, only to
 * the whitelisted exchange with two approvers; 0.05 BTC per 24 hours. Six made-up coins (0.2, 0.1 and four of 0.01 BTC).
 */
export async function transferHarness(policy: { delaySeconds?: number; shareRefresh?: ShareRefresh } = {}, host: Parameters<typeof walletHarness>[0] = {}): Promise<TransferHarness> {
  const h = await walletHarness(host);
  const transfers = new TransferService({ vault: h.vault, store: h.store, devices: h.devices, host: h.host });
  for (const [name, who, roles] of [['Erin', 'erin', ['approver']], ['Mallory', 'mallory', ['approver']]] as const) {
    await adopted(h, () => h.vault.proposeUser({ name, roles: [...roles], newUserDeviceId: h.device[who], deviceId: h.device.alice }));
  }
  await adopted(h, () => h.vault.proposeRoles({ userId: h.ids.dave, roles: ['operator'], deviceId: h.device.alice }));
  const group = async (name: string, members: string[]) => {
    await adopted(h, () => h.vault.proposeGroupCreate({ name, memberIds: members, deviceId: h.device.alice }));
    return h.vault.listGroups().find((g) => g.name === name)!.id;
  };
  const ops = await group('Ops', [h.ids.dave]);
  const approvers = await group('Approvers', [userId(h, 'Erin'), userId(h, 'Mallory')]);
  await adopted(h, () => h.vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [h.ids.alice, h.ids.bob, h.ids.carol], deviceId: h.device.alice }));
  const walletId = h.vault.readState().wallets[0]!.id;
  await h.ceremonies.run(walletId);
  const exchange = destination('0a');
  const whitelist = whitelistDocument({ id: 'exchanges', name: 'Exchanges', network: 'regtest', entries: [{ address: exchange, label: 'Exchange' }] });
  await adopted(h, () => h.vault.proposeWhitelist({ document: JSON.stringify(whitelist), deviceId: h.device.alice }));
  const doc = policyDocument(
    validatePolicy({
      version: 1,
      walletId,
      rules: [
        { id: 'small', name: 'Small', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: ops, steps: [{ groupId: approvers, count: 1, initiatorMayApprove: false }], delaySeconds: policy.delaySeconds ?? 0, velocity: [] },
        { id: 'large', name: 'Large', amount: { min: '1000001', max: null }, destination: { kind: 'whitelist', whitelistId: 'exchanges' }, initiatorGroupId: ops, steps: [{ groupId: approvers, count: 2, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
      ],
      velocity: [{ windowSeconds: 86_400, maxAmount: '5000000' }],
      ...(policy.shareRefresh === undefined ? {} : { shareRefresh: policy.shareRefresh }),
    }),
  );
  await adopted(h, () => h.vault.proposePolicy({ document: JSON.stringify(doc), deviceId: h.device.alice }));
  // Two made-up regtest coins, so two requests can be open at once (each holds the coins it spends).
  transfers.fund({ walletId, txid: 'fd'.repeat(32), vout: 0, amount: '20000000', path: '0/0', label: 'made-up regtest prevout' });
  transfers.fund({ walletId, txid: 'fe'.repeat(32), vout: 1, amount: '10000000', path: '0/1', label: 'made-up regtest prevout' });
  for (let i = 0; i < 4; i++) transfers.fund({ walletId, txid: `e${i}`.repeat(32), vout: i, amount: '1000000', path: `0/${i + 2}`, label: 'made-up regtest prevout' });
  return Object.assign(h, {
    transfers,
    walletId,
    exchange,
    elsewhere: destination('0b'),
    groups: { ops, approvers },
    records: () => h.store.records.all().map((r) => r.body),
  });
}

/**
 * What a main process would send the host to sign `requestId`: each custodian's share, opened with their own virtual
 * device's secret, and their device's use statement for `useFor` (by default that same request).
 */
export async function consentingSigners(h: TransferHarness, requestId: string, who: readonly ('alice' | 'bob' | 'carol')[] = ['alice', 'bob'], useFor: string = requestId): Promise<UnsealingParty[]> {
  const sealed = openableShares(h.vault, h.walletId);
  const state = h.vault.readState();
  const wallet = state.wallets.find((w) => w.id === h.walletId)!;
  const transfer = state.transfers.find((t) => t.id === useFor)!;
  const out: UnsealingParty[] = [];
  for (const w of who) {
    const user = state.users.find((u) => u.id === h.ids[w])!;
    const partyId = partyIdFor(user.id);
    const box = sealed.get(partyId)!;
    const useSignature = await h.vault.signOnDevice(h.device[w], PATH, shareUseStatement(state, wallet, user, { transfer }), user.identityAddress);
    out.push({ partyId, sealed: box, unsealSecret: await unsealSecret(h.devices, h.device[w], PATH, box, 'a test'), useSignature });
  }
  return out;
}

export const PATH = "m/44'/60'/0'/0/0";
