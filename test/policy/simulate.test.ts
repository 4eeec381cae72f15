// The simulator: the same past requests decided under the current policy and a draft, with what changed.
import { describe, expect, it } from 'vitest';
import { classify, simulate } from '../../crypto/policy/index.js';
import type { SimulationCase, Whitelist } from '../../crypto/policy/index.js';
import { address, groups, HOUR, partners, policy, request, rule, step, T0 } from './fixtures.js';

const vault = groups({ finance: ['f1', 'f2', 'f3'], cfo: ['cfo'] });
const current = policy([
  rule('small', { amount: { min: null, max: 1_000n }, steps: [step('finance', 1)] }),
  rule('large', { amount: { min: 1_001n, max: 100_000n }, steps: [step('finance', 2)] }),
]);
const draft = policy(
  [
    rule('partners', { destination: { kind: 'whitelist', whitelistId: 'vendors' }, steps: [step('finance', 1)] }),
    rule('small', { amount: { min: null, max: 500n }, steps: [step('finance', 1)] }),
    rule('large', { amount: { min: 501n, max: 50_000n }, steps: [step('finance', 2), step('cfo', 1)] }),
  ],
  { version: 2 },
);
const vendors: Whitelist = { id: 'vendors', name: 'Vendors', network: 'regtest', entries: [{ address: address(5), label: 'Payroll' }] };

const past = (id: string, amount: bigint, approvers: string[], destination = address(9)): SimulationCase => ({
  request: request({ id, amount, destination, initiatorId: 'op' }),
  approvals: approvers.map((userId, i) => ({ userId, at: T0 + i * 1000 })),
  groupsAt: vault,
  history: [],
  now: T0 + HOUR,
});

describe('simulate', () => {
  it('replays each past request under both policies and classifies the change', () => {
    const report = simulate({
      current,
      draft,
      whitelists: [partners],
      draftWhitelists: [partners, vendors],
      cases: [
        past('same', 300n, ['f1']),
        past('rerouted', 800n, ['f1', 'f2', 'cfo']),
        past('moved-up', 800n, ['f1', 'f2']),
        past('stopped', 5_000n, ['f1', 'f2']),
        past('denied-now', 60_000n, ['f1', 'f2', 'cfo']),
        past('opened', 200_000n, ['f1'], address(5)),
      ],
    });
    expect(report.results.map((r) => [r.requestId, r.before.outcome, r.before.ruleId, r.after.outcome, r.after.ruleId, r.changed])).toEqual([
      ['same', 'allowed', 'small', 'allowed', 'small', 'same'],
      ['rerouted', 'allowed', 'small', 'allowed', 'large', 'rerouted'],
      ['moved-up', 'allowed', 'small', 'pending', 'large', 'now-denied'],
      ['stopped', 'allowed', 'large', 'pending', 'large', 'now-denied'],
      ['denied-now', 'allowed', 'large', 'denied', null, 'now-denied'],
      ['opened', 'denied', null, 'allowed', 'partners', 'now-allowed'],
    ]);
    expect(report.results[4]?.after).toMatchObject({ code: 'NO_MATCHING_RULE' });
    expect(report.counts).toEqual({ same: 1, 'now-denied': 3, 'now-allowed': 1, rerouted: 1 });
  });

  it('decides with the evidence as it stood at `now`: later approvals do not count', () => {
    const early = { ...past('late', 300n, ['f1']), now: T0 - 1 };
    const [r] = simulate({ current, draft, whitelists: [partners, vendors], cases: [early] }).results;
    expect(r).toMatchObject({ before: { outcome: 'pending' }, after: { outcome: 'pending' }, changed: 'same' });
  });

  it('refuses to compare policies of two wallets', () => {
    expect(() => simulate({ current, draft: { ...draft, walletId: 'w-other' }, whitelists: [], cases: [] })).toThrow(/wallet/);
  });
});

describe('classify', () => {
  it.each([
    [{ outcome: 'allowed', ruleId: 'a' }, { outcome: 'allowed', ruleId: 'b' }, 'rerouted'],
    [{ outcome: 'pending', ruleId: 'a' }, { outcome: 'rejected', ruleId: 'a' }, 'rerouted'],
    [{ outcome: 'pending', ruleId: 'a' }, { outcome: 'denied', ruleId: 'a', code: 'VELOCITY_LIMIT' }, 'now-denied'],
    [{ outcome: 'denied', ruleId: null, code: 'NO_MATCHING_RULE' }, { outcome: 'pending', ruleId: 'a' }, 'rerouted'],
    [{ outcome: 'denied', ruleId: null, code: 'NO_MATCHING_RULE' }, { outcome: 'denied', ruleId: 'a', code: 'VELOCITY_LIMIT' }, 'rerouted'],
    [{ outcome: 'denied', ruleId: 'a', code: 'VELOCITY_LIMIT' }, { outcome: 'denied', ruleId: 'a', code: 'VELOCITY_LIMIT' }, 'same'],
    [{ outcome: 'rejected', ruleId: 'a' }, { outcome: 'allowed', ruleId: 'a' }, 'now-allowed'],
  ] as const)('%j → %j is %s', (before, after, expected) => {
    expect(classify(before, after)).toBe(expected);
  });
});
