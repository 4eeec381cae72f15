// The policy decision for one transfer request: a pure function of the policy, the evidence and the time.
import { formatBtc } from '../amounts.js';
import { stepProgress } from './steps.js';
import { velocityReason, velocityUsage } from './velocity.js';
import { canonicalAddress } from './whitelist.js';
import type {
  Approval,
  Decision,
  GroupMembership,
  Policy,
  Rejection,
  Rule,
  SignedTransfer,
  TransferRequest,
  VelocityUsage,
  Whitelist,
} from './types.js';

export interface EvaluationInput {
  /** A validated policy (validatePolicy); evaluation does not check it again. */
  readonly policy: Policy;
  /** The whitelists in force, validated; those the policy names must be here. */
  readonly whitelists: readonly Whitelist[];
  readonly request: TransferRequest;
  /** Signature-verified approvals of this request. Duplicates and non-members are harmless: they don't count. */
  readonly approvals: readonly Approval[];
  readonly rejections?: readonly Rejection[];
  /** Membership as of the decision time. */
  readonly groupsAt: GroupMembership;
  /** Transfers this wallet signed (any time; the window picks what counts). */
  readonly history: readonly SignedTransfer[];
  /** The decision time, ms since the epoch. Approvals, rejections and transfers after it are not counted. */
  readonly now: number;
}

/**
 * Decides a transfer request, in this order:
 *  1. the request must be well formed and for the policy's wallet;
 *  2. the first rule (in policy order) whose amount range, destination and initiator group all match is
 *     the rule; none matching means denied (nothing is allowed by default);
 *  3. every wallet limit and every limit of that rule must still fit this amount (and one more transfer),
 *     else denied: approvals can't buy past a velocity limit;
 *  4. a counting rejection (see steps.ts) means rejected;
 *  5. all steps full means allowed (ready once the rule's delay has run), else pending.
 * Monotone in approvals: nothing in 1–3 looks at approvals, and 4–5 only improve with more of them.
 */
export function evaluate(input: EvaluationInput): Decision {
  const { policy, request, now } = input;
  if (!Number.isSafeInteger(now)) throw new TypeError('evaluate: now must be an integer time in ms');
  const problem = requestProblem(request);
  if (problem !== null) return denied('INVALID_REQUEST', problem, null);
  if (request.walletId !== policy.walletId) {
    return denied('WALLET_MISMATCH', `the request is for wallet ${request.walletId}, the policy governs wallet ${policy.walletId}`, null);
  }

  const members = membershipOf(input.groupsAt);
  const whitelists = new Map<string, Whitelist>();
  for (const w of input.whitelists) {
    if (whitelists.has(w.id)) throw new TypeError(`evaluate: two whitelists have the id ${w.id}`);
    whitelists.set(w.id, w);
  }

  let rule: Rule | undefined;
  for (const candidate of policy.rules) {
    const { min, max } = candidate.amount;
    if ((min !== null && request.amount < min) || (max !== null && request.amount > max)) continue;
    if (candidate.initiatorGroupId !== null && !members(candidate.initiatorGroupId).has(request.initiatorId)) continue;
    if (candidate.destination.kind === 'whitelist') {
      const list = whitelists.get(candidate.destination.whitelistId);
      // Skipping the rule could route the transfer to a looser rule below it: refuse instead.
      if (list === undefined) {
        return denied('WHITELIST_MISSING', `rule "${candidate.name}" needs whitelist ${candidate.destination.whitelistId}, which was not provided`, candidate.id);
      }
      const destination = canonicalAddress(request.destination, list.network);
      if (destination === null || !list.entries.some((e) => e.address === destination)) continue;
    }
    rule = candidate;
    break;
  }
  if (rule === undefined) {
    return denied('NO_MATCHING_RULE', `no rule of policy version ${policy.version} matches a transfer of ${formatBtc(request.amount)} to ${request.destination} by ${request.initiatorId}`, null);
  }

  const ruleId = rule.id;
  const velocity = [
    ...velocityUsage(policy.velocity, 'wallet', input.history, now, request.id, request.amount),
    ...velocityUsage(rule.velocity, 'rule', input.history.filter((t) => t.ruleId === ruleId), now, request.id, request.amount),
  ];
  const over = velocity.find((v) => !v.fits);
  if (over !== undefined) return denied('VELOCITY_LIMIT', velocityReason(over, request.amount, rule.name), rule.id, velocity);

  const progress = stepProgress({
    rule,
    initiatorId: request.initiatorId,
    approvals: input.approvals.filter((a) => Number.isFinite(a.at) && a.at <= now),
    rejections: (input.rejections ?? []).filter((r) => Number.isFinite(r.at) && r.at <= now),
    members,
  });
  const base = { ruleId: rule.id, steps: progress.steps, velocity };
  if (progress.rejectedBy.length > 0) {
    const reason = `rejected by ${progress.rejectedBy.join(', ')} before the approval steps of rule "${rule.name}" were complete`;
    return { outcome: 'rejected', reason, rejectedBy: progress.rejectedBy, ...base };
  }
  if (progress.approvedAt === null) {
    return { outcome: 'pending', ...base, currentStep: progress.currentStep, delaySeconds: rule.delaySeconds };
  }
  const delayUntil = progress.approvedAt + rule.delaySeconds * 1000;
  return { outcome: 'allowed', ...base, approvedAt: progress.approvedAt, delayUntil, ready: now >= delayUntil };
}

function denied(code: Extract<Decision, { outcome: 'denied' }>['code'], reason: string, ruleId: string | null, velocity: readonly VelocityUsage[] = []): Decision {
  return { outcome: 'denied', code, reason, ruleId, velocity };
}

function requestProblem(request: TransferRequest): string | null {
  if (typeof request !== 'object' || request === null) return 'the request is missing';
  for (const key of ['id', 'walletId', 'initiatorId', 'destination'] as const) {
    if (typeof request[key] !== 'string' || request[key].length === 0) return `the request's ${key} must be a non-empty string`;
  }
  if (typeof request.amount !== 'bigint' || request.amount < 1n) return 'the amount must be a whole number of the smallest unit, at least 1';
  return null;
}

function membershipOf(groups: GroupMembership): (groupId: string) => ReadonlySet<string> {
  const none: ReadonlySet<string> = new Set();
  const cache = new Map<string, ReadonlySet<string>>();
  return (groupId) => {
    let set = cache.get(groupId);
    if (set === undefined) {
      set = (typeof groups === 'function' ? groups(groupId) : groups.get(groupId)) ?? none;
      cache.set(groupId, set);
    }
    return set;
  };
}
