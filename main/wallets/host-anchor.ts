// Pins the MPC signer to this vault before it is asked for anything: a member's device shows the vault id and its
// genesis administrator, and signs the anchor statement for this very signer. Asked once per signer folder.
import { hostAnchorStatement, type GovernanceState } from '../../crypto/governance';
import { CustosError } from '../errors';
import type { MpcHostClient } from '../mpc/client';
import type { Store } from '../store';
import type { VaultService } from '../vault/service';
import type { ConsentingCustodian } from './share-consent';
import { storeLog } from './store-log';

/**
 * Resolves once the host is pinned to this vault and holds its log as the store has it. A host whose folder does not
 * hold together, or that is pinned to another vault, is TAMPERING_DETECTED: a person must look. A host pinned to
 * nothing asks the first given member's device (a custodian about to take part) to confirm the vault. Asked before
 * any custodian's device is, so a log the host refuses costs nobody a confirmation.
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
    if (status.anchor.vaultId === opts.state.vaultId && status.anchor.genesisAddress.toLowerCase() === genesis.identityAddress.toLowerCase()) {
      await syncLog(opts.store, opts.host, opts.vault);
      return;
    }
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
export async function syncHost(store: Store, host: MpcHostClient, vault: VaultService): Promise<void> {
  const s = await host.status();
  if (s.anchor === null || s.problem !== null) return;
  await syncLog(store, host, vault);
}

/**
 * The host pinned every record it was given: a log that no longer holds them (its tail cut off, a record rewritten)
 * is refused there, and the vault then reports it as tampering and refuses to act, whatever its own files say.
 */
async function syncLog(store: Store, host: MpcHostClient, vault: VaultService): Promise<void> {
  try {
    await host.syncLog(storeLog(store, vault.verifiedHead));
  } catch (err) {
    if (err instanceof CustosError && err.code === 'TAMPERING_DETECTED') vault.noteSignerProblem(err.message);
    throw err;
  }
}

/** Syncs the host at start and after every change the vault commits; a failed sync is retried with the next change. */
export function keepHostSynced(vault: VaultService, store: Store, host: MpcHostClient, warn: (message: string, error: string) => void): void {
  const sync = () =>
    syncHost(store, host, vault).catch((err: unknown) => warn('the MPC host did not take the latest records; it gets them again with the next one', (err as Error)?.message ?? String(err)));
  if (store.records.lastSeq() !== null) void sync();
  vault.on('changed', () => void sync());
}
