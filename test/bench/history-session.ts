// A console over a copy of a generated vault for the history benchmark: main's services as startServices builds them,
// the members' virtual Ledgers plugged in, the MPC host on the vault's own signer folder; the host sync is awaited.
import { rmSync } from 'node:fs';
import { DeviceManager } from '../../main/devices/manager';
import { createHandlers } from '../../main/ipc/handlers';
import type { Handlers } from '../../main/ipc/dispatch';
import { Inbox } from '../../main/inbox';
import { silentLogger } from '../../main/log';
import type { MpcHostClient } from '../../main/mpc/client';
import { hostClientFor } from '../../main/mpc/launch-node';
import type { Services } from '../../main/services';
import { Store } from '../../main/store';
import { TeamService } from '../../main/team/service';
import { TransferService } from '../../main/transfers/service';
import { VaultService } from '../../main/vault';
import { WalletCeremonies } from '../../main/wallets/ceremonies';
import { syncHost } from '../../main/wallets/host-anchor';
import { copyVault, type VaultManifest } from './vault-generator';

export interface HistorySession {
  dir: string;
  store: Store;
  vault: VaultService;
  transfers: TransferService;
  host: MpcHostClient;
  devices: DeviceManager;
  handlers: Handlers;
  /** Device id by person's name. */
  device: Map<string, string>;
  /** Gives the host the records it lacks, as keepHostSynced does after each commit; resolves when it has them. */
  syncHost(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens a working copy of the cached vault `dir`. The host is not started here: the caller times its first answer.
 * keepHostSynced is left out on purpose (it syncs in the background); the benchmark calls syncHost itself.
 */
export async function openSession(dir: string, manifest: VaultManifest, label: string): Promise<HistorySession> {
  const copy = copyVault(dir, label);
  const devices = new DeviceManager();
  const device = new Map<string, string>();
  for (const p of manifest.people) {
    const { device: d, ledger } = devices.addVirtual({ label: p.name, mnemonic: p.mnemonic });
    ledger.screen.setResponder(() => 'approve');
    device.set(p.name, d.id);
  }
  const store = Store.open(copy);
  const vault = new VaultService({ store, devices, log: silentLogger });
  const host = hostClientFor(copy);
  const wallets = { ceremonies: new WalletCeremonies({ vault, store, devices, host, log: silentLogger }), transfers: new TransferService({ vault, store, devices, host }) };
  const inbox = new Inbox(() => vault, () => wallets.transfers);
  const team = new TeamService({ dataDir: copy, store, vault, log: silentLogger });
  const services: Services = {
    dataDir: copy,
    devices,
    mpc: host,
    log: silentLogger,
    vault: () => vault,
    wallets: () => wallets,
    inbox: () => inbox,
    team: () => team,
    appInfo: () => ({ name: 'Custos', version: 'bench', shell: 'cli', platform: process.platform, udevRulesInstalled: null, udevGuidance: null }),
    diagnostics: async () => '',
    close: async () => {},
  };
  return {
    dir: copy,
    store,
    vault,
    transfers: wallets.transfers,
    host,
    devices,
    handlers: createHandlers(services),
    device,
    syncHost: () => syncHost(store, host, vault),
    async close() {
      await host.close();
      vault.close();
      store.close();
      await devices.close();
      rmSync(copy, { recursive: true, force: true });
    },
  };
}
