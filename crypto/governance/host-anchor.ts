// The statement that pins a vault on one MPC signer: the vault id and genesis administrator a person confirmed on a device.
import { digest } from '../canonical.js';
import type { HostAnchorStatement } from '../statements.js';

/** What a signer is pinned to before it replays any log: nothing else may stand in for this vault's genesis. */
export interface HostAnchor {
  readonly vaultId: string;
  readonly vaultName: string;
  /** EIP-55 address of the genesis administrator's device. */
  readonly genesisAddress: string;
  /** The signer folder's own id: an anchor confirmed for one signer cannot be replayed to another. */
  readonly hostId: string;
}

export function hostAnchorStatement(anchor: HostAnchor): HostAnchorStatement {
  return {
    kind: 'host-anchor',
    vaultId: anchor.vaultId,
    vaultName: anchor.vaultName,
    seq: 0,
    genesisAddress: anchor.genesisAddress,
    hostId: anchor.hostId,
    digest: digest({ domain: 'custos/host-anchor/v1', vaultId: anchor.vaultId, vaultName: anchor.vaultName, genesisAddress: anchor.genesisAddress.toLowerCase(), hostId: anchor.hostId }),
  };
}
