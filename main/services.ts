// Builds main's services from real parts (device manager, MPC host client); every shell wires the same ones.
import { mkdirSync } from 'node:fs';
import type { AppInfo } from '../preload/contract';
import { DeviceManager, type DeviceManagerOptions } from './devices/manager';
import { diagnostics } from './diagnostics';
import { Inbox } from './inbox';
import { CustosError } from './errors';
import type { Logger } from './log';
import { udevGuidance, udevRulesInstalled } from './platform/udev';
import { Store } from './store';
import { VaultService } from './vault';
import { TeamService } from './team/service';
import { TeamNodes } from './signer/team-nodes';
import type { MpcHostClient } from './mpc/client';
import { WalletCeremonies } from './wallets/ceremonies';
import { keepHostSynced } from './wallets/host-anchor';
import { TransferService } from './transfers/service';

/** Wallet services over the vault: key ceremonies and transfers (the one way anything is signed). */
export interface WalletServices {
  ceremonies: WalletCeremonies;
  transfers: TransferService;
}

export interface ServicesOptions {
  dataDir: string;
  shell: AppInfo['shell'];
  version: string;
  devices?: DeviceManagerOptions;
  mpc: MpcHostClient;
  /** A logger that also keeps its recent lines (the file logger) lets diagnostics include them. */
  log: Logger & { recent?: (count?: number) => string[] };
}

export interface Services {
  dataDir: string;
  devices: DeviceManager;
  mpc: MpcHostClient;
  log: Logger;
  /**
   * The vault service over `<dataDir>/custos.sqlite`. Throws the store's error (DATABASE_TOO_NEW, STORE_ERROR)
   * when the database could not be opened, so the console still starts and says why on every vault call.
   */
  vault(): VaultService;
  /** Same failure as vault() when the store could not be opened. */
  wallets(): WalletServices;
  /** What waits for the person acting; same failure as vault() when the store could not be opened. */
  inbox(): Inbox;
  /** The team's log as this console follows it (status, catch-up, join); same failure as vault() when the store could not be opened. */
  team(): TeamService;
  appInfo(): AppInfo;
  /** "Copy diagnostics": versions, the vault's and the signer's state, devices, recent log lines; nothing secret. */
  diagnostics(): Promise<string>;
  close(): Promise<void>;
}

export async function startServices(options: ServicesOptions): Promise<Services> {
  mkdirSync(options.dataDir, { recursive: true });
  const devices = new DeviceManager(options.devices);
  devices.on('warning', (message) => options.log.warn(message));
  await devices.start();
  let store: Store | null = null;
  let vault: VaultService | null = null;
  let storeError: CustosError | null = null;
  let wallets: WalletServices | null = null;
  let inbox: Inbox | null = null;
  let team: TeamService | null = null;
  try {
    store = Store.open(options.dataDir);
    vault = new VaultService({ store, devices, log: options.log });
    // In a team, signings and key ceremonies go through the custodians' signer nodes (the MPC host takes no part).
    const nodes = new TeamNodes({ dataDir: options.dataDir, vault });
    wallets = {
      ceremonies: new WalletCeremonies({ vault, store, devices, host: options.mpc, nodes, log: options.log }),
      transfers: new TransferService({ vault, store, devices, host: options.mpc, nodes }),
    };
    keepHostSynced(vault, store, options.mpc, (message, error) => options.log.warn(message, { error }));
    // A data folder joined to a team follows its log (adopting what the other consoles append); a single desk has no settings.
    team = new TeamService({ dataDir: options.dataDir, store, vault, log: options.log });
    team.start();
    const opened = { vault, transfers: wallets.transfers };
    inbox = new Inbox(() => opened.vault, () => opened.transfers);
    inbox.listen();
  } catch (err) {
    store?.close();
    if (!(err instanceof CustosError)) throw err;
    storeError = err;
    options.log.error('the vault store could not be opened', { code: err.code, message: err.message });
  }
  const openVault = (): VaultService => {
    if (vault === null) throw storeError ?? new CustosError('STORE_ERROR', 'The vault store is not open.');
    return vault;
  };
  const appInfo = (): AppInfo => ({
    name: 'Custos',
    version: options.version,
    shell: options.shell,
    platform: process.platform,
    udevRulesInstalled: udevRulesInstalled(),
    udevGuidance: udevRulesInstalled() === false ? udevGuidance() : null,
  });
  return {
    dataDir: options.dataDir,
    devices,
    mpc: options.mpc,
    log: options.log,
    vault: openVault,
    wallets: () => {
      if (wallets === null) throw storeError ?? new CustosError('STORE_ERROR', 'The vault store is not open.');
      return wallets;
    },
    inbox: () => {
      if (inbox === null) throw storeError ?? new CustosError('STORE_ERROR', 'The vault store is not open.');
      return inbox;
    },
    team: () => {
      if (team === null) throw storeError ?? new CustosError('STORE_ERROR', 'The vault store is not open.');
      return team;
    },
    appInfo,
    diagnostics: () =>
      diagnostics({
        appInfo: appInfo(),
        dataDir: options.dataDir,
        vault: openVault,
        mpc: options.mpc,
        devices,
        recentLog: () => options.log.recent?.(200) ?? ['(this process keeps no log lines in memory)'],
      }),
    async close() {
      await team?.close();
      vault?.close();
      store?.close();
      await devices.close();
      await options.mpc.close();
    },
  };
}
