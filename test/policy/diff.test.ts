// The diff of a draft against the policy in force: in words, nothing for the same policy, and every changed field named.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RULE_FIELDS, diffPolicies, type RuleField } from '../../crypto/policy/diff.js';
import { validatePolicy, type PolicyDocument, type RuleDocument } from '../../crypto/policy/index.js';
import { GROUPS, WHITELISTS, names, policyArb, ruleArb } from './document-arbitrary.js';

const RUNS = { numRuns: 300 };
const named = { group: (id: string) => ({ 'g-approvers': 'Approvers', 'g-risk': 'Risk', 'g-ops': 'Ops' })[id] ?? id, whitelist: (id: string) => (id === 'wl-ex' ? 'Exchanges' : id) };

const base: PolicyDocument = {
  format: 'custos-policy/1',
  version: 1,
  walletId: 'w-cold',
  rules: [
    { id: 'small', name: 'Small sends', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: 'g-ops', steps: [{ groupId: 'g-approvers', count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
    { id: 'large', name: 'Large sends', amount: { min: '1000001', max: null }, destination: { kind: 'any' }, initiatorGroupId: 'g-ops', steps: [{ groupId: 'g-approvers', count: 2, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
  ],
  velocity: [{ windowSeconds: 86_400, maxAmount: '10000000' }],
};

describe('diffPolicies', () => {
  it('tells a changed approval chain, delay and limits in words', () => {
    const draft: PolicyDocument = {
      ...base,
      version: 2,
      rules: [
        base.rules[0]!,
        { ...base.rules[1]!, steps: [...base.rules[1]!.steps, { groupId: 'g-risk', count: 1, initiatorMayApprove: false }], delaySeconds: 3600, velocity: [{ windowSeconds: 604_800, maxAmount: '50000000', maxCount: 3 }] },
      ],
    };
    expect(diffPolicies(base, draft, named).map((c) => c.text)).toEqual([
      'Large sends: approval steps 2 of Approvers → 2 of Approvers, then 1 of Risk',
      'Large sends: delay none → 1 h',
      'Large sends: rule limits none → 0.5 BTC and 3 transfers per 7 days',
    ]);
  });

  it('reports added and removed rules, the order, the wallet limits and the share refresh', () => {
    const added: RuleDocument = { ...base.rules[0]!, id: 'exchange', name: 'Exchange sends', destination: { kind: 'whitelist', whitelistId: 'wl-ex' }, amount: { min: '1', max: null } };
    const draft: PolicyDocument = { ...base, rules: [added, base.rules[0]!], velocity: [], shareRefresh: { afterSignatures: 100, afterDays: null } };
    expect(diffPolicies(base, draft, named).map((c) => c.text)).toEqual([
      'Rule added: Exchange sends (From 0.00000001 BTC, on whitelist Exchanges, requested by a member of Ops; approval 1 of Approvers; no delay)',
      'Rule removed: Large sends',
      'Wallet limits: 0.1 BTC per 24 h → none',
      'Refresh of the key shares: never asked for by the policy → after 100 signatures with the same shares',
    ]);
    const swapped: PolicyDocument = { ...base, rules: [base.rules[1]!, base.rules[0]!] };
    expect(diffPolicies(base, swapped, named).map((c) => c.text)).toEqual(['Order of the rules (the first that matches decides): Small sends, Large sends → Large sends, Small sends']);
  });

  it('reads a first policy as every rule added', () => {
    expect(diffPolicies(null, base, named).map((c) => c.kind)).toEqual(['added', 'added', 'wallet-limits']);
  });

  it('finds nothing between a policy and itself (or its next version)', () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        validatePolicy(p);
        expect(diffPolicies(p, p, names)).toEqual([]);
        expect(diffPolicies(p, { ...p, version: p.version + 1 }, names)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('reports every field of a rule that changed, and no other', () => {
    fc.assert(
      fc.property(policyArb, fc.nat(), fc.subarray<RuleField>([...RULE_FIELDS], { minLength: 1 }), (p, pick, fields) => {
        const index = pick % p.rules.length;
        const was = p.rules[index]!;
        // A different value for each chosen field, kept valid.
        const changed: RuleDocument = { ...was };
        const edit = changed as { -readonly [K in keyof RuleDocument]: RuleDocument[K] };
        for (const f of fields) {
          if (f === 'name') edit.name = `${was.name.slice(0, 30)}x`;
          if (f === 'amount') edit.amount = { min: was.amount.min === '7' ? '8' : '7', max: null };
          if (f === 'destination') edit.destination = was.destination.kind === 'any' ? { kind: 'whitelist', whitelistId: WHITELISTS[0]! } : { kind: 'any' };
          if (f === 'initiator') edit.initiatorGroupId = was.initiatorGroupId === null ? GROUPS[0]! : null;
          if (f === 'steps') edit.steps = [...was.steps, { groupId: GROUPS[1]!, count: 1, initiatorMayApprove: false }];
          if (f === 'delay') edit.delaySeconds = was.delaySeconds + 60;
          if (f === 'limits') edit.velocity = was.velocity.length ? [] : [{ windowSeconds: 60, maxAmount: '5' }];
        }
        const draft = { ...p, rules: p.rules.map((r, i) => (i === index ? changed : r)) };
        const reported = diffPolicies(p, draft, names).flatMap((c) => (c.kind === 'changed' ? [[c.ruleId, c.field]] : [['other', c.kind]]));
        expect(reported).toEqual(RULE_FIELDS.filter((f) => fields.includes(f)).map((f) => [was.id, f]));
      }),
      RUNS,
    );
  });

  it('reports a rule that a draft adds, and the one it drops', () => {
    fc.assert(
      fc.property(policyArb, ruleArb('brand-new'), (p, extra) => {
        const draft = { ...p, rules: [...p.rules.slice(1), extra] };
        const changes = diffPolicies(p, draft, names);
        expect(changes.filter((c) => c.kind === 'added').map((c) => (c as { ruleId: string }).ruleId)).toEqual(['brand-new']);
        expect(changes.filter((c) => c.kind === 'removed').map((c) => (c as { ruleId: string }).ruleId)).toEqual([p.rules[0]!.id]);
      }),
      RUNS,
    );
  });
});
