// What a signer checks before its share signs a transfer, from the signed log alone: pure, so the MPC host runs it over
// its own pinned copy of the log, its own ledger and its own clock, whatever the console's database says.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { ReplayError } from '../governance/replay.js';
import { applyRecords, replay } from '../governance/replayer.js';
import type { GovernanceState, TransferState } from '../governance/types.js';
import type { SignedTransfer } from '../policy/index.js';
import { transferDecision } from './decision.js';
import { shareRefreshDue } from './share-refresh.js';
import { parseWalletPath } from './transaction.js';

/** What a signer keeps of the log: each record's seq, the hash of its exact bytes, and when it first saw it. */
export interface PinnedRecord {
  readonly seq: number;
  readonly hash: string;
  readonly receivedAt: number;
}

export const recordHash = (body: string): string => bytesToHex(sha256(utf8ToBytes(body)));

/**
 * The records of `bodies` the signer has not seen, after checking the ones it has are byte for byte the same: a log
 * rewritten behind its back (an edited record, a removed one, another vault) is refused, whatever it replays to.
 */
export function newRecords(pinned: readonly PinnedRecord[], bodies: readonly string[]): { fresh: { seq: number; body: string }[] } | { refused: string } {
  if (bodies.length < pinned.length) return { refused: `the console's log has ${bodies.length} records; this signer has seen ${pinned.length}: records were removed` };
  for (const p of pinned) {
    const body = bodies[p.seq];
    if (body === undefined || recordHash(body) !== p.hash) return { refused: `record ${p.seq} is not the one this signer saw: the log was rewritten` };
  }
  return { fresh: bodies.slice(pinned.length).map((body, i) => ({ seq: pinned.length + i, body })) };
}

/** Replays the log (signatures, quorums, every rule) from genesis, or says which record fails. */
export function replayBodies(bodies: readonly string[]): { state: GovernanceState } | { refused: string } {
  try {
    return { state: replay(bodies.map((b) => JSON.parse(b) as unknown)) };
  } catch (err) {
    if (err instanceof ReplayError) return { refused: `the signed log does not hold: ${err.message}` };
    if (err instanceof SyntaxError) return { refused: 'a record of the log is not JSON' };
    throw err;
  }
}

/**
 * Applies records on top of a state replayed before (the signer's cache), checking each one like replay does. A state
 * that replayBodies or extendState returned is extended in place (cost of the new records, not of the history).
 */
export function extendState(state: GovernanceState, bodies: readonly string[]): { state: GovernanceState } | { refused: string } {
  // Parsed up to the first body that is not JSON: the records before it are still checked first, as one by one.
  const records: unknown[] = [];
  let unreadable = false;
  for (const body of bodies) {
    try {
      records.push(JSON.parse(body) as unknown);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
      unreadable = true;
      break;
    }
  }
  try {
    const next = applyRecords(state, records);
    return unreadable ? { refused: 'a record of the log is not JSON' } : { state: next };
  } catch (err) {
    if (err instanceof ReplayError) return { refused: `the signed log does not hold: ${err.message}` };
    throw err;
  }
}

export interface SigningPlan {
  transfer: TransferState;
  ruleId: string;
  walletId: string;
  /** One per input: what to sign and under which wallet path. */
  inputs: { index: number; path: number[]; sighash: Uint8Array }[];
}

/**
 * What the wallet has signed, for velocity: the signer's own ledger, and every signed transfer the log records (so a
 * ledger deleted or lost forgets nothing the log still holds). A log entry is timed by when the signer first saw it
 * (now, if it has no receipt time): never earlier than the signer could know, so a backdated record counts longer.
 */
export function velocityHistory(
  state: GovernanceState,
  walletId: string,
  ledger: readonly (SignedTransfer & { walletId: string })[],
  receivedAt: (seq: number) => number | undefined,
  now: number,
): SignedTransfer[] {
  const out = new Map<string, SignedTransfer>();
  for (const l of ledger) if (l.walletId === walletId) out.set(l.requestId, l);
  for (const t of state.transfers) {
    if (t.request.walletId !== walletId || t.signed === null || out.has(t.id)) continue;
    out.set(t.id, { requestId: t.id, ruleId: t.signed.ruleId, amount: BigInt(t.request.amount), signedAt: receivedAt(t.signed.seq) ?? now });
  }
  return [...out.values()];
}

/**
 * Whether the request may be signed now, by the signer's own lights: it exists in the replayed log (so its initiator
 * signed it, its transaction is what it says and its policy was in force), it was not signed before (the signer's own
 * ledger), and the policy allows it now, with approvals timed by when the signer first saw them and velocity counted
 * from the signer's own ledger and the log's signed transfers, and no refresh of the shares the policy asks for is due.
 */
export function signingPlan(input: {
  state: GovernanceState;
  requestId: string;
  ledger: readonly (SignedTransfer & { walletId: string })[];
  receivedAt: (seq: number) => number | undefined;
  now: number;
}): SigningPlan | { refused: string } {
  const { state, requestId } = input;
  const transfer = state.transfers.find((t) => t.id === requestId);
  if (transfer === undefined) return { refused: `there is no request ${requestId} in the signed log` };
  if (input.ledger.some((l) => l.requestId === requestId) || transfer.signed !== null) return { refused: `request ${requestId} was already signed; a request is signed once` };
  const wallet = state.wallets.find((w) => w.id === transfer.request.walletId);
  if (wallet === undefined || wallet.key === null) return { refused: `the wallet of request ${requestId} has no key` };
  if (wallet.pending !== null) return { refused: `wallet ${wallet.name} owes a ${wallet.pending.ceremony} (a custodian may have been revoked); nothing is signed until it is done` };
  const history = velocityHistory(state, wallet.id, input.ledger, input.receivedAt, input.now);
  const decision = transferDecision(state, transfer, {
    now: input.now,
    history,
    timeOf: (d) => input.receivedAt(d.seq) ?? Number.POSITIVE_INFINITY,
  });
  switch (decision.outcome) {
    case 'denied':
      return { refused: `the policy denies request ${requestId}: ${decision.reason}` };
    case 'rejected':
      return { refused: `request ${requestId} was rejected: ${decision.reason}` };
    case 'pending': {
      const missing = decision.steps.filter((s) => s.missing > 0).map((s) => `${s.missing} more of group ${s.groupId}`);
      return { refused: `request ${requestId} lacks approvals: ${missing.join(', ')}` };
    }
    case 'allowed':
      if (!decision.ready) return { refused: `request ${requestId} is in its delay until ${new Date(decision.delayUntil).toISOString()} (by this signer's clock)` };
  }
  // The key's age by the earlier of the record's own time and when this signer first saw it: never younger than it is.
  const since = wallet.keySince;
  if (since !== null) {
    const keyTime = Math.min(Date.parse(since.at), input.receivedAt(since.seq) ?? input.now);
    const due = shareRefreshDue(state, wallet.id, { ledger: input.ledger, keyTime, now: input.now });
    if (due !== null) return { refused: due };
  }
  const inputs = transfer.request.sighashes.map((h, index) => {
    const path = parseWalletPath(transfer.request.inputPaths[index] ?? '');
    return { index, path: path ?? [], sighash: hexToBytes(h) };
  });
  return { transfer, ruleId: decision.ruleId, walletId: wallet.id, inputs };
}
