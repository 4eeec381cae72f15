// Wallet test parts: the vault harness plus a real MPC host child process and the wallet services over them.

import { hostClientFor } from '../../main/mpc/launch-node';
import type { HostLauncher } from '../../main/mpc/launcher';
import { MpcHostClient } from '../../main/mpc/client';
import { signerFolderOf } from '../../main/mpc/signer-folder';
import { WalletCeremonies } from '../../main/wallets/ceremonies';
import { keepHostSynced } from '../../main/wallets/host-anchor';
import type { WalletProgress } from '../../preload/contract';
import { foundedVault, harness, userId, type Harness } from '../vault/helpers';

export interface WalletHarness extends Harness {
  client: MpcHostClient;
  /** The same client: the one name main knows the host by. */
  host: MpcHostClient;
  ceremonies: WalletCeremonies;
  progress: WalletProgress[];
  ids: { alice: string; bob: string; carol: string; dave: string };
}

/** Treasury founded by Alice, Bob and Carol (quorum 2), Dave registered as an approver, and the host started. */
export async function walletHarness(options: { launcher?: (env: NodeJS.ProcessEnv) => HostLauncher } = {}): Promise<WalletHarness> {
  const h = harness();
  const founders = await foundedVault(h);
  const p = await h.vault.proposeUser({ name: 'Dave', roles: ['approver'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
  // The host keeps its own pinned log and signed ledger in the vault's folder, as the app's services set it up.
  const client =
    options.launcher === undefined
      ? hostClientFor(h.dir, { env: { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' } })
      : new MpcHostClient({ launcher: options.launcher({ ...process.env, CUSTOS_MPC_HOST_QUIET: '1', CUSTOS_MPC_HOST_DATA: signerFolderOf(h.dir) }) });
  const host = client;
  keepHostSynced(h.vault, h.store, host, () => undefined);
  const ceremonies = new WalletCeremonies({ vault: h.vault, store: h.store, devices: h.devices, host });
  const progress: WalletProgress[] = [];
  ceremonies.on('progress', (e) => progress.push(e));
  const wh = Object.assign(h, {
    client,
    host,
    ceremonies,
    progress,
    ids: { ...founders, dave: userId(h, 'Dave') },
  });
  const close = h.close.bind(h);
  wh.close = async () => {
    await client.close();
    await close();
  };
  return wh;
}

/** Proposes as Alice, approves as Bob and Carol: the proposal is approved (quorum 2, the proposer does not count). */
export async function adopted<T extends { id: string }>(h: Harness, propose: () => Promise<T>): Promise<T> {
  const p = await propose();
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
  return p;
}
