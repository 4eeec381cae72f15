// Which of a wallet's known coins a new request may spend: unspent, and not held by an open request.
import { base64 } from '@scure/base';
import { Transaction } from '@scure/btc-signer';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { GovernanceState, TransferState } from '../../crypto/governance';
import type { UtxoRow } from '../store';

/** "txid:vout" of every input of a PSBT (base64). */
export function outpointsOf(psbt: string): { txid: string; vout: number }[] {
  const tx = Transaction.fromPSBT(base64.decode(psbt));
  const out: { txid: string; vout: number }[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    if (input.txid !== undefined && input.index !== undefined) out.push({ txid: bytesToHex(input.txid), vout: input.index });
  }
  return out;
}

/** Which open request holds each coin ("txid:vout" → request id): an unsigned request that `open` says may yet be signed. */
export function heldCoins(state: GovernanceState, walletId: string, open: (t: TransferState) => boolean): Map<string, string> {
  const held = new Map<string, string>();
  for (const t of state.transfers) {
    if (t.request.walletId !== walletId || t.signed !== null || !open(t)) continue;
    for (const o of outpointsOf(t.request.psbt)) held.set(`${o.txid}:${o.vout}`, t.id);
  }
  return held;
}

/** Coins free to spend: unspent, and held by no open request. */
export function freeCoins(coins: readonly UtxoRow[], held: ReadonlyMap<string, string>): UtxoRow[] {
  return coins.filter((c) => c.spentBy === null && !held.has(`${c.txid}:${c.vout}`));
}

/**
 * Largest first until the amount plus a generous fee allowance is covered (buildSend computes the exact fee): a request
 * holds only the coins it needs, and few inputs keep its fee low. (A documented choice, kept over @scure/btc-signer's
 * selectUTXO because the request's transaction is built by buildSend, which already pays change back to the wallet.)
 */
export function selectCoins(coins: readonly UtxoRow[], amount: bigint, feeRate: bigint): UtxoRow[] {
  const sorted = [...coins].sort((a, b) => (BigInt(b.amount) > BigInt(a.amount) ? 1 : BigInt(b.amount) < BigInt(a.amount) ? -1 : 0));
  const chosen: UtxoRow[] = [];
  let total = 0n;
  for (const c of sorted) {
    chosen.push(c);
    total += BigInt(c.amount);
    const fee = feeRate * BigInt(11 + 58 * chosen.length + 43 * 2);
    if (total >= amount + fee) return chosen;
  }
  return chosen;
}
