// Who may speak in a relay session, with which keys: the signer nodes the vault's log registered, each by its custodian's
// device. Nothing else names a party's keys, so a message is tied to a custodian through the log alone.
import { hexToBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import { COORDINATOR } from '../../crypto/frost/types';
import type { GovernanceState, UserState } from '../../crypto/governance';
import type { TransportDirectory, TransportPublicKeys } from '../../crypto/relay';

/**
 * A directory over the replayed log: a FROST party id answers with its custodian's registered node keys (an active
 * user only); "coordinator" answers with the node keys of the user who coordinates this session (null: no coordinator,
 * as in a DKG). Anything else, or a user with no registered node, answers null and the relay refuses it.
 */
export function transportDirectory(state: GovernanceState, coordinatorUserId: string | null): TransportDirectory {
  const byParty = new Map<string, UserState>();
  for (const u of state.users) if (u.status === 'active' && u.node !== undefined) byParty.set(partyIdFor(u.id), u);
  const coordinator = coordinatorUserId === null ? undefined : state.users.find((u) => u.id === coordinatorUserId && u.status === 'active');
  return (party) => {
    const user = party === COORDINATOR ? coordinator : byParty.get(party);
    return user?.node === undefined ? null : keysOf(user.node);
  };
}

function keysOf(node: { signingKey: string; hpkeKey: string }): TransportPublicKeys {
  return { signingKey: hexToBytes(node.signingKey.slice(2)), hpkeKey: hexToBytes(node.hpkeKey.slice(2)) };
}
