// Builds main's services from real parts (device manager, MPC host client); every shell wires the same ones.
import { mkdirSync } from 'node:fs';
import type { AppInfo, MpcHostHealth } from '../preload/contract';
import { DeviceManager, type DeviceManagerOptions } from './devices/manager';
import type { Logger } from './log';
import { udevGuidance, udevRulesInstalled } from './platform/udev';

/** What main needs of the MPC host client. */
export interface MpcHost {
  ping(): Promise<MpcHostHealth>;
  close(): Promise<void>;
}

export interface ServicesOptions {
  dataDir: string;
  shell: AppInfo['shell'];
  version: string;
  devices?: DeviceManagerOptions;
  mpc: MpcHost;
  log: Logger;
}

export interface Services {
  dataDir: string;
  devices: DeviceManager;
  mpc: MpcHost;
  log: Logger;
  appInfo(): AppInfo;
  close(): Promise<void>;
}

export async function startServices(options: ServicesOptions): Promise<Services> {
  mkdirSync(options.dataDir, { recursive: true });
  const devices = new DeviceManager(options.devices);
  devices.on('warning', (message) => options.log.warn(message));
  await devices.start();
  return {
    dataDir: options.dataDir,
    devices,
    mpc: options.mpc,
    log: options.log,
    appInfo: () => ({
      name: 'Custos',
      version: options.version,
      shell: options.shell,
      platform: process.platform,
      udevRulesInstalled: udevRulesInstalled(),
      udevGuidance: udevRulesInstalled() === false ? udevGuidance() : null,
    }),
    async close() {
      await devices.close();
      await options.mpc.close();
    },
  };
}
