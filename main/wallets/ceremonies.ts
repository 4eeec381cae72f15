// Runs the key ceremony a wallet owes (DKG, refresh, reshare): custodians' devices give their part, the MPC host does
// the rounds and seals the shares, and the vault records the outcome in one transaction.
import { EventEmitter } from 'node:events';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { partyIdFor, type GroupKey, type PartyId } from '../../crypto/frost';
import type { GovernanceState, PendingCeremony, UserState, WalletState } from '../../crypto/governance';
import type { WalletProgress } from '../../preload/contract';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { silentLogger, type Logger } from '../log';
import type { SealedShareRow } from '../store';
import type { IdGenerator } from '../vault/ids';
import { randomIds } from '../vault/ids';
import type { VaultService } from '../vault/service';
import type { CeremonyHost, SealedShare } from './ceremony-host';
import { devicesOf, requireDevices } from './custodian-devices';
import { dealerEntropy, deviceEntropy, unsealSecret } from './device-secrets';
import { groupKeyOf, walletKeyOf } from './keys';
import { openableShares } from './shares';

export interface WalletCeremoniesOptions {
  vault: VaultService;
  devices: DeviceManager;
  host: CeremonyHost;
  ids?: IdGenerator;
  log?: Logger;
}

export class WalletCeremonies extends EventEmitter<{ progress: [WalletProgress] }> {
  private readonly running = new Set<string>();
  private readonly vault: VaultService;
  private readonly devices: DeviceManager;
  private readonly host: CeremonyHost;
  private readonly ids: IdGenerator;
  private readonly log: Logger;

  constructor(options: WalletCeremoniesOptions) {
    super();
    this.vault = options.vault;
    this.devices = options.devices;
    this.host = options.host;
    this.ids = options.ids ?? randomIds;
    this.log = options.log ?? silentLogger;
  }

  /** Runs the ceremony `walletId` owes; resolves with the wallet as recorded. */
  async run(walletId: string): Promise<WalletState> {
    if (this.running.has(walletId)) throw new CustosError('RULE_VIOLATION', 'A key ceremony for this wallet is already running. Wait for it to finish.');
    let ceremony: WalletProgress['ceremony'] = 'dkg';
    const emit = (stage: WalletProgress['stage'], step: string, done: number, total: number, message: string): void => {
      this.emit('progress', { walletId, ceremony, stage, step, done, total, message });
    };
    this.running.add(walletId);
    try {
      const { wallet, state, header } = this.vault.walletForChange(walletId);
      const pending = wallet.pending;
      if (pending !== null) ceremony = pending.ceremony;
      if (pending === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes no key ceremony. Propose a refresh or a reshare first.`);
      const ceremonyId = this.ids('ceremony');
      const path = header.identityPath;
      const outcome =
        pending.ceremony === 'dkg'
          ? await this.dkg(wallet, pending, state, path, ceremonyId, emit)
          : await this.reshare(wallet, pending, state, path, ceremonyId, emit);
      emit('record', 'record', 0, 1, 'Recording the new key and the sealed shares');
      const recorded = await this.vault.recordKey({ walletId, proposalId: pending.proposalId, ceremony: pending.ceremony, ceremonyId, ...outcome });
      emit('done', 'done', 1, 1, `Key version ${recorded.key?.keyVersion ?? '?'} recorded`);
      return recorded;
    } catch (err) {
      const message = err instanceof CustosError ? err.message : 'The ceremony failed inside Custos; see the log.';
      if (!(err instanceof CustosError)) this.log.error('key ceremony failed', { walletId, error: (err as Error)?.stack ?? String(err) });
      emit('failed', 'failed', 0, 1, message);
      throw err;
    } finally {
      this.running.delete(walletId);
    }
  }

  private async dkg(wallet: WalletState, pending: PendingCeremony, state: GovernanceState, path: string, ceremonyId: string, emit: Emit) {
    const custodians = people(state, pending.custodians);
    const found = await devicesOf(this.devices, path, custodians);
    requireDevices(found, custodians, `create the key of ${wallet.name}`);
    const parties: { partyId: PartyId; encryptionKey: Uint8Array; deviceEntropy: Uint8Array }[] = [];
    try {
      for (const [i, user] of custodians.entries()) {
        emit('devices', user.name, i, custodians.length, `${user.name}: approve on your Ledger (it contributes randomness to the key of ${wallet.name})`);
        const partyId = partyIdFor(user.id);
        const entropy = await deviceEntropy(this.devices, found.get(user.id) as string, path, wallet.id, ceremonyId, partyId);
        parties.push({ partyId, encryptionKey: encryptionKeyOf(user), deviceEntropy: entropy });
      }
      emit('devices', 'devices', custodians.length, custodians.length, 'Every custodian contributed');
      const result = await this.host.dkg(
        { ceremonyId, walletId: wallet.id, keyVersion: 1, threshold: pending.threshold, parties },
        (p) => emit('host', p.step, p.done, p.total, `MPC host: ${p.step}`),
      );
      return this.outcome(wallet, result, 1, custodians);
    } finally {
      for (const p of parties) p.deviceEntropy.fill(0);
    }
  }

  private async reshare(wallet: WalletState, pending: PendingCeremony, state: GovernanceState, path: string, ceremonyId: string, emit: Emit) {
    const key = wallet.key;
    if (key === null) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key to ${pending.ceremony}.`);
    const receivers = people(state, pending.custodians);
    const current = key.custodians.map((c) => state.users.find((u) => u.id === c.userId)).filter((u): u is UserState => u?.status === 'active');
    const found = await devicesOf(this.devices, path, current);
    // A refresh needs every custodian; a reshare needs the threshold of current custodians, whoever is connected.
    const dealers = pending.ceremony === 'refresh' ? current : current.filter((u) => found.has(u.id));
    if (pending.ceremony === 'refresh') requireDevices(found, current, `refresh the shares of ${wallet.name}`);
    else if (dealers.length < key.threshold) {
      const absent = current.filter((u) => !found.has(u.id)).map((u) => u.name);
      throw new CustosError(
        'DEVICE_NOT_FOUND',
        `To reshare ${wallet.name}, ${key.threshold} of its current custodians must take part; ${dealers.length} are connected. Connect ${key.threshold - dealers.length} more of: ${absent.join(', ')}. Nothing was changed.`,
      );
    }
    const sealed = openableShares(this.vault, wallet.id);
    const parties: { partyId: PartyId; sealed: Uint8Array; unsealSecret: Uint8Array; deviceEntropy: Uint8Array }[] = [];
    try {
      for (const [i, user] of dealers.entries()) {
        emit('devices', user.name, i, dealers.length, `${user.name}: approve on your Ledger (it opens your share of ${wallet.name} for the ${pending.ceremony})`);
        const partyId = partyIdFor(user.id);
        const box = sealed.get(partyId);
        if (box === undefined) throw new CustosError('TAMPERING_DETECTED', `The sealed share of ${user.name} for ${wallet.name} is missing from the store.`);
        const secret = await unsealSecret(this.devices, found.get(user.id) as string, path, box);
        parties.push({ partyId, sealed: box, unsealSecret: secret, deviceEntropy: dealerEntropy(secret, ceremonyId, partyId) });
      }
      emit('devices', 'devices', dealers.length, dealers.length, 'Every dealer opened their share');
      const result = await this.host.reshare(
        {
          ceremonyId,
          walletId: wallet.id,
          mode: pending.ceremony === 'refresh' ? 'refresh' : 'reshare',
          fromKeyVersion: key.keyVersion,
          toKeyVersion: key.keyVersion + 1,
          groupKey: groupKeyOf(key),
          dealers: parties,
          receivers: receivers.map((u) => ({ partyId: partyIdFor(u.id), encryptionKey: encryptionKeyOf(u) })),
          threshold: pending.threshold,
        },
        (p) => emit('host', p.step, p.done, p.total, `MPC host: ${p.step}`),
      );
      return this.outcome(wallet, result, key.keyVersion + 1, receivers);
    } finally {
      for (const p of parties) {
        p.unsealSecret.fill(0);
        p.deviceEntropy.fill(0);
      }
    }
  }

  /** Checks the host's answer covers exactly the custodians, and shapes the record and the share rows. */
  private outcome(wallet: WalletState, result: { groupKey: GroupKey; shares: SealedShare[] }, keyVersion: number, custodians: UserState[]) {
    const userOfParty = new Map(custodians.map((u) => [partyIdFor(u.id), u.id]));
    const sealed = new Map(result.shares.map((s) => [s.partyId, bytesToHex(s.sealed)]));
    if (sealed.size !== custodians.length || [...userOfParty.keys()].some((p) => !sealed.has(p))) {
      throw new CustosError('MPC_PROTOCOL', `The MPC host returned shares for other parties than the ${custodians.length} custodians of ${wallet.name}. Nothing was recorded.`);
    }
    const key = walletKeyOf(result.groupKey, keyVersion, userOfParty, sealed);
    const shares: SealedShareRow[] = key.custodians.map((c) => ({ walletId: wallet.id, keyVersion, partyId: c.partyId, userId: c.userId, sealed: sealed.get(c.partyId) as string }));
    return { key, shares };
  }
}

type Emit = (stage: WalletProgress['stage'], step: string, done: number, total: number, message: string) => void;

function people(state: GovernanceState, ids: readonly string[]): UserState[] {
  return ids.map((id) => {
    const u = state.users.find((x) => x.id === id);
    if (u === undefined || u.status !== 'active') throw new CustosError('RULE_VIOLATION', `Custodian ${id} is not an active user of this vault.`);
    return u;
  });
}

function encryptionKeyOf(user: UserState): Uint8Array {
  return hexToBytes(user.encryptionKey.replace(/^0x/, ''));
}
