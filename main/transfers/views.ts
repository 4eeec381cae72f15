// Transfers as the UI sees them: the log's facts and the policy decision in names.
import type { Decision } from '../../crypto/policy';
import { validatePolicy } from '../../crypto/policy';
import type { GovernanceState, TransferState } from '../../crypto/governance';
import { transferStatement } from '../../crypto/transfers/statements';
import type { TransferStatus, TransferView } from '../../preload/contract';

export function transferView(state: GovernanceState, t: TransferState, decision: Decision, finalPsbt: string | null): TransferView {
  const users = new Map(state.users.map((u) => [u.id, u.name]));
  const groups = new Map(state.groups.map((g) => [g.id, g.name]));
  const ref = (id: string) => ({ id, name: users.get(id) ?? id });
  const wallet = state.wallets.find((w) => w.id === t.request.walletId);
  const policy = state.policies.find((p) => p.walletId === t.request.walletId);
  // A cancelled request has no rule (its decision carries an empty one).
  const ruleId = decision.ruleId === null || decision.ruleId === '' ? null : decision.ruleId;
  const ruleName = ruleId === null || policy === undefined ? null : (validatePolicy(policy.document).rules.find((r) => r.id === ruleId)?.name ?? ruleId);
  const steps = 'steps' in decision ? decision.steps : [];
  const r = t.request;
  return {
    id: t.id,
    seq: t.seq,
    wallet: { id: r.walletId, name: wallet?.name ?? r.walletId },
    initiator: ref(r.initiatorId),
    destination: r.destination,
    amount: r.amount,
    fee: r.fee,
    createdAt: r.createdAt,
    policy: { version: r.policyVersion, hash: r.policyHash },
    digest: transferStatement(state, wallet?.name ?? '?', 'transfer-approval', 0, r).digest,
    status: statusOf(t, decision),
    rule: ruleId === null ? null : { id: ruleId, name: ruleName ?? ruleId },
    reason: decision.outcome === 'denied' || decision.outcome === 'rejected' ? withNames(decision.reason, users) : null,
    steps: steps.map((s) => ({ index: s.index, group: { id: s.groupId, name: groups.get(s.groupId) ?? s.groupId }, required: s.required, counted: s.counted.map(ref), missing: s.missing, finished: s.finished })),
    velocity: decision.velocity.map((v) => ({ scope: v.scope, windowSeconds: v.windowSeconds, used: v.usedAmount.toString(), max: v.maxAmount.toString(), left: v.leftAmount.toString(), fits: v.fits })),
    delayUntil: decision.outcome === 'allowed' ? new Date(decision.delayUntil).toISOString() : null,
    approvals: t.approvals.map((a) => ({ ...ref(a.userId), seq: a.seq, at: a.at })),
    rejections: t.rejections.map((a) => ({ ...ref(a.userId), seq: a.seq, at: a.at })),
    signed: t.signed === null ? null : { txid: t.signed.txid, tx: t.signed.tx, psbt: finalPsbt, at: t.signed.at },
  };
}

/** The policy engine names people by id; people read names. */
export function withNames(text: string, users: ReadonlyMap<string, string>): string {
  let out = text;
  for (const [id, name] of users) out = out.split(id).join(name);
  return out;
}

function statusOf(t: TransferState, decision: Decision): TransferStatus {
  if (t.signed !== null) return 'signed';
  if (t.cancelled !== null) return 'cancelled';
  switch (decision.outcome) {
    case 'denied':
      return 'denied';
    case 'rejected':
      return 'rejected';
    case 'pending':
      return 'pending';
    case 'allowed':
      return decision.ready ? 'ready' : 'waiting-delay';
  }
}

/**
 * What a request still needs before it can be signed, in plain words: the approvals missing by group, the delay, or why
 * it never will. Main and the CLI say it the same way.
 */
export function whatItNeeds(view: TransferView): string {
  switch (view.status) {
    case 'pending': {
      const missing = view.steps.filter((s) => !s.finished && s.missing > 0);
      if (missing.length === 0) return 'it still needs approvals';
      return `it still needs ${missing.map((s) => `${s.missing} more approval${s.missing === 1 ? '' : 's'} from ${s.group.name} (${s.counted.length} of ${s.required} so far)`).join(', then ')}`;
    }
    case 'waiting-delay':
      return `it is approved and in its delay until ${view.delayUntil ?? '?'}; it can be signed after that, and cancelled until then`;
    case 'ready':
      return 'it is approved and ready to sign';
    case 'signed':
      return `it is signed (txid ${view.signed?.txid ?? '?'})`;
    case 'cancelled':
      return 'it was cancelled';
    case 'denied':
    case 'rejected':
      return `it is ${view.status}: ${view.reason ?? 'no reason given'}`;
  }
}
