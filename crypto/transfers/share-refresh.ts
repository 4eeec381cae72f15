// Whether a wallet's policy asks for a refresh of its key shares before it signs again: after a number of transfers
// signed with the key in force, or a number of days after that key was made. Pure: main and every signer run it.
import { validatePolicy } from '../policy/index.js';
import type { GovernanceState } from '../governance/types.js';

const DAY_MS = 86_400_000;

/**
 * Why `walletId` must have its shares refreshed before it signs again, or null. Signatures are counted from the log
 * (transfers signed after the wallet-key record in force) and from `ledger` (a signer's own, from `keyTime` on), each
 * request once; the key's age runs from `keyTime` (ms).
 */
export function shareRefreshDue(
  state: GovernanceState,
  walletId: string,
  input: { ledger: readonly { requestId: string; walletId: string; signedAt: number }[]; keyTime: number; now: number },
): string | null {
  const wallet = state.wallets.find((w) => w.id === walletId);
  const adopted = state.policies.find((p) => p.walletId === walletId);
  if (wallet === undefined || wallet.key === null || wallet.keySince === null || adopted === undefined) return null;
  const rule = validatePolicy(adopted.document).shareRefresh;
  if (rule === undefined) return null;
  const since = wallet.keySince.seq;
  const signed = new Set<string>();
  for (const t of state.transfers) if (t.request.walletId === walletId && t.signed !== null && t.signed.seq > since) signed.add(t.id);
  for (const l of input.ledger) if (l.walletId === walletId && l.signedAt >= input.keyTime) signed.add(l.requestId);
  const version = wallet.key.keyVersion;
  const then = `administrators propose a refresh of ${wallet.name}'s shares, and it signs again once its custodians have run it`;
  if (rule.afterSignatures !== null && signed.size >= rule.afterSignatures) {
    return `the policy asks for a refresh of ${wallet.name}'s key shares after ${plural(rule.afterSignatures, 'signature')}, and key version ${version} has made ${signed.size}: ${then}`;
  }
  const age = input.now - input.keyTime;
  if (rule.afterDays !== null && age >= rule.afterDays * DAY_MS) {
    return `the policy asks for a refresh of ${wallet.name}'s key shares every ${plural(rule.afterDays, 'day')}, and key version ${version} is ${Math.floor(age / DAY_MS)} days old: ${then}`;
  }
  return null;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
