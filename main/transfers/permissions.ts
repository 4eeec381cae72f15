// Who may request, approve, reject, cancel and sign transfers: the one answer the service enforces and the console shows.
import type { GovernanceState, TransferState, UserState, WalletState } from '../../crypto/governance';
import { validatePolicy, type Decision } from '../../crypto/policy';
import { shareRefreshDue } from '../../crypto/transfers/share-refresh';
import { CustosError } from '../errors';

/** Why `user` may not request a transfer from `wallet`, or null: an operator, a wallet with a key and a policy. */
export function requestRefusal(state: GovernanceState, user: UserState, wallet: WalletState): CustosError | null {
  if (!user.roles.includes('operator')) return new CustosError('NOT_AUTHORISED', `${user.name} is not an operator (${user.roles.join(', ')}); only operators request transfers.`);
  if (wallet.key === null) return new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no key yet.`);
  if (!state.policies.some((p) => p.walletId === wallet.id)) {
    return new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} has no policy: administrators adopt one before anything can be requested.`);
  }
  return null;
}

/** Why `user` may not approve or reject `t` under `decision`, or null: a seat in a step the rule still needs. */
export function transferDecisionRefusal(state: GovernanceState, t: TransferState, decision: Decision, user: UserState): CustosError | null {
  if (t.signed !== null) return new CustosError('RULE_VIOLATION', `Request ${t.id} is already signed.`);
  if (t.cancelled !== null) return new CustosError('RULE_VIOLATION', `Request ${t.id} is cancelled.`);
  if (decision.outcome === 'denied' || decision.outcome === 'rejected') {
    return new CustosError('POLICY_DENIED', `Request ${t.id} is ${decision.outcome}: ${decision.reason}. There is nothing left to decide.`);
  }
  const earlier = t.approvals.some((d) => d.userId === user.id) ? 'approved' : t.rejections.some((d) => d.userId === user.id) ? 'rejected' : null;
  if (earlier !== null) return new CustosError('RULE_VIOLATION', `${user.name} already ${earlier} request ${t.id}; a person counts once.`);
  if (!eligible(state, t, decision, user)) {
    const initiator = user.id === t.request.initiatorId ? ' (the rule keeps its initiator out of its steps)' : '';
    return new CustosError('NOT_AUTHORISED', `${user.name} is not in any group whose approval request ${t.id} still needs${initiator}.`);
  }
  return null;
}

/** Why `user` may not withdraw `t`, or null: its initiator or an administrator, before it is signed. */
export function cancelRefusal(t: TransferState, user: UserState): CustosError | null {
  if (t.signed !== null) return new CustosError('RULE_VIOLATION', `Request ${t.id} is already signed; a signed transaction cannot be recalled.`);
  if (t.cancelled !== null) return new CustosError('RULE_VIOLATION', `Request ${t.id} is already cancelled.`);
  if (user.id !== t.request.initiatorId && !user.roles.includes('administrator')) {
    return new CustosError('NOT_AUTHORISED', `${user.name} may not cancel request ${t.id}: its initiator or an administrator may.`);
  }
  return null;
}

/**
 * Why `t` cannot be signed now, or null: allowed by its policy, past its delay, its wallet owing no ceremony and its
 * shares not due for a refresh. `now` is ms since the epoch.
 */
export function signRefusal(state: GovernanceState, t: TransferState, decision: Decision, now: number): CustosError | null {
  if (t.signed !== null) return new CustosError('RULE_VIOLATION', `Request ${t.id} is already signed (txid ${t.signed.txid}).`);
  if (decision.outcome !== 'allowed') {
    const why = decision.outcome === 'pending' ? 'it still needs approvals' : decision.reason;
    return new CustosError('POLICY_DENIED', `Request ${t.id} cannot be signed: ${why}.`);
  }
  if (!decision.ready) {
    return new CustosError(
      'POLICY_DENIED',
      `Request ${t.id} waits ${waitText(decision.delayUntil - now)} more before it can be signed (until ${new Date(decision.delayUntil).toISOString()}); it can still be cancelled until then.`,
    );
  }
  const wallet = state.wallets.find((w) => w.id === t.request.walletId);
  if (wallet?.key === undefined || wallet.key === null) return new CustosError('RULE_VIOLATION', 'The wallet has no key.');
  if (wallet.pending !== null) {
    return new CustosError('RULE_VIOLATION', `The wallet ${wallet.name} owes a ${wallet.pending.ceremony} (a custodian was revoked, or a reshare was approved): run it before signing.`);
  }
  const due = wallet.keySince === null ? null : shareRefreshDue(state, wallet.id, { ledger: [], keyTime: Date.parse(wallet.keySince.at), now });
  if (due !== null) return new CustosError('POLICY_DENIED', `Request ${t.id} cannot be signed yet: ${due}. Nothing was asked of any device.`);
  return null;
}

/** Whether `user` may fill a seat of a step of the rule that matched: in its group, and not its initiator unless the step allows. */
export function eligible(state: GovernanceState, t: TransferState, decision: Decision, user: UserState): boolean {
  if (!('steps' in decision)) return false;
  const policy = state.policies.find((p) => p.walletId === t.request.walletId);
  if (policy === undefined) return false;
  const rule = validatePolicy(policy.document).rules.find((r) => r.id === decision.ruleId);
  if (rule === undefined) return false;
  return rule.steps.some((s) => (user.id !== t.request.initiatorId || s.initiatorMayApprove) && state.groups.find((g) => g.id === s.groupId)?.members.includes(user.id));
}

/** "2 h 59 min", "45 s": a wait in the two largest units a person reads. */
export function waitText(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} day${d === 1 ? '' : 's'}${h ? ` ${h} h` : ''}`;
  if (h > 0) return `${h} h${m ? ` ${m} min` : ''}`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}
