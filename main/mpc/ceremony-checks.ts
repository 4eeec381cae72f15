// main's own checks of what the MPC host answered a ceremony with: the host's word is not taken for the key, shares or signatures.
import { equalBytes } from '@noble/curves/utils.js';
import type { GroupKey, PartyId } from '../../crypto/frost/types';
import { decodeSealed } from '../../crypto/sealing';
import { CustosError } from '../errors';
import type { KeyedOutcome } from '../mpc-host/signer-gate';
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

/** What main expects of a key ceremony's outcome, from its own replay of the log (crypto/governance ceremonyPlan). */
export interface ExpectedKey {
  ceremonyId: string;
  walletId: string;
  ceremony: KeyedOutcome['ceremony'];
  keyVersion: number;
  threshold: number;
  receivers: { partyId: PartyId; encryptionKey: Uint8Array }[];
  /** The key in force, for a refresh or reshare: the new one must keep its output key, internal key and chain code. */
  current: GroupKey | null;
}

/** The ceremony asked for; the threshold and receivers expected; one share per receiver, sealed to it; the same key after a reshare. */
export function checkKeyed(expected: ExpectedKey, outcome: KeyedOutcome): KeyedOutcome {
  const what = expected.ceremony === 'dkg' ? 'DKG' : expected.ceremony;
  const id = expected.ceremonyId;
  if (outcome.ceremonyId !== id) refuse(what, id, `it names ceremony ${outcome.ceremonyId}`);
  if (outcome.walletId !== expected.walletId || outcome.ceremony !== expected.ceremony) refuse(what, id, `it answers a ${outcome.ceremony} of wallet ${outcome.walletId}`);
  if (outcome.keyVersion !== expected.keyVersion) refuse(what, id, `it made key version ${outcome.keyVersion}, not ${expected.keyVersion}`);
  const before = expected.current;
  const after = outcome.groupKey;
  if (before !== null && (!equalBytes(after.outputKey, before.outputKey) || !equalBytes(after.internalKey, before.internalKey) || !equalBytes(after.chainCode, before.chainCode)))
    refuse(what, id, 'the wallet key changed');
  checkKeyShape(what, id, after, expected.threshold, expected.receivers.map((r) => r.partyId));
  checkShares(what, id, outcome.shares, expected.receivers);
  return outcome;
}
