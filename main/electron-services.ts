// Main's services inside Electron: the MPC host as a utility process, USB Ledgers with hot-plug.
import { nodeHidDiscovery } from './devices/usb';
import { electronHostLauncher } from './mpc/launch-electron';
import { MpcHostClient } from './mpc/client';
import { signerFolderOf } from './mpc/signer-folder';
import { startServices, type Services, type ServicesOptions } from './services';

export function startElectronServices(options: { dataDir: string; version: string; log: ServicesOptions['log'] }): Promise<Services> {
  return startServices({
    dataDir: options.dataDir,
    shell: 'electron',
    version: options.version,
    log: options.log,
    // The host keeps its own pinned log and signed ledger beside the vault, apart from main's database.
    mpc: new MpcHostClient({ launcher: electronHostLauncher({ env: { ...process.env, CUSTOS_MPC_HOST_DATA: signerFolderOf(options.dataDir) } }), log: options.log }),
    devices: { usb: nodeHidDiscovery((message) => options.log.warn(message)) },
  });
}
