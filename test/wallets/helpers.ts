// Wallet test parts: the vault harness plus a real MPC host child process and the wallet services over them.
import path from 'node:path';
import { MpcHostClient } from '../../main/mpc/client';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import type { MpcHost } from '../../main/services';
import { WalletCeremonies } from '../../main/wallets/ceremonies';
import { mpcHostOf } from '../../main/wallets/host-adapter';
import { PsbtSigner } from '../../main/wallets/psbt-signing';
import type { WalletProgress } from '../../preload/contract';
import { foundedVault, harness, userId, type Harness } from '../vault/helpers';

export interface WalletHarness extends Harness {
  client: MpcHostClient;
  host: MpcHost;
  ceremonies: WalletCeremonies;
  signer: PsbtSigner;
  progress: WalletProgress[];
  ids: { alice: string; bob: string; carol: string; dave: string };
}

/** Treasury founded by Alice, Bob and Carol (quorum 2), Dave registered as an approver, and the host started. */
export async function walletHarness(): Promise<WalletHarness> {
  const h = harness();
  const founders = await foundedVault(h);
  const p = await h.vault.proposeUser({ name: 'Dave', roles: ['approver'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
  await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
  // The host keeps its own pinned log and signed ledger in the vault's folder, as the app's services set it up.
  const client = new MpcHostClient({ launcher: nodeHostLauncher({ env: { ...process.env, CUSTOS_MPC_HOST_DATA: path.join(h.dir, 'mpc-host') } }) });
  const host = mpcHostOf(client);
  const ceremonies = new WalletCeremonies({ vault: h.vault, devices: h.devices, host });
  const progress: WalletProgress[] = [];
  ceremonies.on('progress', (e) => progress.push(e));
  const wh = Object.assign(h, {
    client,
    host,
    ceremonies,
    signer: new PsbtSigner(h.vault, h.devices, host),
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
