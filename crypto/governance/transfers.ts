// Replay of transfer records: a request is the exact transaction an operator signed for, decisions are device
// signatures over the statement regenerated from it, and a signed record must carry signatures by the wallet's key.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { Transaction } from '@scure/btc-signer';
import { base64 } from '@scure/base';
import type { GroupKey } from '../frost/types.js';
import { verifyStatement } from '../statements.js';
import { transferStatement } from '../transfers/statements.js';
import { transactionProblem, walletOutputKeyAt } from '../transfers/transaction.js';
import { signedSeq } from './records.js';
import type { PolicyState, TransferCancelRecord, TransferDecisionRecord, TransferRequestRecord, TransferSignedRecord, TransferState, UserState, WalletKey, WalletState } from './types.js';

/** What transfer replay reads and writes of the replay's working state. */
export interface TransferBook {
  readonly vaultId: string;
  readonly vaultName: string;
  user(id: string): UserState | undefined;
  wallet(id: string): WalletState | undefined;
  policy(walletId: string): PolicyState | undefined;
  transfer(id: string): TransferState | undefined;
  /** Ids of the groups the user belongs to now (at this point of the log). */
  groupsOf(userId: string): string[];
  setTransfer(t: TransferState): void;
  /** The wallet key as FROST's GroupKey (replay keeps a cache: the same conversion for every request). */
  groupKey(key: WalletKey): GroupKey;
}

/** Returns a problem in plain words, or null; `bad` says which kind (a signature, or a rule). */
export type TransferProblem = { kind: 'signature' | 'rule' | 'unknown'; problem: string } | null;

export function applyTransferRequest(book: TransferBook, r: TransferRequestRecord, verify: boolean): TransferProblem {
  const initiator = book.user(r.initiatorId);
  if (initiator === undefined) return { kind: 'unknown', problem: `no user ${r.initiatorId}` };
  if (initiator.status !== 'active' || !initiator.roles.includes('operator')) return { kind: 'rule', problem: `${r.initiatorId} is not an active operator and cannot request transfers` };
  if (book.transfer(r.requestId) !== undefined) return { kind: 'rule', problem: `request ${r.requestId} already exists` };
  const wallet = book.wallet(r.walletId);
  if (wallet === undefined || wallet.key === null) return { kind: 'rule', problem: `wallet ${r.walletId} has no key` };
  if (wallet.pending !== null) return { kind: 'rule', problem: `wallet ${wallet.name} owes a ${wallet.pending.ceremony}; no transfer until it is done` };
  const policy = book.policy(r.walletId);
  if (policy === undefined) return { kind: 'rule', problem: `wallet ${wallet.name} has no policy: nothing can be requested` };
  if (policy.version !== r.policyVersion || policy.hash !== r.policyHash) return { kind: 'rule', problem: `the request names policy version ${r.policyVersion}; version ${policy.version} is in force` };
  const problem = transactionProblem({ ...r, amount: BigInt(r.amount), fee: BigInt(r.fee) }, book.groupKey(wallet.key), wallet.network);
  if (problem !== null) return { kind: 'rule', problem: `request ${r.requestId}: ${problem}` };
  if (verify && !verifyStatement(transferStatement(book, wallet.name, 'transfer-request', signedSeq(r), r), r.signature, initiator.identityAddress)) {
    return { kind: 'signature', problem: `the request is not signed by ${initiator.id}'s device ${initiator.identityAddress}` };
  }
  book.setTransfer({ id: r.requestId, seq: r.seq, request: r, approvals: [], rejections: [], signed: null, cancelled: null });
  return null;
}

export function applyTransferDecision(book: TransferBook, r: TransferDecisionRecord, verify: boolean): TransferProblem {
  const transfer = book.transfer(r.requestId);
  if (transfer === undefined) return { kind: 'unknown', problem: `no transfer request ${r.requestId}` };
  const user = book.user(r.userId);
  if (user === undefined) return { kind: 'unknown', problem: `no user ${r.userId}` };
  const wallet = book.wallet(transfer.request.walletId);
  if (verify && !verifyStatement(transferStatement(book, wallet?.name ?? '?', r.type, signedSeq(r), transfer.request), r.signature, user.identityAddress)) {
    return { kind: 'signature', problem: `the ${r.type} is not signed by ${user.id}'s device ${user.identityAddress}` };
  }
  if (user.status !== 'active') return { kind: 'rule', problem: `${user.id} was revoked and cannot decide on transfers` };
  if (transfer.signed !== null) return { kind: 'rule', problem: `request ${r.requestId} is already signed` };
  if (transfer.cancelled !== null) return { kind: 'rule', problem: `request ${r.requestId} was cancelled` };
  if ([...transfer.approvals, ...transfer.rejections].some((d) => d.userId === r.userId)) return { kind: 'rule', problem: `${r.userId} already decided on request ${r.requestId}; a person counts once` };
  const decision = { userId: r.userId, seq: r.seq, at: r.at, groups: book.groupsOf(r.userId) };
  book.setTransfer(
    r.type === 'transfer-approval' ? { ...transfer, approvals: [...transfer.approvals, decision] } : { ...transfer, rejections: [...transfer.rejections, decision] },
  );
  return null;
}

/** Only the initiator or an active administrator withdraws a request, and only before it is signed. */
export function applyTransferCancel(book: TransferBook, r: TransferCancelRecord, verify: boolean): TransferProblem {
  const transfer = book.transfer(r.requestId);
  if (transfer === undefined) return { kind: 'unknown', problem: `no transfer request ${r.requestId}` };
  const user = book.user(r.userId);
  if (user === undefined) return { kind: 'unknown', problem: `no user ${r.userId}` };
  const wallet = book.wallet(transfer.request.walletId);
  if (verify && !verifyStatement(transferStatement(book, wallet?.name ?? '?', 'transfer-cancel', signedSeq(r), transfer.request), r.signature, user.identityAddress)) {
    return { kind: 'signature', problem: `the cancellation is not signed by ${user.id}'s device ${user.identityAddress}` };
  }
  const mayCancel = user.status === 'active' && (user.id === transfer.request.initiatorId || user.roles.includes('administrator'));
  if (!mayCancel) return { kind: 'rule', problem: `${user.id} may not cancel request ${r.requestId}: its initiator or an administrator may` };
  if (transfer.signed !== null) return { kind: 'rule', problem: `request ${r.requestId} is already signed` };
  if (transfer.cancelled !== null) return { kind: 'rule', problem: `request ${r.requestId} is already cancelled` };
  book.setTransfer({ ...transfer, cancelled: { userId: r.userId, seq: r.seq, at: r.at } });
  return null;
}

/** The final transaction must be the request's, with a valid BIP-340 signature by the wallet's key on every input. */
export function applyTransferSigned(book: TransferBook, r: TransferSignedRecord): TransferProblem {
  const transfer = book.transfer(r.requestId);
  if (transfer === undefined) return { kind: 'unknown', problem: `no transfer request ${r.requestId}` };
  if (transfer.signed !== null) return { kind: 'rule', problem: `request ${r.requestId} is already signed` };
  if (transfer.cancelled !== null) return { kind: 'rule', problem: `request ${r.requestId} was cancelled` };
  const wallet = book.wallet(transfer.request.walletId);
  if (wallet === undefined || wallet.key === null) return { kind: 'rule', problem: `wallet ${transfer.request.walletId} has no key` };
  let tx: Transaction;
  let unsigned: Transaction;
  try {
    tx = Transaction.fromRaw(hexToBytes(r.tx), { allowUnknownOutputs: true });
    unsigned = Transaction.fromPSBT(base64.decode(transfer.request.psbt));
  } catch (err) {
    return { kind: 'rule', problem: `request ${r.requestId}: the transaction does not parse: ${(err as Error).message}` };
  }
  // A txid leaves the witnesses out: equal ids mean the same inputs and outputs as the approved PSBT.
  if (tx.id !== unsigned.id || tx.id !== r.txid) return { kind: 'rule', problem: `request ${r.requestId}: the signed transaction is not the approved one` };
  const root = book.groupKey(wallet.key);
  for (let i = 0; i < tx.inputsLength; i++) {
    const sig = tx.getInput(i).finalScriptWitness?.[0];
    let key: Uint8Array | null = null;
    try {
      key = walletOutputKeyAt(root, transfer.request.inputPaths[i] ?? '');
    } catch {
      key = null;
    }
    const sighash = transfer.request.sighashes[i];
    if (sig === undefined || key === null || sighash === undefined || !schnorr.verify(sig.subarray(0, 64), hexToBytes(sighash), key)) {
      return { kind: 'rule', problem: `request ${r.requestId}: input ${i} carries no valid signature by the wallet's key` };
    }
  }
  book.setTransfer({ ...transfer, signed: { seq: r.seq, ruleId: r.ruleId, txid: r.txid, tx: r.tx, at: r.at } });
  return null;
}
