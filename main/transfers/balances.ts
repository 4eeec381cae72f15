// Wallets' money as the console knows it: the unspent coins, what open requests hold, what is free; the velocity the
// policy in force has used in each window (counted by the policy engine itself); and the balance over time.
import { formatBtc } from '../../crypto/amounts';
import type { GovernanceState } from '../../crypto/governance';
import { validatePolicy, velocityUsage, type VelocityUsage } from '../../crypto/policy';
import { signedHistory } from '../../crypto/transfers/decision';
import { WALLET_NETWORKS, type BalancePoint, type BalancesView, type UserRef, type VelocityWindowView, type WalletBalanceView, type WalletNetwork } from '../../preload/contract';
import type { UtxoRow } from '../store';

const byRequestNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/** The wallet's balance from its coins and `held` (heldCoins: "txid:vout" → the open request that will spend it). */
export function walletBalance(walletId: string, network: WalletNetwork, coins: readonly UtxoRow[], held: ReadonlyMap<string, string>): WalletBalanceView {
  let total = 0n;
  let heldTotal = 0n;
  let count = 0;
  const byRequest = new Map<string, bigint>();
  for (const c of coins) {
    if (c.spentBy !== null) continue;
    const amount = BigInt(c.amount);
    total += amount;
    count++;
    const holder = held.get(`${c.txid}:${c.vout}`);
    if (holder === undefined) continue;
    heldTotal += amount;
    byRequest.set(holder, (byRequest.get(holder) ?? 0n) + amount);
  }
  const heldBy = [...byRequest].sort(([a], [b]) => byRequestNumber(a, b)).map(([requestId, amount]) => ({ requestId, amount: amount.toString() }));
  return { walletId, network, total: total.toString(), held: heldTotal.toString(), heldBy, free: (total - heldTotal).toString(), coins: count };
}

/** The vault's totals, one per network that has wallets: coins of a test network are never added to mainnet money. */
export function networkTotals(balances: readonly WalletBalanceView[]): BalancesView['totals'] {
  return WALLET_NETWORKS.flatMap((network) => {
    const of = balances.filter((b) => b.network === network);
    if (of.length === 0) return [];
    const sum = (pick: (b: WalletBalanceView) => string) => of.reduce((s, b) => s + BigInt(pick(b)), 0n).toString();
    return [{ network, total: sum((b) => b.total), held: sum((b) => b.held), free: sum((b) => b.free), wallets: of.length }];
  });
}

/**
 * Every velocity limit of the wallet's policy in force (the wallet's, then each rule's in policy order) with what is used
 * in its window ending at `now`. velocityUsage and signedHistory are the very functions a request's decision uses, so
 * these are the numbers a signature is checked against; '' is no request's id and 0 sats asks nothing of the window.
 */
export function velocityInForce(state: GovernanceState, walletId: string, now: number): { policy: { version: number } | null; velocity: VelocityWindowView[] } {
  const adopted = state.policies.find((p) => p.walletId === walletId);
  if (adopted === undefined) return { policy: null, velocity: [] };
  const policy = validatePolicy(adopted.document);
  const history = signedHistory(state, walletId);
  const view = (rule: UserRef | null) => (u: VelocityUsage): VelocityWindowView => ({
    scope: u.scope,
    rule,
    windowSeconds: u.windowSeconds,
    used: u.usedAmount.toString(),
    max: u.maxAmount.toString(),
    left: u.leftAmount.toString(),
    usedCount: u.usedCount,
    maxCount: u.maxCount,
  });
  return {
    policy: { version: policy.version },
    velocity: [
      ...velocityUsage(policy.velocity, 'wallet', history, now, '', 0n).map(view(null)),
      ...policy.rules.flatMap((r) => velocityUsage(r.velocity, 'rule', history.filter((t) => t.ruleId === r.id), now, '', 0n).map(view({ id: r.id, name: r.name }))),
    ],
  };
}

/**
 * The wallet's balance over time: a point per coin recorded and per transfer signed (its coins spent, its change back,
 * so the point moves by the amount sent and the fee). The last point's balance is the sum of the unspent coins. A coin
 * recorded before the console kept dates is placed at `undatedAt` (the wallet key's date: it could not pay the key sooner).
 */
export function balanceHistory(state: GovernanceState, walletId: string, coins: readonly UtxoRow[], undatedAt: string): BalancePoint[] {
  const signed = new Map(state.transfers.filter((t) => t.request.walletId === walletId && t.signed !== null).map((t) => [t.id, t]));
  const changeOf = new Map([...signed.values()].map((t) => [t.signed?.txid, t.id]));
  const events: { at: string; change: bigint; kind: BalancePoint['kind']; event: string; requestId: string | null; order: number }[] = [];
  const transferEvent = new Map<string, (typeof events)[number]>();
  const onTransfer = (requestId: string, delta: bigint) => {
    let e = transferEvent.get(requestId);
    if (e === undefined) {
      const t = signed.get(requestId);
      const at = t?.signed?.at ?? undatedAt;
      const what = t === undefined ? '' : `: ${formatBtc(t.request.amount)} sent, ${formatBtc(t.request.fee)} fee`;
      e = { at, change: 0n, kind: 'transfer', event: `Request ${requestId} signed${what}`, requestId, order: 1 };
      transferEvent.set(requestId, e);
      events.push(e);
    }
    e.change += delta;
  };
  for (const c of coins) {
    const amount = BigInt(c.amount);
    const changeFor = changeOf.get(c.txid);
    if (changeFor !== undefined) onTransfer(changeFor, amount);
    else events.push({ at: c.recordedAt ?? undatedAt, change: amount, kind: 'coin', event: `Coin recorded: ${c.label}`, requestId: null, order: 0 });
    if (c.spentBy !== null) onTransfer(c.spentBy, -amount);
  }
  // Coins before transfers at the same instant: a coin recorded and spent in the same millisecond never shows below zero.
  events.sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || a.order - b.order);
  let balance = 0n;
  return events.map(({ at, change, kind, event, requestId }) => {
    balance += change;
    return { at, balance: balance.toString(), change: change.toString(), kind, event, requestId };
  });
}
