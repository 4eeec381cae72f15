// A policy as a document: validation with precise errors, its one canonical form and its hash.
import { canonicalize, digest } from '../canonical.js';
import type { BitcoinNetwork } from '../bitcoin/address.js';
import { amount, boolean, fail, id, integer, list, name, object } from './fields.js';
import { POLICY_FORMAT, POLICY_LIMITS } from './types.js';
import type { AmountRange, ApprovalStep, Destination, Policy, Rule, ShareRefresh, VelocityLimit, Whitelist } from './types.js';

/** The JSON shape of a policy: what is proposed, stored, hashed and approved. Amounts are decimal strings. */
export interface PolicyDocument {
  readonly format: typeof POLICY_FORMAT;
  readonly version: number;
  readonly walletId: string;
  readonly rules: readonly RuleDocument[];
  readonly velocity: readonly VelocityLimitDocument[];
  readonly shareRefresh?: ShareRefresh;
}

export interface RuleDocument {
  readonly id: string;
  readonly name: string;
  readonly amount: { readonly min: string | null; readonly max: string | null };
  readonly destination: Destination;
  readonly initiatorGroupId: string | null;
  readonly steps: readonly ApprovalStep[];
  readonly delaySeconds: number;
  readonly velocity: readonly VelocityLimitDocument[];
}

export interface VelocityLimitDocument {
  readonly windowSeconds: number;
  readonly maxAmount: string;
  readonly maxCount?: number;
}

/**
 * The policy in `value` (a document read from storage, or an in-memory Policy with bigint amounts), or a
 * PolicyError naming the first problem by path, e.g. "policy.rules[1].amount: min 500 is above max 100".
 * `format` may be omitted; when present it must be this version's.
 */
export function validatePolicy(value: unknown): Policy {
  const p = object(value, 'policy', ['version', 'walletId', 'rules', 'velocity'], ['format', 'shareRefresh']);
  if (p.format !== undefined && p.format !== POLICY_FORMAT) fail('policy.format', `must be "${POLICY_FORMAT}"`);
  const version = integer(p.version, 'policy.version', 1, Number.MAX_SAFE_INTEGER);
  const walletId = id(p.walletId, 'policy.walletId');
  const rules = list(p.rules, 'policy.rules', POLICY_LIMITS.rules).map((r, i) => checkRule(r, `policy.rules[${i}]`));
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const first = seen.get(r.id);
    if (first !== undefined) fail(`policy.rules[${i}].id`, `"${r.id}" is already the id of policy.rules[${first}]`);
    seen.set(r.id, i);
  });
  const velocity = checkVelocity(p.velocity, 'policy.velocity');
  if (p.shareRefresh === undefined) return { version, walletId, rules, velocity };
  return { version, walletId, rules, velocity, shareRefresh: checkShareRefresh(p.shareRefresh, 'policy.shareRefresh') };
}

function checkShareRefresh(value: unknown, path: string): ShareRefresh {
  const r = object(value, path, ['afterSignatures', 'afterDays']);
  const afterSignatures = r.afterSignatures === null ? null : integer(r.afterSignatures, `${path}.afterSignatures`, 1, POLICY_LIMITS.refreshSignatures);
  const afterDays = r.afterDays === null ? null : integer(r.afterDays, `${path}.afterDays`, 1, POLICY_LIMITS.refreshDays);
  // Both null would be a rule that asks for nothing: one encoding per meaning, so it is written by leaving it out.
  if (afterSignatures === null && afterDays === null) fail(path, 'names no limit: set afterSignatures, afterDays or both, or leave shareRefresh out');
  return { afterSignatures, afterDays };
}

function checkRule(value: unknown, path: string): Rule {
  const r = object(value, path, ['id', 'name', 'amount', 'destination', 'initiatorGroupId', 'steps', 'delaySeconds', 'velocity']);
  const steps = list(r.steps, `${path}.steps`, POLICY_LIMITS.stepsPerRule).map((s, i) => checkStep(s, `${path}.steps[${i}]`));
  // A rule without steps would sign with nobody's approval; Custos always wants a person to have looked.
  if (steps.length === 0) fail(`${path}.steps`, 'must hold at least one approval step');
  return {
    id: id(r.id, `${path}.id`),
    name: name(r.name, `${path}.name`),
    amount: checkRange(r.amount, `${path}.amount`),
    destination: checkDestination(r.destination, `${path}.destination`),
    initiatorGroupId: r.initiatorGroupId === null ? null : id(r.initiatorGroupId, `${path}.initiatorGroupId`),
    steps,
    delaySeconds: integer(r.delaySeconds, `${path}.delaySeconds`, 0, POLICY_LIMITS.maxSeconds),
    velocity: checkVelocity(r.velocity, `${path}.velocity`),
  };
}

function checkRange(value: unknown, path: string): AmountRange {
  const a = object(value, path, [], ['min', 'max']);
  // Both keys are required, but null is a legitimate value: check presence by key, not by undefined.
  if (!('min' in a)) fail(`${path}.min`, 'is missing (null for no lower bound)');
  if (!('max' in a)) fail(`${path}.max`, 'is missing (null for no upper bound)');
  if (a.min === 0n || a.min === '0') fail(`${path}.min`, 'must be null rather than 0 (every transfer moves at least 1 unit)');
  const min = a.min === null ? null : amount(a.min, `${path}.min`, 1n);
  const max = a.max === null ? null : amount(a.max, `${path}.max`, 1n);
  if (min !== null && max !== null && min > max) fail(path, `min ${min} is above max ${max}`);
  return { min, max };
}

function checkDestination(value: unknown, path: string): Destination {
  const kind = (value as { kind?: unknown } | null)?.kind;
  if (kind === 'any') {
    object(value, path, ['kind']);
    return { kind: 'any' };
  }
  if (kind === 'whitelist') {
    const d = object(value, path, ['kind', 'whitelistId']);
    return { kind: 'whitelist', whitelistId: id(d.whitelistId, `${path}.whitelistId`) };
  }
  return fail(`${path}.kind`, 'must be "any" or "whitelist"');
}

function checkStep(value: unknown, path: string): ApprovalStep {
  const s = object(value, path, ['groupId', 'count', 'initiatorMayApprove']);
  return {
    groupId: id(s.groupId, `${path}.groupId`),
    count: integer(s.count, `${path}.count`, 1, POLICY_LIMITS.stepCount),
    initiatorMayApprove: boolean(s.initiatorMayApprove, `${path}.initiatorMayApprove`),
  };
}

/** Limits in window order, one per window: the order is fixed so that one set of limits has one encoding. */
function checkVelocity(value: unknown, path: string): readonly VelocityLimit[] {
  const limits = list(value, path, POLICY_LIMITS.velocityLimits).map((item, i): VelocityLimit => {
    const at = `${path}[${i}]`;
    const v = object(item, at, ['windowSeconds', 'maxAmount'], ['maxCount']);
    const limit = {
      windowSeconds: integer(v.windowSeconds, `${at}.windowSeconds`, 1, POLICY_LIMITS.maxSeconds),
      maxAmount: amount(v.maxAmount, `${at}.maxAmount`, 1n),
    };
    return v.maxCount === undefined ? limit : { ...limit, maxCount: integer(v.maxCount, `${at}.maxCount`, 1, Number.MAX_SAFE_INTEGER) };
  });
  limits.forEach((l, i) => {
    const before = limits[i - 1];
    if (before !== undefined && before.windowSeconds >= l.windowSeconds) {
      fail(`${path}[${i}].windowSeconds`, 'limits are listed by window, shortest first, one limit per window');
    }
  });
  return limits;
}

function limitDocument(l: VelocityLimit): VelocityLimitDocument {
  const doc = { windowSeconds: l.windowSeconds, maxAmount: l.maxAmount.toString() };
  return l.maxCount === undefined ? doc : { ...doc, maxCount: l.maxCount };
}

/** The document of a policy, after validating it (so nothing invalid is ever hashed or proposed). */
export function policyDocument(policy: Policy): PolicyDocument {
  const p = validatePolicy(policy);
  const doc: PolicyDocument = {
    format: POLICY_FORMAT,
    version: p.version,
    walletId: p.walletId,
    rules: p.rules.map((r) => ({
      id: r.id,
      name: r.name,
      amount: { min: r.amount.min === null ? null : r.amount.min.toString(), max: r.amount.max === null ? null : r.amount.max.toString() },
      destination: r.destination.kind === 'any' ? { kind: 'any' } : { kind: 'whitelist', whitelistId: r.destination.whitelistId },
      initiatorGroupId: r.initiatorGroupId,
      steps: r.steps.map((s) => ({ groupId: s.groupId, count: s.count, initiatorMayApprove: s.initiatorMayApprove })),
      delaySeconds: r.delaySeconds,
      velocity: r.velocity.map(limitDocument),
    })),
    velocity: p.velocity.map(limitDocument),
  };
  return p.shareRefresh === undefined ? doc : { ...doc, shareRefresh: { afterSignatures: p.shareRefresh.afterSignatures, afterDays: p.shareRefresh.afterDays } };
}

/** Canonical JSON of the policy document: the exact bytes a proposal binds. */
export function canonicalPolicy(policy: Policy): string {
  return canonicalize(policyDocument(policy));
}

/** 0x + sha256 of the canonical policy (66 characters), as every digest in Custos is written. */
export function policyHash(policy: Policy): string {
  return digest(policyDocument(policy));
}

/**
 * What keeps a valid policy from being adopted for a wallet on `network` with these whitelists: a
 * referenced whitelist that doesn't exist, or one for another network. Empty when it can be adopted.
 * Evaluation denies rather than guesses when a referenced whitelist is missing, so check this first.
 */
export function policyReferenceProblems(policy: Policy, whitelists: readonly Whitelist[], network: BitcoinNetwork): string[] {
  const byId = new Map(whitelists.map((w) => [w.id, w]));
  const problems: string[] = [];
  policy.rules.forEach((r, i) => {
    if (r.destination.kind !== 'whitelist') return;
    const w = byId.get(r.destination.whitelistId);
    const path = `policy.rules[${i}].destination.whitelistId`;
    if (w === undefined) problems.push(`${path}: no whitelist has the id "${r.destination.whitelistId}"`);
    else if (w.network !== network) problems.push(`${path}: whitelist "${w.name}" is for ${w.network}, the wallet is on ${network}`);
  });
  return problems;
}
