// What a draft policy changes against the policy in force, in words: rules added, removed, reordered or changed field by
// field, the wallet's limits and the share refresh. Pure: the console shows it before proposing, `custos policy diff` prints it.
import { describeAmount, describeDestination, describeInitiator, describeLimits, describeRule, describeShareRefresh, describeSteps, formatSeconds } from './describe.js';
import type { PolicyLike, PolicyNames, RuleLike } from './describe.js';

/** The fields of a rule a diff compares, in the order a person reads them. */
export const RULE_FIELDS = ['name', 'amount', 'destination', 'initiator', 'steps', 'delay', 'limits'] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

const FIELD_LABEL: Record<RuleField, string> = {
  name: 'name',
  amount: 'amount',
  destination: 'destination',
  initiator: 'requested by',
  steps: 'approval steps',
  delay: 'delay',
  limits: 'rule limits',
};

export type PolicyChange =
  | { readonly kind: 'added' | 'removed'; readonly ruleId: string; readonly text: string }
  | { readonly kind: 'changed'; readonly ruleId: string; readonly field: RuleField; readonly before: string; readonly after: string; readonly text: string }
  | { readonly kind: 'order' | 'wallet-limits' | 'share-refresh'; readonly before: string; readonly after: string; readonly text: string };

/** Each field as plain data, so that two values which read alike (two unknown groups) still count as different. */
function fieldValue(r: RuleLike, field: RuleField): unknown {
  switch (field) {
    case 'name':
      return r.name;
    case 'amount':
      return [r.amount.min, r.amount.max];
    case 'destination':
      return r.destination.kind === 'any' ? ['any'] : ['whitelist', r.destination.whitelistId];
    case 'initiator':
      return r.initiatorGroupId;
    case 'steps':
      return r.steps.map((s) => [s.groupId, s.count, s.initiatorMayApprove]);
    case 'delay':
      return r.delaySeconds;
    case 'limits':
      return r.velocity.map((v) => [v.windowSeconds, v.maxAmount, v.maxCount ?? null]);
  }
}

function fieldWords(r: RuleLike, field: RuleField, names: PolicyNames): string {
  switch (field) {
    case 'name':
      return r.name;
    case 'amount':
      return describeAmount(r.amount);
    case 'destination':
      return describeDestination(r.destination, names.whitelist);
    case 'initiator':
      return describeInitiator(r.initiatorGroupId, names.group);
    case 'steps':
      return describeSteps(r.steps, names.group);
    case 'delay':
      return formatSeconds(r.delaySeconds);
    case 'limits':
      return describeLimits(r.velocity);
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The changes from `before` (the policy in force, or null when there is none) to `after`, in the order a person
 * reviews them: rules in the draft's order (changed or added), then rules removed, the order, the wallet's limits
 * and the share refresh. Rules are matched by id, which stays the same across versions. Empty: nothing changes.
 */
export function diffPolicies(before: PolicyLike | null, after: PolicyLike, names: PolicyNames): PolicyChange[] {
  const out: PolicyChange[] = [];
  const old = new Map((before?.rules ?? []).map((r) => [r.id, r]));
  const kept = new Set(after.rules.map((r) => r.id));
  for (const rule of after.rules) {
    const was = old.get(rule.id);
    if (was === undefined) {
      out.push({ kind: 'added', ruleId: rule.id, text: `Rule added: ${rule.name} (${describeRule(rule, names)})` });
      continue;
    }
    for (const field of RULE_FIELDS) {
      if (same(fieldValue(was, field), fieldValue(rule, field))) continue;
      const b = fieldWords(was, field, names);
      const a = fieldWords(rule, field, names);
      out.push({ kind: 'changed', ruleId: rule.id, field, before: b, after: a, text: `${rule.name}: ${FIELD_LABEL[field]} ${b} → ${a}` });
    }
  }
  for (const rule of before?.rules ?? []) {
    if (!kept.has(rule.id)) out.push({ kind: 'removed', ruleId: rule.id, text: `Rule removed: ${rule.name}` });
  }
  // Only the order of the rules both versions have: an added or removed rule is already reported above.
  const oldOrder = (before?.rules ?? []).filter((r) => kept.has(r.id));
  const newOrder = after.rules.filter((r) => old.has(r.id));
  if (!same(oldOrder.map((r) => r.id), newOrder.map((r) => r.id))) {
    const b = oldOrder.map((r) => r.name).join(', ');
    const a = newOrder.map((r) => r.name).join(', ');
    out.push({ kind: 'order', before: b, after: a, text: `Order of the rules (the first that matches decides): ${b} → ${a}` });
  }
  const beforeLimits = before?.velocity ?? [];
  if (!same(beforeLimits.map((v) => [v.windowSeconds, v.maxAmount, v.maxCount ?? null]), after.velocity.map((v) => [v.windowSeconds, v.maxAmount, v.maxCount ?? null]))) {
    const b = describeLimits(beforeLimits);
    const a = describeLimits(after.velocity);
    out.push({ kind: 'wallet-limits', before: b, after: a, text: `Wallet limits: ${b} → ${a}` });
  }
  const refresh = (p: PolicyLike | null) => (p?.shareRefresh === undefined ? null : [p.shareRefresh.afterSignatures, p.shareRefresh.afterDays]);
  if (!same(refresh(before), refresh(after))) {
    const b = describeShareRefresh(before?.shareRefresh);
    const a = describeShareRefresh(after.shareRefresh);
    out.push({ kind: 'share-refresh', before: b, after: a, text: `Refresh of the key shares: ${b} → ${a}` });
  }
  return out;
}
