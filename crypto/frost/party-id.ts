// A custodian's FROST party identifier, derived from their user id the same way by main and by the MPC host.
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import type { PartyId } from './types.js';

const PREFIX = 'custos/party/v1/';

/**
 * noble's hash-to-identifier of "custos/party/v1/" ‖ userId: canonical, non-zero, and the same on every machine, so a
 * party id never needs to be stored apart from the user it belongs to.
 */
export function partyIdFor(userId: string): PartyId {
  if (typeof userId !== 'string' || userId.length === 0) throw new Error('userId must be a non-empty string');
  return schnorr_FROST.Identifier.derive(PREFIX + userId);
}
