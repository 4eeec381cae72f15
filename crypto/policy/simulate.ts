// The policy simulator: replays past requests under the current policy and a draft, and says what would change.
import { evaluate } from './evaluate.js';
import type { EvaluationInput } from './evaluate.js';
import type { Decision, DenialCode, Outcome, Policy, Whitelist } from './types.js';

/** One past request with the evidence it had, and the moment it was decided (or is being looked at). */
export type SimulationCase = Omit<EvaluationInput, 'policy' | 'whitelists'>;

export interface SimulationInput {
  readonly current: Policy;
  readonly draft: Policy;
  readonly whitelists: readonly Whitelist[];
  /** Whitelists as the draft would have them (e.g. with a proposed new list); defaults to `whitelists`. */
  readonly draftWhitelists?: readonly Whitelist[];
  readonly cases: readonly SimulationCase[];
}

export interface OutcomeSummary {
  readonly outcome: Outcome;
  readonly ruleId: string | null;
  readonly code?: DenialCode;
  /** Why, for a denial or a rejection. */
  readonly reason?: string;
}

/**
 * same:        same outcome under the same rule.
 * now-allowed: the draft allows what the current policy did not.
 * now-denied:  the draft stops what the current policy allowed (denied, or its approvals no longer suffice),
 *              or denies outright what was waiting for or refused by approvers.
 * rerouted:    anything else: another rule decides, or the same kind of "not allowed" for another reason.
 */
export type SimulationChange = 'same' | 'now-denied' | 'now-allowed' | 'rerouted';

export interface SimulationResult {
  readonly requestId: string;
  readonly before: OutcomeSummary;
  readonly after: OutcomeSummary;
  readonly changed: SimulationChange;
}

export interface SimulationReport {
  readonly results: readonly SimulationResult[];
  readonly counts: Readonly<Record<SimulationChange, number>>;
}

/**
 * Each case is decided twice with the same evidence (approvals, memberships, history) and the same `now`.
 * History is what was actually signed: the simulator does not guess how velocity would have evolved had
 * the draft been in force, since people would have acted differently too. Per-rule limits of the draft
 * count history by rule id, so a draft rule that keeps an id keeps its past usage.
 */
export function simulate(input: SimulationInput): SimulationReport {
  if (input.draft.walletId !== input.current.walletId) {
    throw new TypeError(`simulate: the draft governs wallet ${input.draft.walletId}, the current policy ${input.current.walletId}`);
  }
  const counts: Record<SimulationChange, number> = { same: 0, 'now-denied': 0, 'now-allowed': 0, rerouted: 0 };
  const results = input.cases.map((c): SimulationResult => {
    const before = summary(evaluate({ ...c, policy: input.current, whitelists: input.whitelists }));
    const after = summary(evaluate({ ...c, policy: input.draft, whitelists: input.draftWhitelists ?? input.whitelists }));
    const changed = classify(before, after);
    counts[changed]++;
    return { requestId: c.request.id, before, after, changed };
  });
  return { results, counts };
}

export function classify(before: OutcomeSummary, after: OutcomeSummary): SimulationChange {
  // Reasons are not compared: their text names amounts and versions that may differ for the same effect.
  if (before.outcome === after.outcome && before.ruleId === after.ruleId && before.code === after.code) return 'same';
  const was = before.outcome === 'allowed';
  const is = after.outcome === 'allowed';
  if (!was && is) return 'now-allowed';
  if (was && !is) return 'now-denied';
  if (!was && after.outcome === 'denied' && before.outcome !== 'denied') return 'now-denied';
  return 'rerouted';
}

function summary(decision: Decision): OutcomeSummary {
  const ruleId = decision.ruleId;
  if (decision.outcome === 'denied') return { outcome: 'denied', ruleId, code: decision.code, reason: decision.reason };
  if (decision.outcome === 'rejected') return { outcome: 'rejected', ruleId, reason: decision.reason };
  return { outcome: decision.outcome, ruleId };
}
