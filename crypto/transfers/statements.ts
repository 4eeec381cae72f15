// What a transfer's initiator and approvers sign: one digest binding the exact transaction and everything shown.
import { digest } from '../canonical.js';
import type { TransferDecisionStatement } from '../statements.js';
import type { TransferRequestRecord } from '../governance/types.js';

/** The sats of a request field ("150000" → 150000n); replay has checked the shape. */
export const sats = (decimal: string): bigint => BigInt(decimal);

/**
 * sha256 over the request's canonical payload. The sighashes commit (BIP-341) to every input, amount and output, so
 * approving this digest approves exactly one transaction; the policy's version and hash pin the rules it passes under.
 */
export function transferDigest(r: Omit<TransferRequestRecord, 'type' | 'seq' | 'signature'>): string {
  return digest({
    domain: 'custos/transfer/v1',
    vaultId: r.vaultId,
    requestId: r.requestId,
    walletId: r.walletId,
    initiatorId: r.initiatorId,
    destination: r.destination,
    amount: r.amount,
    fee: r.fee,
    psbt: r.psbt,
    inputPaths: [...r.inputPaths],
    changePath: r.changePath,
    sighashes: [...r.sighashes],
    policyVersion: r.policyVersion,
    policyHash: r.policyHash,
    createdAt: r.createdAt,
  });
}

/** The statement for the request (its initiator, at the request's seq) or a decision on it (at the decision's seq). */
export function transferStatement(
  vault: { vaultId: string; vaultName: string },
  walletName: string,
  kind: TransferDecisionStatement['kind'],
  seq: number,
  request: Omit<TransferRequestRecord, 'type' | 'seq' | 'signature'>,
): TransferDecisionStatement {
  return {
    kind,
    vaultId: vault.vaultId,
    vaultName: vault.vaultName,
    seq,
    requestId: request.requestId,
    walletName,
    asset: 'BTC',
    decimals: 8,
    amount: sats(request.amount),
    fee: sats(request.fee),
    destination: request.destination,
    policyVersion: request.policyVersion,
    policyHash: request.policyHash,
    digest: transferDigest(request),
  };
}
