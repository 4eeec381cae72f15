// Policy evaluation: first match, whitelists, velocity at window edges, approval steps, rejections and delay.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../crypto/policy/index.js';
import type { Approval, Decision, EvaluationInput, Policy, Rejection, SignedTransfer } from '../../crypto/policy/index.js';
import { address, groups, HOUR, partners, policy, request, rule, step, T0, WALLET } from './fixtures.js';

const vault = groups({ approvers: ['a1', 'a2', 'a3'], finance: ['f1', 'f2', 'op'], cfo: ['cfo'], traders: ['op'] });
const NOW = T0 + 10 * HOUR;

function decide(p: Policy, overrides: Partial<EvaluationInput> = {}): Decision {
  return evaluate({ policy: p, whitelists: [partners], request: request(), approvals: [], groupsAt: vault, history: [], now: NOW, ...overrides });
}
const approvals = (...ids: string[]): Approval[] => ids.map((userId, i) => ({ userId, at: T0 + i * 1000 }));
const only = <O extends Decision['outcome']>(d: Decision, outcome: O): Extract<Decision, { outcome: O }> => {
  expect(d.outcome, JSON.stringify(d, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).toBe(outcome);
  return d as Extract<Decision, { outcome: O }>;
};

describe('rule matching', () => {
  const tiers = policy([
    rule('to-partners', { destination: { kind: 'whitelist', whitelistId: 'partners' }, amount: { min: null, max: 10_000n } }),
    rule('traders', { initiatorGroupId: 'traders', amount: { min: null, max: 5_000n } }),
    rule('small', { amount: { min: null, max: 1_000n } }),
    rule('medium', { amount: { min: 1_000n, max: 50_000n }, steps: [step('finance', 2)] }),
  ]);
  const ruleOf = (overrides: Parameters<typeof request>[0]) => decide(tiers, { request: request(overrides) }).ruleId;

  it('takes the first rule that matches, in policy order', () => {
    expect(ruleOf({ amount: 1_000n, destination: address(1) })).toBe('to-partners');
    expect(ruleOf({ amount: 1_000n, initiatorId: 'op' })).toBe('traders');
    expect(ruleOf({ amount: 1_000n, initiatorId: 'someone' })).toBe('small');
    expect(ruleOf({ amount: 1_001n, initiatorId: 'someone' })).toBe('medium');
  });

  it('treats both amount bounds as inclusive', () => {
    expect(ruleOf({ amount: 1_000n, initiatorId: 'x' })).toBe('small');
    expect(ruleOf({ amount: 50_000n, initiatorId: 'x' })).toBe('medium');
    const none = only(decide(tiers, { request: request({ amount: 50_001n, initiatorId: 'x' }) }), 'denied');
    expect(none.code).toBe('NO_MATCHING_RULE');
    expect(none.reason).toContain('no rule of policy version 1 matches a transfer of 0.00050001 BTC');
  });

  it('matches a whitelisted destination whatever its letter case, and only on the list network', () => {
    expect(ruleOf({ amount: 10_000n, destination: address(2).toUpperCase() })).toBe('to-partners');
    expect(ruleOf({ amount: 10_000n, destination: address(3), initiatorId: 'x' })).toBe('medium');
    expect(ruleOf({ amount: 10_000n, destination: 'not an address', initiatorId: 'x' })).toBe('medium');
  });

  it('denies, rather than skipping to a looser rule, when a named whitelist is missing', () => {
    const d = only(decide(tiers, { whitelists: [], request: request({ amount: 10n, initiatorId: 'x' }) }), 'denied');
    expect(d).toMatchObject({ code: 'WHITELIST_MISSING', ruleId: 'to-partners' });
  });

  it('an unknown initiator group has no members', () => {
    const p = policy([rule('ghost', { initiatorGroupId: 'nobody' }), rule('rest', { amount: { min: null, max: 5n } })]);
    expect(only(decide(p), 'denied').code).toBe('NO_MATCHING_RULE');
  });

  it('denies a request for another wallet and a malformed request', () => {
    expect(only(decide(tiers, { request: request({ walletId: 'w-other' }) }), 'denied').code).toBe('WALLET_MISMATCH');
    expect(only(decide(tiers, { request: request({ amount: 0n }) }), 'denied').code).toBe('INVALID_REQUEST');
    expect(only(decide(tiers, { request: { ...request(), amount: 5 as unknown as bigint } }), 'denied').code).toBe('INVALID_REQUEST');
  });
});

describe('velocity', () => {
  const DAY = 86_400;
  const limited = policy([rule('any', { velocity: [{ windowSeconds: 3600, maxAmount: 5_000n, maxCount: 2 }] })], {
    velocity: [{ windowSeconds: DAY, maxAmount: 10_000n }],
  });
  const signed = (signedAt: number, amount: bigint, ruleId = 'any', requestId = `s${signedAt}`): SignedTransfer => ({ requestId, ruleId, amount, signedAt });
  const at = (history: SignedTransfer[], amount = 1000n) => decide(limited, { history, request: request({ amount }), approvals: approvals('a1') });

  it('a transfer signed exactly windowSeconds ago has left the window; 1 ms later it is still in', () => {
    expect(only(at([signed(NOW - DAY * 1000, 9_500n, 'old')]), 'allowed').velocity[0]).toMatchObject({ usedAmount: 0n, leftAmount: 10_000n });
    const d = only(at([signed(NOW - DAY * 1000 + 1, 9_500n, 'old')]), 'denied');
    expect(d.code).toBe('VELOCITY_LIMIT');
    expect(d.reason).toBe('velocity limit of the wallet: at most 0.0001 BTC per 24 h; 0.000095 BTC already signed in that window, 0.000005 BTC left, this transfer is 0.00001 BTC');
  });

  it('counts a transfer signed at now, not one signed after now, and never the request itself', () => {
    expect(only(at([signed(NOW, 9_001n, 'old')]), 'denied').code).toBe('VELOCITY_LIMIT');
    expect(only(at([signed(NOW + 1, 9_001n, 'old')]), 'allowed').velocity[0]?.usedAmount).toBe(0n);
    expect(only(at([signed(NOW, 9_001n, 'old', 'r1')]), 'allowed').velocity[0]?.usedAmount).toBe(0n);
  });

  it('allows up to exactly the limit', () => {
    expect(only(at([signed(NOW - 1, 9_000n, 'old')]), 'allowed').velocity[0]).toMatchObject({ usedAmount: 9_000n, leftAmount: 1_000n, fits: true });
    expect(only(at([signed(NOW - 1, 9_001n, 'old')]), 'denied').velocity[0]).toMatchObject({ leftAmount: 999n, fits: false });
  });

  it('per-rule limits count only transfers signed under that rule, by amount and by count', () => {
    const small = (history: SignedTransfer[]) => at(history, 100n);
    expect(only(small([signed(NOW - 10, 4_950n, 'other')]), 'allowed').velocity[1]).toMatchObject({ scope: 'rule', usedAmount: 0n });
    expect(only(small([signed(NOW - 10, 4_950n)]), 'denied').reason).toBe(
      'velocity limit of rule "Rule any": at most 0.00005 BTC per 1 h; 0.0000495 BTC already signed in that window, 0.0000005 BTC left, this transfer is 0.000001 BTC',
    );
    const counted = only(small([signed(NOW - 10, 1n), signed(NOW - 20, 1n)]), 'denied');
    expect(counted.reason).toBe('velocity limit of rule "Rule any": at most 2 transfers per 1 h; 2 already signed in that window, none left');
    expect(counted.velocity[1]).toMatchObject({ usedCount: 2, maxCount: 2, leftCount: 0, fits: false });
    expect(only(small([signed(NOW - HOUR, 1n), signed(NOW - 20, 1n)]), 'allowed').velocity[1]).toMatchObject({ usedCount: 1, leftCount: 1 });
  });

  it('denies by velocity even when every approval is in: approvals cannot buy past a limit', () => {
    expect(only(at([signed(NOW - 1, 10_000n, 'old')]), 'denied').ruleId).toBe('any');
  });
});

describe('approval steps', () => {
  const twoSteps = policy([rule('r', { steps: [step('finance', 2), step('cfo', 1)] })]);

  it('is pending until every step is full, naming who counted and what is missing', () => {
    const d = only(decide(twoSteps, { approvals: approvals('f1') }), 'pending');
    expect(d.currentStep).toBe(0);
    expect(d.steps).toEqual([
      { index: 0, groupId: 'finance', required: 2, counted: ['f1'], missing: 1, finished: false },
      { index: 1, groupId: 'cfo', required: 1, counted: [], missing: 1, finished: false },
    ]);
    const next = only(decide(twoSteps, { approvals: approvals('f1', 'f2') }), 'pending');
    expect(next.currentStep).toBe(1);
    expect(only(decide(twoSteps, { approvals: approvals('f1', 'f2', 'cfo') }), 'allowed').ready).toBe(true);
  });

  it('counts a person once, however many times they approve', () => {
    const d = only(decide(twoSteps, { approvals: approvals('f1', 'f1', 'f1', 'cfo') }), 'pending');
    expect(d.steps[0]?.counted).toEqual(['f1']);
  });

  it('counts only members of the step group as of the decision time', () => {
    expect(only(decide(twoSteps, { approvals: approvals('f1', 'a1', 'cfo') }), 'pending').steps[0]?.counted).toEqual(['f1']);
    const later = groups({ finance: ['f1', 'a1'], cfo: ['cfo'] });
    expect(decide(twoSteps, { approvals: approvals('f1', 'a1', 'cfo'), groupsAt: later }).outcome).toBe('allowed');
    const removed = groups({ finance: ['f1'], cfo: ['cfo'] });
    expect(decide(twoSteps, { approvals: approvals('f1', 'f2', 'cfo'), groupsAt: removed }).outcome).toBe('pending');
    expect(decide(twoSteps, { approvals: approvals('f1', 'f2', 'cfo'), groupsAt: (g) => vault.get(g) }).outcome).toBe('allowed');
  });

  it("lets the initiator fill a seat only in steps that allow it", () => {
    const own = request({ initiatorId: 'f1' });
    expect(only(decide(twoSteps, { request: own, approvals: approvals('f1', 'f2', 'cfo') }), 'pending').steps[0]?.counted).toEqual(['f2']);
    const selfOk = policy([rule('r', { steps: [step('finance', 2, true), step('cfo', 1)] })]);
    expect(decide(selfOk, { request: own, approvals: approvals('f1', 'f2', 'cfo') }).outcome).toBe('allowed');
  });

  it('finds the assignment a greedy one would miss when groups overlap', () => {
    // f1 is in finance and in treasury; op only in finance. Greedy in arrival order seats f1 in step 0 and
    // leaves step 1 (treasury) empty; the matching moves f1 to step 1 and seats op in step 0.
    const overlap = groups({ finance: ['f1', 'op'], treasury: ['f1'] });
    const p = policy([rule('r', { steps: [step('finance', 1, true), step('treasury', 1)] })]);
    const d = only(decide(p, { request: request({ initiatorId: 'x' }), approvals: approvals('f1', 'op'), groupsAt: overlap }), 'allowed');
    expect(d.steps.map((s) => s.counted)).toEqual([['op'], ['f1']]);
  });

  it('honours stepIndex: an approval given for one step does not count for another', () => {
    const overlap = groups({ finance: ['f1', 'f2'], cfo: ['f1'] });
    const p = policy([rule('r', { steps: [step('finance', 1), step('cfo', 1)] })]);
    const given = (stepIndex: number): Approval[] => [{ userId: 'f1', at: T0, stepIndex }, { userId: 'f2', at: T0 + 1 }];
    expect(decide(p, { approvals: given(1), groupsAt: overlap }).outcome).toBe('allowed');
    expect(decide(p, { approvals: given(0), groupsAt: overlap }).outcome).toBe('pending');
    expect(decide(p, { approvals: given(7), groupsAt: overlap }).outcome).toBe('pending');
  });

  it('ignores approvals made after the decision time', () => {
    expect(decide(twoSteps, { approvals: [...approvals('f1', 'f2'), { userId: 'cfo', at: NOW + 1 }] }).outcome).toBe('pending');
    expect(decide(twoSteps, { approvals: [...approvals('f1', 'f2'), { userId: 'cfo', at: NOW }] }).outcome).toBe('allowed');
  });
});

describe('delay', () => {
  const delayed = policy([rule('r', { steps: [step('finance', 2)], delaySeconds: 3600 })]);

  it('runs from the approval that filled the last seat; the request is allowed but not ready until then', () => {
    const a: Approval[] = [{ userId: 'f1', at: T0 }, { userId: 'f2', at: T0 + 5000 }];
    const waiting = only(decide(delayed, { approvals: a, now: T0 + 5000 + HOUR - 1 }), 'allowed');
    expect(waiting).toMatchObject({ approvedAt: T0 + 5000, delayUntil: T0 + 5000 + HOUR, ready: false });
    expect(only(decide(delayed, { approvals: a, now: T0 + 5000 + HOUR }), 'allowed').ready).toBe(true);
    expect(only(decide(delayed, { approvals: [{ userId: 'f1', at: T0 }] }), 'pending').delaySeconds).toBe(3600);
  });

  it('takes the earliest moment the steps were full, even if more approvals came later', () => {
    const a: Approval[] = [{ userId: 'f1', at: T0 }, { userId: 'op', at: T0 + 1000 }, { userId: 'f2', at: T0 + 9000 }];
    expect(only(decide(delayed, { approvals: a, request: request({ initiatorId: 'x' }) }), 'allowed').approvedAt).toBe(T0 + 1000);
  });
});

describe('rejections', () => {
  const twoSteps = policy([rule('r', { steps: [step('finance', 2), step('cfo', 1)] })]);
  const withRejection = (a: Approval[], r: Rejection[]) => decide(twoSteps, { approvals: a, rejections: r });

  it('a rejection by someone eligible for an unfinished step rejects the request', () => {
    const d = only(withRejection(approvals('f1'), [{ userId: 'cfo', at: T0 + 50 }]), 'rejected');
    expect(d.rejectedBy).toEqual(['cfo']);
    expect(d.reason).toContain('rejected by cfo');
  });

  it('stays rejected when approvals arrive after the rejection', () => {
    const late: Approval[] = [{ userId: 'f1', at: T0 }, { userId: 'f2', at: T0 + 200 }, { userId: 'cfo', at: T0 + 300 }];
    expect(withRejection(late, [{ userId: 'f2', at: T0 + 100 }]).outcome).toBe('rejected');
  });

  it('ignores rejections by people with no unfinished step to fill, or made after the steps were full', () => {
    const a = approvals('f1', 'f2', 'cfo');
    expect(withRejection(a, [{ userId: 'a1', at: T0 }]).outcome).toBe('allowed');
    expect(withRejection(a, [{ userId: 'f1', at: T0 + 1500 }]).outcome).toBe('allowed');
    expect(withRejection(a, [{ userId: 'cfo', at: T0 + 2000 }]).outcome).toBe('allowed');
    expect(withRejection(approvals('f1'), [{ userId: 'cfo', at: NOW + 1 }]).outcome).toBe('pending');
  });

  it('takes an approval and a rejection at the same millisecond as approval first', () => {
    expect(withRejection(approvals('f1', 'f2', 'cfo'), [{ userId: 'f1', at: T0 + 1000 }]).outcome).toBe('allowed');
    expect(withRejection(approvals('f1', 'f2', 'cfo'), [{ userId: 'f1', at: T0 + 999 }]).outcome).toBe('rejected');
  });
});

describe('a 1,000-approver quorum', () => {
  it('decides with 1,000 approvers over overlapping groups and counts each once', () => {
    const people = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const big = groups({ all: people, even: people.filter((_, i) => i % 2 === 0), board: people.slice(0, 100) });
    const p = policy([rule('r', { steps: [step('all', 600), step('even', 300), step('board', 100)] })], { walletId: WALLET });
    const everyone: Approval[] = people.map((userId, i) => ({ userId, at: T0 + i }));
    const d = only(decide(p, { approvals: everyone, groupsAt: big, request: request({ initiatorId: 'x' }) }), 'allowed');
    const counted = d.steps.flatMap((s) => s.counted);
    expect(counted).toHaveLength(1000);
    expect(new Set(counted).size).toBe(1000);
    expect(d.steps[1]?.counted.every((u) => Number(u.slice(1)) % 2 === 0)).toBe(true);
    expect(d.steps[2]?.counted.every((u) => Number(u.slice(1)) < 100)).toBe(true);
    expect(d.approvedAt).toBe(T0 + 999);
    const short = only(decide(p, { approvals: everyone.slice(1), groupsAt: big, request: request({ initiatorId: 'x' }) }), 'pending');
    expect(short.steps.reduce((n, s) => n + s.missing, 0)).toBe(1);
  });
});
