// Property tests of evaluation: monotone in approvals, indifferent to duplicates and order, first match, velocity.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { evaluate } from '../../crypto/policy/index.js';
import type { Approval, Decision, EvaluationInput, Policy, Rejection, Rule, SignedTransfer } from '../../crypto/policy/index.js';
import { address, partners, policy, request, rule, T0 } from './fixtures.js';

const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const GROUPS = ['g0', 'g1', 'g2'];
const DESTINATIONS = [address(1), address(2), address(9)];
const NOW = T0 + 1_000_000;
const RUNS = { numRuns: 500 };

const userArb = fc.constantFrom(...USERS);
const membersArb = fc.tuple(...GROUPS.map(() => fc.subarray(USERS, { minLength: 2 }))).map((lists) => new Map(GROUPS.map((g, i) => [g, new Set(lists[i])])));
const limitArb = fc.record(
  { windowSeconds: fc.constantFrom(10, 100, 1000), maxAmount: fc.bigInt({ min: 1n, max: 8000n }), maxCount: fc.integer({ min: 1, max: 6 }) },
  { requiredKeys: ['windowSeconds', 'maxAmount'] },
);
const limitsArb = fc.uniqueArray(limitArb, { selector: (l) => l.windowSeconds, maxLength: 2 }).map((ls) => [...ls].sort((a, b) => a.windowSeconds - b.windowSeconds));
const boundArb = fc.option(fc.bigInt({ min: 1n, max: 2500n }), { nil: null, freq: 2 });
const ruleArb = (id: string): fc.Arbitrary<Rule> =>
  fc
    .record({
      min: boundArb,
      max: boundArb,
      whitelist: fc.constantFrom(false, false, true),
      initiatorGroupId: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.constantFrom(...GROUPS), weight: 1 }),
      steps: fc.array(fc.record({ groupId: fc.constantFrom(...GROUPS), count: fc.constantFrom(1, 1, 1, 2, 3), initiatorMayApprove: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      delaySeconds: fc.constantFrom(0, 0, 60, 600),
      velocity: limitsArb,
    })
    .map(({ min, max, whitelist, ...rest }) =>
      rule(id, {
        ...rest,
        amount: min !== null && max !== null && min > max ? { min: max, max: min } : { min, max },
        destination: whitelist ? { kind: 'whitelist', whitelistId: 'partners' } : { kind: 'any' },
      }),
    );
const policyArb: fc.Arbitrary<Policy> = fc
  .integer({ min: 1, max: 4 })
  .chain((n) => fc.tuple(fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(`r${i}`))), limitsArb))
  .map(([rules, velocity]) => policy(rules, { velocity }));
// Mostly without stepIndex (the common case); sometimes one, occasionally out of range.
const approvalArb: fc.Arbitrary<Approval> = fc
  .record({ userId: userArb, at: fc.integer({ min: T0, max: NOW + 1000 }), stepIndex: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined, freq: 5 }) })
  .map(({ stepIndex, ...a }) => (stepIndex === undefined ? a : { ...a, stepIndex }));
const rejectionArb: fc.Arbitrary<Rejection> = fc.record({ userId: userArb, at: fc.integer({ min: T0, max: NOW }) });
const historyArb: fc.Arbitrary<SignedTransfer[]> = fc.array(
  fc.record({
    requestId: fc.constantFrom('h1', 'h2', 'h3', 'r1'),
    ruleId: fc.constantFrom('r0', 'r1', 'r2', 'r3'),
    amount: fc.bigInt({ min: 1n, max: 1000n }),
    // Concentrated around the window edges: now − 10 s, now − 100 s, now − 1000 s (±1 ms), now and just after.
    signedAt: fc.oneof(
      fc.constantFrom(...[10, 100, 1000].flatMap((s) => [NOW - s * 1000 - 1, NOW - s * 1000, NOW - s * 1000 + 1]), NOW, NOW + 1),
      fc.integer({ min: NOW - 1_100_000, max: NOW + 10 }),
    ),
  }),
  { maxLength: 4 },
);
const inputArb: fc.Arbitrary<EvaluationInput> = fc
  .record({
    policy: policyArb,
    groupsAt: membersArb,
    amount: fc.bigInt({ min: 1n, max: 2500n }),
    initiatorId: userArb,
    destination: fc.constantFrom(...DESTINATIONS),
    approvals: fc.array(approvalArb, { maxLength: 16 }),
    rejections: fc.oneof({ arbitrary: fc.constant([]), weight: 3 }, { arbitrary: fc.array(rejectionArb, { maxLength: 2 }), weight: 1 }),
    history: historyArb,
  })
  .map(({ amount, initiatorId, destination, ...rest }) => ({
    ...rest,
    whitelists: [partners],
    request: request({ amount, initiatorId, destination }),
    now: NOW,
  }));

const decide = (input: EvaluationInput, change: Partial<EvaluationInput> = {}): Decision => evaluate({ ...input, ...change });
const members = (input: EvaluationInput, groupId: string): ReadonlySet<string> =>
  (input.groupsAt as ReadonlyMap<string, ReadonlySet<string>>).get(groupId) ?? new Set();

/** The rule the policy should pick, computed the plain way. */
function firstMatch(input: EvaluationInput): Rule | undefined {
  const { request: r } = input;
  return input.policy.rules.find(
    (x) =>
      (x.amount.min === null || r.amount >= x.amount.min) &&
      (x.amount.max === null || r.amount <= x.amount.max) &&
      (x.initiatorGroupId === null || members(input, x.initiatorGroupId).has(r.initiatorId)) &&
      (x.destination.kind === 'any' || partners.entries.some((e) => e.address === r.destination)),
  );
}

/** Whether `needs` can all be met, each person in at most one step they are eligible for: exhaustive search. */
function bruteForce(needs: number[], eligible: number[][]): boolean {
  const left = [...needs];
  const go = (p: number): boolean => {
    if (left.every((n) => n <= 0)) return true;
    if (p === eligible.length) return false;
    for (const s of eligible[p] as number[]) {
      if ((left[s] as number) <= 0) continue;
      left[s] = (left[s] as number) - 1;
      const ok = go(p + 1);
      left[s] = (left[s] as number) + 1;
      if (ok) return true;
    }
    return go(p + 1);
  };
  return go(0);
}

/** Per approver, the steps they may fill with approvals made by `t`. */
function eligibility(input: EvaluationInput, r: Rule, t: number): number[][] {
  const byUser = new Map<string, Set<number>>();
  for (const a of input.approvals) {
    if (a.at > t || a.at > input.now) continue;
    r.steps.forEach((s, i) => {
      if (a.stepIndex !== undefined && a.stepIndex !== i) return;
      if (!members(input, s.groupId).has(a.userId)) return;
      if (a.userId === input.request.initiatorId && !s.initiatorMayApprove) return;
      byUser.set(a.userId, (byUser.get(a.userId) ?? new Set()).add(i));
    });
  }
  return [...byUser.values()].map((s) => [...s]);
}

/** Velocity is blind to approvals; without it more cases reach the approval steps, where the properties bite. */
const approvalFocused = inputArb.map((i) => ({ ...i, policy: { ...i.policy, velocity: [], rules: i.policy.rules.map((r) => ({ ...r, velocity: [] })) } }));
const withoutRejections = approvalFocused.map((i) => ({ ...i, rejections: [] }));

describe('policy evaluation properties', () => {
  it('(1) adding approvals never turns allowed into not allowed, nor ready into waiting', () => {
    fc.assert(
      fc.property(approvalFocused, fc.array(approvalArb, { minLength: 1, maxLength: 6 }), (input, more) => {
        const before = decide(input);
        const after = decide(input, { approvals: [...input.approvals, ...more] });
        if (before.outcome === 'allowed') {
          expect(after.outcome).toBe('allowed');
          if (before.ready && after.outcome === 'allowed') expect(after.ready).toBe(true);
        }
        if (before.outcome !== 'rejected' && before.outcome !== 'pending') expect(after.outcome).toBe(before.outcome);
      }),
      { numRuns: 1000 },
    );
  });

  it('(2) duplicating an approval never changes the decision', () => {
    fc.assert(
      fc.property(inputArb, fc.nat(), (input, k) => {
        fc.pre(input.approvals.length > 0);
        const copy = input.approvals[k % input.approvals.length] as Approval;
        expect(decide(input, { approvals: [...input.approvals, { ...copy }] })).toEqual(decide(input));
      }),
      RUNS,
    );
  });

  it('(3) the deciding rule is the first that matches, and no match is a denial', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const expected = firstMatch(input);
        const d = decide(input);
        if (expected === undefined) expect(d).toMatchObject({ outcome: 'denied', code: 'NO_MATCHING_RULE', ruleId: null });
        else expect(d.ruleId).toBe(expected.id);
      }),
      RUNS,
    );
  });

  it('(4) velocity: in-window sum + amount ≤ limit (and count + 1 ≤ max) for every limit ⇔ not denied by velocity', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const r = firstMatch(input);
        fc.pre(r !== undefined);
        const within = (limits: Policy['velocity'], history: readonly SignedTransfer[]) =>
          limits.every((l) => {
            const inWindow = history.filter((t) => t.requestId !== input.request.id && t.signedAt > NOW - l.windowSeconds * 1000 && t.signedAt <= NOW);
            const sum = inWindow.reduce((s, t) => s + t.amount, 0n);
            return sum + input.request.amount <= l.maxAmount && (l.maxCount === undefined || inWindow.length + 1 <= l.maxCount);
          });
        const fits = within(input.policy.velocity, input.history) && within(r.velocity, input.history.filter((t) => t.ruleId === r.id));
        const d = decide(input);
        expect(d.outcome === 'denied' && d.code === 'VELOCITY_LIMIT').toBe(!fits);
      }),
      RUNS,
    );
  });

  it('(5) permuting approvals and rejections never changes the decision', () => {
    fc.assert(
      fc.property(inputArb, fc.array(fc.double({ noNaN: true }), { minLength: 16, maxLength: 16 }), (input, keys) => {
        const shuffle = <T>(xs: readonly T[]): T[] =>
          xs.map((x, i) => [x, keys[i % keys.length] as number, i] as const).sort((a, b) => a[1] - b[1] || b[2] - a[2]).map(([x]) => x);
        expect(decide(input, { approvals: shuffle(input.approvals), rejections: shuffle(input.rejections ?? []) })).toEqual(decide(input));
      }),
      RUNS,
    );
  });

  it('(6) a person never counts twice, and everyone counted is eligible for their step', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const d = decide(input);
        if (d.outcome === 'denied') return;
        const r = input.policy.rules.find((x) => x.id === d.ruleId) as Rule;
        const counted = d.steps.flatMap((s) => s.counted);
        expect(new Set(counted).size).toBe(counted.length);
        d.steps.forEach((s, i) => {
          const st = r.steps[i] as Rule['steps'][number];
          expect(s.counted.length).toBeLessThanOrEqual(st.count);
          expect(s.missing).toBe(st.count - s.counted.length);
          for (const u of s.counted) {
            expect(members(input, st.groupId).has(u)).toBe(true);
            if (u === input.request.initiatorId) expect(st.initiatorMayApprove).toBe(true);
            expect(input.approvals.some((a) => a.userId === u && a.at <= NOW && (a.stepIndex === undefined || a.stepIndex === i))).toBe(true);
          }
        });
      }),
      RUNS,
    );
  });

  it('(7) the steps are full exactly when an exhaustive search finds a seating, from the earliest such moment', () => {
    fc.assert(
      fc.property(withoutRejections, (input) => {
        const d = decide(input);
        if (d.outcome === 'denied') return;
        const r = input.policy.rules.find((x) => x.id === d.ruleId) as Rule;
        const needs = r.steps.map((s) => s.count);
        expect(d.outcome === 'allowed').toBe(bruteForce(needs, eligibility(input, r, NOW)));
        // Finished steps are the longest prefix that can be full at once.
        const prefix = d.steps.filter((s) => s.finished).length;
        expect(d.steps.slice(0, prefix).every((s) => s.finished)).toBe(true);
        for (let j = 0; j < needs.length; j++) {
          expect(j < prefix).toBe(bruteForce(needs.slice(0, j + 1), eligibility(input, r, NOW).map((e) => e.filter((s) => s <= j))));
        }
        if (d.outcome === 'allowed') {
          const at = d.approvedAt;
          expect(bruteForce(needs, eligibility(input, r, at))).toBe(true);
          expect(bruteForce(needs, eligibility(input, r, at - 1))).toBe(false);
          expect(d.delayUntil).toBe(at + r.delaySeconds * 1000);
        }
      }),
      RUNS,
    );
  });

  it('(8) adding approvals never turns a rejection-free decision into a rejection', () => {
    fc.assert(
      fc.property(approvalFocused, fc.array(approvalArb, { minLength: 1, maxLength: 6 }), (input, more) => {
        const before = decide(input);
        const after = decide(input, { approvals: [...input.approvals, ...more] });
        if (before.outcome !== 'rejected') expect(after.outcome).not.toBe('rejected');
      }),
      RUNS,
    );
  });
});
