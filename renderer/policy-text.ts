// A policy document (custos-policy/1) read for display, and its rules told in words; main alone validates and decides.
export { describeAmount, describeDestination, describeInitiator, describeLimits, describeShareRefresh, describeSteps, describeVelocity, formatSeconds } from '../crypto/policy/describe';
export type { PolicyNames } from '../crypto/policy/describe';

export interface AmountRangeDoc {
  min: string | null;
  max: string | null;
}

export interface StepDoc {
  groupId: string;
  count: number;
  initiatorMayApprove: boolean;
}

export interface VelocityDoc {
  windowSeconds: number;
  maxAmount: string;
  maxCount?: number;
}

export interface RuleDoc {
  id: string;
  name: string;
  amount: AmountRangeDoc;
  destination: { kind: 'any' } | { kind: 'whitelist'; whitelistId: string };
  initiatorGroupId: string | null;
  steps: StepDoc[];
  delaySeconds: number;
  velocity: VelocityDoc[];
}

export interface ShareRefreshDoc {
  afterSignatures: number | null;
  afterDays: number | null;
}

export interface PolicyDoc {
  format?: string;
  version: number;
  walletId: string;
  rules: RuleDoc[];
  velocity: VelocityDoc[];
  shareRefresh?: ShareRefreshDoc;
}

export const POLICY_FORMAT = 'custos-policy/1';
export const WHITELIST_FORMAT = 'custos-whitelist/1';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAmount = (v: unknown): v is string | null => v === null || (typeof v === 'string' && /^\d+$/.test(v));

function readVelocity(v: unknown): VelocityDoc[] | null {
  if (!Array.isArray(v)) return null;
  const out: VelocityDoc[] = [];
  for (const item of v) {
    if (!isObject(item) || typeof item.windowSeconds !== 'number' || typeof item.maxAmount !== 'string' || !/^\d+$/.test(item.maxAmount)) return null;
    const limit: VelocityDoc = { windowSeconds: item.windowSeconds, maxAmount: item.maxAmount };
    if (typeof item.maxCount === 'number') limit.maxCount = item.maxCount;
    out.push(limit);
  }
  return out;
}

function readRule(r: unknown): RuleDoc | null {
  if (!isObject(r) || typeof r.id !== 'string' || typeof r.name !== 'string') return null;
  const amount = r.amount;
  if (!isObject(amount) || !isAmount(amount.min) || !isAmount(amount.max)) return null;
  const d = r.destination;
  let destination: RuleDoc['destination'];
  if (isObject(d) && d.kind === 'any') destination = { kind: 'any' };
  else if (isObject(d) && d.kind === 'whitelist' && typeof d.whitelistId === 'string') destination = { kind: 'whitelist', whitelistId: d.whitelistId };
  else return null;
  if (r.initiatorGroupId !== null && typeof r.initiatorGroupId !== 'string') return null;
  if (!Array.isArray(r.steps) || typeof r.delaySeconds !== 'number') return null;
  const steps: StepDoc[] = [];
  for (const s of r.steps) {
    if (!isObject(s) || typeof s.groupId !== 'string' || typeof s.count !== 'number' || typeof s.initiatorMayApprove !== 'boolean') return null;
    steps.push({ groupId: s.groupId, count: s.count, initiatorMayApprove: s.initiatorMayApprove });
  }
  const velocity = readVelocity(r.velocity);
  if (!velocity) return null;
  return { id: r.id, name: r.name, amount: { min: amount.min, max: amount.max }, destination, initiatorGroupId: r.initiatorGroupId, steps, delaySeconds: r.delaySeconds, velocity };
}

/**
 * The document as data to show, or null when it does not have the shape of a policy. This is for display only:
 * whether a draft is valid is main's answer (Simulate and Propose say exactly what is wrong, by path).
 */
export function readPolicyDocument(text: string): PolicyDoc | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(value) || typeof value.version !== 'number' || typeof value.walletId !== 'string' || !Array.isArray(value.rules)) return null;
  const rules: RuleDoc[] = [];
  for (const r of value.rules) {
    const rule = readRule(r);
    if (!rule) return null;
    rules.push(rule);
  }
  const velocity = readVelocity(value.velocity);
  if (!velocity) return null;
  const doc: PolicyDoc = { format: typeof value.format === 'string' ? value.format : undefined, version: value.version, walletId: value.walletId, rules, velocity };
  if (value.shareRefresh === undefined) return doc;
  const r = value.shareRefresh;
  const count = (v: unknown): v is number | null => v === null || typeof v === 'number';
  if (!isObject(r) || !count(r.afterSignatures) || !count(r.afterDays)) return null;
  return { ...doc, shareRefresh: { afterSignatures: r.afterSignatures, afterDays: r.afterDays } };
}

/** Where JSON.parse stops, in plain words ("Unexpected token } at position 120"), or null when the text is JSON. */
export function jsonProblem(text: string): string | null {
  if (!text.trim()) return 'The draft is empty.';
  try {
    JSON.parse(text);
    return null;
  } catch (err) {
    return `Not valid JSON: ${err instanceof Error ? err.message : 'it does not parse'}.`;
  }
}
