// Velocity: what a wallet or a rule has signed within rolling windows, and whether one more transfer fits.
import { formatBtc } from '../amounts.js';
import { formatSeconds } from './describe.js';
import type { SignedTransfer, VelocityLimit, VelocityUsage } from './types.js';

/**
 * Window edges: a limit of W seconds looks at the half-open interval (now − W·1000, now] in ms. A transfer
 * signed exactly W seconds ago has left the window; one signed 1 ms later is still in it; one signed at
 * `now` is in it. Transfers signed after `now` are not counted, which is what lets the simulator replay a
 * past decision against the whole history. The request being decided is never counted against itself.
 *
 * For scope 'rule' the caller passes only the history signed under that rule's id.
 */
export function velocityUsage(
  limits: readonly VelocityLimit[],
  scope: VelocityUsage['scope'],
  history: readonly SignedTransfer[],
  now: number,
  requestId: string,
  amount: bigint,
): VelocityUsage[] {
  return limits.map((limit) => {
    const after = now - limit.windowSeconds * 1000;
    let usedAmount = 0n;
    let usedCount = 0;
    for (const t of history) {
      if (t.signedAt > after && t.signedAt <= now && t.requestId !== requestId) {
        usedAmount += t.amount;
        usedCount++;
      }
    }
    const leftAmount = usedAmount >= limit.maxAmount ? 0n : limit.maxAmount - usedAmount;
    const maxCount = limit.maxCount ?? null;
    const leftCount = maxCount === null ? null : Math.max(0, maxCount - usedCount);
    const fits = amount <= leftAmount && (leftCount === null || leftCount >= 1);
    return { scope, windowSeconds: limit.windowSeconds, usedAmount, maxAmount: limit.maxAmount, leftAmount, usedCount, maxCount, leftCount, fits };
  });
}

/** Why `usage` refuses a transfer of `amount`, in plain words (amounts in BTC: every wallet a policy governs is Bitcoin). */
export function velocityReason(usage: VelocityUsage, amount: bigint, ruleName: string): string {
  const whose = usage.scope === 'wallet' ? 'the wallet' : `rule "${ruleName}"`;
  const window = formatSeconds(usage.windowSeconds);
  if (amount > usage.leftAmount) {
    return (
      `velocity limit of ${whose}: at most ${formatBtc(usage.maxAmount)} per ${window}; ${formatBtc(usage.usedAmount)} already signed in that window, ` +
      `${formatBtc(usage.leftAmount)} left, this transfer is ${formatBtc(amount)}`
    );
  }
  return `velocity limit of ${whose}: at most ${usage.maxCount} transfers per ${window}; ${usage.usedCount} already signed in that window, none left`;
}
