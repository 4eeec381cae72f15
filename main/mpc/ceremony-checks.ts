// main's own checks of what the MPC host answered a ceremony with: the host's word is not taken for the key, shares or signatures.
import { schnorr } from '@noble/curves/secp256k1.js';
import { equalBytes } from '@noble/curves/utils.js';
import { deriveChildKey } from '../../crypto/frost/hd';
import type { GroupKey, PartyId } from '../../crypto/frost/types';
import { decodeSealed } from '../../crypto/sealing';
import { CustosError } from '../errors';
import type { DkgOutcome, DkgParams, ReshareOutcome, ReshareParams, SignOutcome, SignParams } from '../mpc-host/ceremony-codec';
import type { SealedShare } from '../mpc-host/wire';

const refuse = (what: string, ceremonyId: string, reason: string): never => {
  throw new CustosError('MPC_PROTOCOL', `The MPC host's answer to ${what} ${ceremonyId} does not hold: ${reason}. Nothing was kept; run it again.`, {
    ceremonyId,
  });
};

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && [...a].sort().join() === [...b].sort().join();

/** One sealed share per expected party, each sealed to that party's device key (the box names its recipient). */
function checkShares(what: string, ceremonyId: string, shares: SealedShare[], expected: { partyId: PartyId; encryptionKey: Uint8Array }[]): void {
  if (!sameSet(shares.map((s) => s.partyId), expected.map((e) => e.partyId)))
    refuse(what, ceremonyId, `it returned shares for other parties than the ${expected.length} asked for`);
  for (const e of expected) {
    const share = shares.find((s) => s.partyId === e.partyId) as SealedShare;
    let recipient: Uint8Array | null = null;
    try {
      recipient = decodeSealed(share.sealed).recipientPublicKey;
    } catch {
      /* refused below */
    }
    if (recipient === null || !equalBytes(recipient, e.encryptionKey)) refuse(what, ceremonyId, `the share of party ${e.partyId} is not sealed to that party's device`);
  }
}

function checkKeyShape(what: string, ceremonyId: string, key: GroupKey, threshold: number, parties: PartyId[]): void {
  if (key.threshold !== threshold) refuse(what, ceremonyId, `its key has threshold ${key.threshold}, not ${threshold}`);
  if (!sameSet(key.parties, parties)) refuse(what, ceremonyId, 'its key names other parties than those asked for');
}

export function checkDkgOutcome(params: DkgParams, outcome: DkgOutcome): DkgOutcome {
  const what = 'DKG';
  if (outcome.ceremonyId !== params.ceremonyId) refuse(what, params.ceremonyId, `it names ceremony ${outcome.ceremonyId}`);
  checkKeyShape(what, params.ceremonyId, outcome.groupKey, params.threshold, params.parties.map((p) => p.partyId));
  checkShares(what, params.ceremonyId, outcome.shares, params.parties);
  return outcome;
}

/** Every signature must verify (BIP-340) under the key main derives itself from the group key and path it sent. */
export function checkSignOutcome(params: SignParams, outcome: SignOutcome): SignOutcome {
  const what = 'signing session';
  if (outcome.ceremonyId !== params.ceremonyId) refuse(what, params.ceremonyId, `it names session ${outcome.ceremonyId}`);
  if (outcome.signatures.length !== params.messages.length)
    refuse(what, params.ceremonyId, `${outcome.signatures.length} signatures for ${params.messages.length} messages`);
  const key = deriveChildKey(params.groupKey, params.path).groupKey.outputKey;
  outcome.signatures.forEach((sig, i) => {
    if (!schnorr.verify(sig, params.messages[i] as Uint8Array, key)) refuse(what, params.ceremonyId, `signature ${i} does not verify under the wallet's key`);
  });
  return outcome;
}

/** Same wallet key (output, internal, chain code); the new threshold and receivers; one share per receiver, sealed to it. */
export function checkReshareOutcome(params: ReshareParams, outcome: ReshareOutcome): ReshareOutcome {
  const what = params.mode;
  if (outcome.ceremonyId !== params.ceremonyId) refuse(what, params.ceremonyId, `it names ceremony ${outcome.ceremonyId}`);
  const before = params.groupKey;
  const after = outcome.groupKey;
  if (!equalBytes(after.outputKey, before.outputKey) || !equalBytes(after.internalKey, before.internalKey) || !equalBytes(after.chainCode, before.chainCode))
    refuse(what, params.ceremonyId, 'the wallet key changed');
  checkKeyShape(what, params.ceremonyId, after, params.threshold, params.receivers.map((r) => r.partyId));
  checkShares(what, params.ceremonyId, outcome.shares, params.receivers);
  return outcome;
}
