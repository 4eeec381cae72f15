// Pins the MPC signer to this vault before it is asked for anything: a member's device shows the vault id and its
// genesis administrator, and signs the anchor statement for this very signer. Asked once per signer folder.
import { hostAnchorStatement, type GovernanceState } from '../../crypto/governance';
import { CustosError } from '../errors';
import type { MpcHostClient } from '../mpc/client';
import type { Store } from '../store';
import type { VaultService } from '../vault/service';
import type { ConsentingCustodian } from './share-consent';

/**
 * Resolves once the host is pinned to this vault. A host whose folder does not hold together, or that is pinned to
 * another vault, is TAMPERING_DETECTED: a person must look. A host pinned to nothing asks the first given member's
 * device (a custodian about to take part) to confirm the vault.
 */
export async function ensureAnchored(opts: {
  host: MpcHostClient;
  vault: VaultService;
  store: Store;
  state: GovernanceState;
  identityPath: string;
  members: readonly ConsentingCustodian[];
  progress?: (message: string) => void;
}): Promise<void> {
  const status = await opts.host.status();
  if (status.problem !== null) throw new CustosError('TAMPERING_DETECTED', `The MPC signer refuses to act: ${status.problem}`);
  const genesis = opts.state.users.find((u) => u.registeredAtSeq === 0);
  if (genesis === undefined) throw new CustosError('STORE_ERROR', 'The vault has no genesis administrator.');
  if (status.anchor !== null) {
    if (status.anchor.vaultId === opts.state.vaultId && status.anchor.genesisAddress.toLowerCase() === genesis.identityAddress.toLowerCase()) return;
    throw new CustosError('TAMPERING_DETECTED', `The MPC signer is pinned to another vault ("${status.anchor.vaultName}", ${status.anchor.vaultId}); it will not sign for this one.`);
  }
  const member = opts.members[0];
  if (member === undefined) throw new CustosError('DEVICE_NOT_FOUND', 'The MPC signer must first be pinned to this vault: connect the Ledger of a member of the vault.');
  const anchor = { vaultId: opts.state.vaultId, vaultName: opts.state.vaultName, genesisAddress: genesis.identityAddress, hostId: status.hostId };
  opts.progress?.(`${member.user.name}: your Ledger shows this vault's id and its first administrator's address; check them and approve to pin this computer's MPC signer to the vault (asked once)`);
  const signature = await opts.vault.signOnDevice(member.deviceId, opts.identityPath, hostAnchorStatement(anchor), member.user.identityAddress);
  await opts.host.pinAnchor({
    vaultId: anchor.vaultId,
    vaultName: anchor.vaultName,
    genesisAddress: anchor.genesisAddress,
    confirmedBy: member.user.identityAddress,
    signature,
    records: opts.store.records.all().map((r) => r.body),
  });
}

/**
 * Gives the host the log, so it times approvals (delays) by when it first sees them. A signer not yet pinned to the
 * vault takes no log (nor does one that refuses to act): it is pinned on a member's device before its first ceremony.
 */
export async function syncHost(store: Store, host: MpcHostClient): Promise<void> {
  const s = await host.status();
  if (s.anchor === null || s.problem !== null) return;
  await host.syncLog(store.records.all().map((r) => r.body));
}

/** Syncs the host after every change the vault commits; a failed sync is retried with the next change. */
export function keepHostSynced(vault: VaultService, store: Store, host: MpcHostClient, warn: (message: string, error: string) => void): void {
  vault.on('changed', () => {
    syncHost(store, host).catch((err: unknown) => warn('the MPC host did not take the latest records; it gets them again with the next one', (err as Error)?.message ?? String(err)));
  });
}
