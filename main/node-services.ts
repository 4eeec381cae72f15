// Main's services under plain Node (browser host, CLI, tests): the MPC host as a child process, USB optional.
import { nodeHidDiscovery } from './devices/usb';
import { consoleLogger } from './log';
import { hostClientFor } from './mpc/launch-node';
import { HOST_VERSION } from './mpc-host/protocol';
import { startServices, type Services, type ServicesOptions } from './services';

export interface NodeServicesOptions {
  dataDir: string;
  shell: ServicesOptions['shell'];
  /** Look for USB Ledgers (hot-plug); off in tests. */
  usb?: boolean;
  log?: ServicesOptions['log'];
  exchangeTimeoutMs?: number;
}

export function startNodeServices(options: NodeServicesOptions): Promise<Services> {
  const log = options.log ?? consoleLogger(options.shell);
  return startServices({
    dataDir: options.dataDir,
    shell: options.shell,
    version: HOST_VERSION,
    log,
    // The host keeps its own pinned log and signed ledger beside the vault, apart from main's database.
    mpc: hostClientFor(options.dataDir, { log }),
    devices: {
      usb: options.usb ? nodeHidDiscovery((message) => log.warn(message)) : null,
      exchangeTimeoutMs: options.exchangeTimeoutMs,
    },
  });
}
