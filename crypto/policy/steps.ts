// Approval progress of one rule: who fills which step, when the steps became full, and which rejections count.
import { assignSeats } from './matching.js';
import type { Assignment } from './matching.js';
import type { Approval, Rejection, Rule, StepProgress } from './types.js';

export interface StepsInput {
  readonly rule: Rule;
  readonly initiatorId: string;
  /** Already limited to approvals made at or before the decision time. */
  readonly approvals: readonly Approval[];
  readonly rejections: readonly Rejection[];
  /** Members of a group as of the decision time. */
  readonly members: (groupId: string) => ReadonlySet<string>;
}

export interface StepsResult {
  readonly steps: StepProgress[];
  readonly complete: boolean;
  /** First step not full (steps.length when complete). */
  readonly currentStep: number;
  /** Earliest moment every step was full, or null. */
  readonly approvedAt: number | null;
  /** Users whose rejection counts, sorted. */
  readonly rejectedBy: string[];
}

/**
 * Who may sit in step i: a member of its group at decision time, and not the initiator unless the step
 * lets the initiator approve. A person counts at most once over all steps (the matching seats each once).
 *
 * An approval with a stepIndex counts only for that step. A person who approved several times is one
 * person; their seat in step i is available from their earliest approval that could count for step i.
 *
 * Time enters in two places, both computed on the same matching over "the approvals made by time t":
 *  - approvedAt: the earliest t at which every step is full (the delay runs from there). More approvals
 *    can only make it earlier, so an allowed, ready request stays ready.
 *  - rejections: a rejection counts when, at the moment it was made, its author was eligible for a step
 *    that was not yet finished (steps finish in order: step i is finished at t when steps 0..i can all be
 *    full with the approvals made by t). An approval and a rejection at the same millisecond: the approval
 *    is taken first. Once every step is full, later rejections change nothing; cancelling during the
 *    delay is the request's own state, outside the policy.
 */
export function stepProgress(input: StepsInput): StepsResult {
  const { rule, initiatorId } = input;
  const groups = rule.steps.map((s) => input.members(s.groupId));
  const mayFill = (userId: string, step: number): boolean =>
    (groups[step] as ReadonlySet<string>).has(userId) && (userId !== initiatorId || (rule.steps[step] as Rule['steps'][number]).initiatorMayApprove);

  // Per person: for each step they may fill, the time from which they may fill it.
  const seatsFrom = new Map<string, Map<number, number>>();
  for (const a of input.approvals) {
    const candidates = a.stepIndex === undefined ? rule.steps.map((_, i) => i) : [a.stepIndex];
    for (const step of candidates) {
      if (!Number.isInteger(step) || step < 0 || step >= rule.steps.length || !mayFill(a.userId, step)) continue;
      let times = seatsFrom.get(a.userId);
      if (times === undefined) seatsFrom.set(a.userId, (times = new Map()));
      const known = times.get(step);
      if (known === undefined || a.at < known) times.set(step, a.at);
    }
  }

  // Earliest approver first (then by id): the order that decides, among equals, who is shown as counted.
  const persons = [...seatsFrom.entries()].map(([userId, times]) => ({ userId, times, since: Math.min(...times.values()) }));
  persons.sort((a, b) => a.since - b.since || (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
  const needs = rule.steps.map((s) => s.count);
  const memo = new Map<number, Assignment>();
  const assignAt = (t: number): Assignment => {
    let result = memo.get(t);
    if (result === undefined) {
      const eligible = persons.map((p) => [...p.times].filter(([, from]) => from <= t).map(([step]) => step).sort((x, y) => x - y));
      memo.set(t, (result = assignSeats(needs, eligible)));
    }
    return result;
  };

  const final = assignAt(Number.POSITIVE_INFINITY);
  const moments = [...new Set(persons.flatMap((p) => [...p.times.values()]))].sort((a, b) => a - b);
  /** Earliest approval time by which steps 0..step are all full, or +∞. Binary search: fullness only grows with t. */
  const finishedBy = (step: number): number => {
    if (final.finished <= step) return Number.POSITIVE_INFINITY;
    let lo = 0;
    let hi = moments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (assignAt(moments[mid] as number).finished > step) hi = mid;
      else lo = mid + 1;
    }
    return moments[lo] as number;
  };

  const complete = final.finished === rule.steps.length;
  const steps = rule.steps.map((s, i): StepProgress => {
    const counted = persons.filter((_, p) => final.stepOf[p] === i).map((p) => p.userId);
    return { index: i, groupId: s.groupId, required: s.count, counted, missing: s.count - counted.length, finished: i < final.finished };
  });

  // A person's earliest rejection is the one that matters: steps only finish over time, never unfinish.
  const rejectedAt = new Map<string, number>();
  for (const r of input.rejections) {
    const known = rejectedAt.get(r.userId);
    if (known === undefined || r.at < known) rejectedAt.set(r.userId, r.at);
  }
  const rejectedBy: string[] = [];
  for (const [userId, at] of rejectedAt) {
    let last = -1;
    for (let i = 0; i < rule.steps.length; i++) if (mayFill(userId, i)) last = i;
    if (last >= 0 && finishedBy(last) > at) rejectedBy.push(userId);
  }
  rejectedBy.sort();

  return {
    steps,
    complete,
    currentStep: final.finished,
    approvedAt: complete ? finishedBy(rule.steps.length - 1) : null,
    rejectedBy,
  };
}
