// "Copy diagnostics": what a person sends their administrator when something goes wrong — versions, the vault's and the
// MPC signer's state, the devices, the recent log lines — and nothing secret (log lines are redacted when written).
import type { AppInfo } from '../preload/contract';
import type { DeviceManager } from './devices/manager';
import type { MpcHostClient } from './mpc/client';
import { PROTOCOL_VERSION } from './mpc-host/protocol';
import type { VaultService } from './vault/service';

export interface DiagnosticsSources {
  appInfo: AppInfo;
  dataDir: string;
  /** Throws when the store could not be opened; the text then says why. */
  vault: () => VaultService;
  mpc: MpcHostClient;
  devices: DeviceManager;
  recentLog: () => string[];
  now?: () => Date;
}

export async function diagnostics(s: DiagnosticsSources): Promise<string> {
  const v = process.versions as NodeJS.ProcessVersions & { electron?: string; chrome?: string };
  const lines = [
    `Custos diagnostics, ${(s.now ?? (() => new Date()))().toISOString()}`,
    `Custos ${s.appInfo.version} (${s.appInfo.shell}), MPC host protocol ${PROTOCOL_VERSION}`,
    `Node ${v.node}${v.electron ? `, Electron ${v.electron}` : ''}${v.chrome ? `, Chromium ${v.chrome}` : ''}, ${process.platform} ${process.arch}`,
    `Data folder: ${s.dataDir}`,
    vaultLine(s.vault),
    await signerLine(s.mpc),
    devicesLine(s.devices),
    '',
    'Recent log lines (secrets redacted when written):',
    ...s.recentLog(),
  ];
  return lines.join('\n');
}

function vaultLine(vault: () => VaultService): string {
  try {
    const summary = vault().status().vault;
    if (summary === null) return 'Vault: none in this folder yet';
    const { integrity } = summary;
    const state = integrity.status === 'ok' ? 'integrity ok' : `TAMPERED (${integrity.problems.length} problem${integrity.problems.length === 1 ? '' : 's'}): ${integrity.problems.slice(0, 3).join(' | ')}`;
    return `Vault: ${summary.name} (${summary.vaultId}), last record seq ${summary.seq}, ${state}`;
  } catch (err) {
    return `Vault: the store could not be opened: ${(err as Error).message}`;
  }
}

async function signerLine(mpc: MpcHostClient): Promise<string> {
  try {
    const s = await mpc.status();
    const pinned = s.anchor === null ? 'pinned to no vault yet' : `pinned to ${s.anchor.vaultName} (${s.anchor.vaultId}) up to seq ${s.pinnedSeq}`;
    return `MPC signer ${s.hostId}: ${pinned}${s.problem === null ? '' : `; refuses to act: ${s.problem}`}${s.notice ? `; ${s.notice}` : ''}`;
  } catch (err) {
    return `MPC signer: did not answer: ${(err as Error).message}`;
  }
}

function devicesLine(devices: DeviceManager): string {
  const list = devices.list();
  if (list.length === 0) return 'Devices: none connected';
  const count = (xs: string[]) => Object.entries(xs.reduce<Record<string, number>>((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {})).map(([k, n]) => `${n} ${k}`).join(', ');
  return `Devices: ${count(list.map((d) => d.kind))}; ${count(list.map((d) => d.state))}`;
}
