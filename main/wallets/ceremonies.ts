// Runs the key ceremony a wallet owes (DKG, refresh, reshare): custodians' devices give their part, the MPC host does
// the rounds and seals the shares, and the vault records the outcome in one transaction.
import { EventEmitter } from 'node:events';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ceremonyPlan, type CeremonyPlan, type GovernanceState, type UserState, type WalletState } from '../../crypto/governance';
import type { NodeProgressView, WalletProgress } from '../../preload/contract';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { silentLogger, type Logger } from '../log';
import type { MpcHostClient } from '../mpc/client';
import type { KeyedOutcome } from '../mpc-host/signer-gate';
import type { TeamNodes } from '../signer/team-nodes';
import type { SealedShareRow, Store } from '../store';
import type { IdGenerator } from '../vault/ids';
import { randomIds } from '../vault/ids';
import type { VaultService } from '../vault/service';
import { devicesOf, requireDevices } from './custodian-devices';
import { ensureAnchored } from './host-anchor';
import { walletKeyOf } from './keys';
import { openingShares, useSignatures, type ConsentingCustodian } from './share-consent';
import { storeLog } from './store-log';

export interface WalletCeremoniesOptions {
  vault: VaultService;
  store: Store;
  devices: DeviceManager;
  host: MpcHostClient;
  /** In a team, the custodians' signer nodes: the one way a key ceremony runs there. */
  nodes?: TeamNodes;
  ids?: IdGenerator;
  log?: Logger;
}

export class WalletCeremonies extends EventEmitter<{ progress: [WalletProgress] }> {
  private readonly running = new Set<string>();
  private readonly vault: VaultService;
  private readonly store: Store;
  private readonly devices: DeviceManager;
  private readonly host: MpcHostClient;
  private readonly nodes: TeamNodes | null;
  private readonly ids: IdGenerator;
  private readonly log: Logger;

  constructor(options: WalletCeremoniesOptions) {
    super();
    this.vault = options.vault;
    this.store = options.store;
    this.devices = options.devices;
    this.host = options.host;
    this.nodes = options.nodes ?? null;
    this.ids = options.ids ?? randomIds;
    this.log = options.log ?? silentLogger;
  }

  /**
   * Runs the ceremony `walletId` owes; resolves with the wallet as recorded. One way per mode. On a single desk every
   * custodian's device signs the use of their part first (the MPC host checks it), and every custodian of the new key
   * attests it on their device after. In a team the custodians' signer nodes run it, each with its custodian's device,
   * and the console's MPC host takes no part.
   */
  async run(walletId: string): Promise<WalletState> {
    if (this.running.has(walletId)) throw new CustosError('RULE_VIOLATION', 'A key ceremony for this wallet is already running. Wait for it to finish.');
    let ceremony: WalletProgress['ceremony'] = 'dkg';
    const emit = (stage: WalletProgress['stage'], step: string, done: number, total: number, message: string, node?: NodeProgressView): void => {
      this.emit('progress', { walletId, ceremony, stage, step, done, total, message, ...(node === undefined ? {} : { node }) });
    };
    this.running.add(walletId);
    try {
      if (this.vault.inTeam()) {
        if (this.nodes === null) throw new CustosError('RULE_VIOLATION', "This console is in a team: its key ceremonies are run by the custodians' signer nodes, and this console was started without a way to reach them. Nothing was changed.");
        const { wallet, state } = this.vault.walletForChange(walletId);
        const refusal = ceremonyRefusal(state, wallet);
        if (refusal !== null) throw refusal;
        const plan = ceremonyPlan(state, walletId);
        if (!('refused' in plan)) ceremony = plan.ceremony;
        const recorded = await this.nodes.ceremony(walletId, ({ message, node }) => emit('nodes', node?.state ?? 'nodes', 0, 0, message, node ?? undefined));
        emit('done', 'done', 1, 1, `Key version ${recorded.key?.keyVersion ?? '?'} recorded, attested by every custodian on their own signer node`);
        return recorded;
      }
      const { wallet, state, header } = this.vault.walletForChange(walletId);
      const refusal = ceremonyRefusal(state, wallet);
      if (refusal !== null || wallet.pending === null) throw refusal;
      const pending = wallet.pending;
      const plan = ceremonyPlan(state, walletId);
      if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run its ceremony: ${plan.refused}.`);
      ceremony = plan.ceremony;
      const ceremonyId = this.ids('ceremony');
      const path = header.identityPath;
      const receivers = people(state, plan.receivers.map((r) => r.userId));
      const current = plan.current === null ? [] : people(state, plan.current.key.custodians.map((c) => c.userId).filter((id) => state.users.find((u) => u.id === id)?.status === 'active'));
      const found = await devicesOf(this.devices, path, [...receivers, ...current]);
      // Every custodian of the new key attests it, so every one of them must be here; a reshare's dealers are t of the current ones.
      requireDevices(found, receivers, `${plan.ceremony === 'dkg' ? 'create the key of' : `${plan.ceremony} the shares of`} ${wallet.name}`);
      const dealers = plan.ceremony === 'refresh' ? current : current.filter((u) => found.has(u.id)).slice(0, plan.dealersNeeded);
      if (plan.ceremony === 'refresh') requireDevices(found, current, `refresh the shares of ${wallet.name}`);
      else if (plan.ceremony === 'reshare' && dealers.length < plan.dealersNeeded) {
        const absent = current.filter((u) => !found.has(u.id)).map((u) => u.name);
        throw new CustosError(
          'DEVICE_NOT_FOUND',
          `To reshare ${wallet.name}, ${plan.dealersNeeded} of its current custodians must take part; ${dealers.length} are connected. Connect ${plan.dealersNeeded - dealers.length} more of: ${absent.join(', ')}. Nothing was changed.`,
        );
      }
      const withDevice = (users: UserState[]): ConsentingCustodian[] => users.map((user) => ({ user, deviceId: found.get(user.id) as string }));
      await ensureAnchored({ host: this.host, vault: this.vault, store: this.store, state, identityPath: path, members: withDevice(receivers), progress: (m) => emit('devices', 'anchor', 0, 1, m) });
      const records = storeLog(this.store, this.vault.verifiedHead);
      const expected = {
        ceremonyId,
        walletId,
        ceremony: plan.ceremony,
        keyVersion: plan.toKeyVersion,
        threshold: plan.threshold,
        receivers: plan.receivers.map((r) => ({ partyId: r.partyId, encryptionKey: r.encryptionKey })),
        current: plan.current?.groupKey ?? null,
      };
      const onHost = (p: { step: string; done: number; total: number }) => emit('host', p.step, p.done, p.total, `MPC host: ${p.step}`);
      let outcome: KeyedOutcome;
      if (plan.ceremony === 'dkg') {
        const parties = await useSignatures({
          vault: this.vault, state, identityPath: path, wallet, subject: { ceremony: 'dkg', ceremonyId }, custodians: withDevice(receivers),
          progress: (m, done, total) => emit('devices', 'use', done, total, m),
        });
        emit('devices', 'devices', receivers.length, receivers.length, 'Every custodian approved the key ceremony on their device');
        outcome = await this.host.keygen({ ceremonyId, walletId, records, parties }, expected, { onProgress: onHost });
      } else {
        const opened = await openingShares({
          vault: this.vault, devices: this.devices, state, identityPath: path, wallet, subject: { ceremony: plan.ceremony, ceremonyId }, custodians: withDevice(dealers),
          progress: (m, done, total) => emit('devices', 'use', done, total, m),
        });
        try {
          emit('devices', 'devices', dealers.length, dealers.length, 'Every dealer approved and opened their share');
          outcome = await this.host.reshare({ ceremonyId, walletId, records, dealers: opened }, expected, { onProgress: onHost });
        } finally {
          for (const p of opened) p.unsealSecret.fill(0);
        }
      }
      const { key, shares } = this.outcome(wallet, plan, outcome, receivers);
      const recorded = await this.vault.recordKey({
        walletId,
        proposalId: pending.proposalId,
        ceremony: plan.ceremony,
        ceremonyId,
        key,
        shares,
        attesters: new Map(receivers.map((u) => [u.id, found.get(u.id) as string])),
        onAttest: (name) => emit('record', 'attest', 0, receivers.length, `${name}: your Ledger shows the new key and its first address; check them and approve to attest the key`),
      });
      emit('done', 'done', 1, 1, `Key version ${recorded.key?.keyVersion ?? '?'} recorded, attested by every custodian`);
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

  /** Shapes the record's key and the share rows from the host's (checked) answer. */
  private outcome(wallet: WalletState, plan: CeremonyPlan, result: KeyedOutcome, custodians: UserState[]) {
    const userOfParty = new Map(plan.receivers.map((r) => [r.partyId, r.userId]));
    const sealed = new Map(result.shares.map((s) => [s.partyId, bytesToHex(s.sealed)]));
    if (sealed.size !== custodians.length || [...userOfParty.keys()].some((p) => !sealed.has(p))) {
      throw new CustosError('MPC_PROTOCOL', `The MPC host returned shares for other parties than the ${custodians.length} custodians of ${wallet.name}. Nothing was recorded.`);
    }
    const key = walletKeyOf(result.groupKey, plan.toKeyVersion, userOfParty, sealed);
    const shares: SealedShareRow[] = key.custodians.map((c) => ({ walletId: wallet.id, keyVersion: plan.toKeyVersion, partyId: c.partyId, userId: c.userId, sealed: sealed.get(c.partyId) as string }));
    return { key, shares };
  }
}

function people(state: GovernanceState, ids: readonly string[]): UserState[] {
  return ids.map((id) => {
    const u = state.users.find((x) => x.id === id);
    if (u === undefined || u.status !== 'active') throw new CustosError('RULE_VIOLATION', `Custodian ${id} is not an active user of this vault.`);
    return u;
  });
}

/**
 * Why the wallet's key ceremony cannot run now, or null: it must owe one, and the log must allow it. Running it asks the
 * custodians' devices; whose devices are connected is checked when it starts.
 */
export function ceremonyRefusal(state: GovernanceState, wallet: WalletState): CustosError | null {
  if (wallet.pending === null) return new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes no key ceremony. Propose a refresh or a reshare first.`);
  const plan = ceremonyPlan(state, wallet.id);
  if ('refused' in plan) return new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} cannot run its ceremony: ${plan.refused}.`);
  return null;
}
