// The console's policy form: a document read into the form comes back the same; each bad field gets its problem in words.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePolicy } from '../../crypto/policy/index.js';
import { documentFromForm, draftForm, formFromDocument, limitForm, move, newRule, ruleIdFor, stepForm, type PolicyForm } from '../../renderer/policy-form.js';
import type { PolicyDoc } from '../../renderer/policy-text.js';
import { policyArb } from '../policy/document-arbitrary.js';

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

function form(): PolicyForm {
  return draftForm('w-cold', null, 'g-approvers');
}

describe('policy form', () => {
  it('gives back the document it was made from, for any valid policy', () => {
    fc.assert(
      fc.property(policyArb, (p) => {
        const doc = json(p) as PolicyDoc;
        const back = documentFromForm(formFromDocument(doc));
        expect(back.problems).toEqual({});
        expect(json(back.document)).toEqual(doc);
      }),
      { numRuns: 300 },
    );
  });

  it('starts a first policy with one rule: any amount, any address, one approval from the first group', () => {
    const { document, problems } = documentFromForm(form());
    expect(problems).toEqual({});
    expect(document).toEqual({
      format: 'custos-policy/1',
      version: 1,
      walletId: 'w-cold',
      rules: [{ id: 'every-transfer', name: 'Every transfer', amount: { min: null, max: null }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId: 'g-approvers', count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
      velocity: [],
    });
    expect(() => validatePolicy(document)).not.toThrow();
  });

  it('starts the next version from the policy in force, keeping its rule ids', () => {
    const inForce = documentFromForm(form()).document!;
    const next = draftForm('w-cold', { ...inForce, rules: [{ ...inForce.rules[0]!, id: 'default' }] }, 'g-x');
    expect(next.version).toBe(2);
    expect(next.rules.map((r) => r.id)).toEqual(['default']);
  });

  it('turns BTC, minutes, hours and day windows into sats and seconds, limits sorted by window', () => {
    const f = form();
    const r = f.rules[0]!;
    Object.assign(r, { name: 'Large sends', minBtc: '0.01', maxBtc: '2,5', destination: 'whitelist', whitelistId: 'wl-ex', initiatorGroupId: 'g-ops', delayValue: '1.5', delayUnit: 'hours' });
    r.steps.push({ groupId: 'g-risk', count: '2', initiatorMayApprove: true });
    r.velocity.push({ ...limitForm(), window: 604_800, maxBtc: '1', maxCount: '' }, { ...limitForm(), window: 'other', otherValue: '90', otherUnit: 'minutes', maxBtc: '0.1', maxCount: '3' });
    f.refreshDays = '30';
    const { document, problems } = documentFromForm(f);
    expect(problems).toEqual({});
    const rule = document!.rules[0]!;
    expect(rule.amount).toEqual({ min: '1000000', max: '250000000' });
    expect(rule.destination).toEqual({ kind: 'whitelist', whitelistId: 'wl-ex' });
    expect(rule.initiatorGroupId).toBe('g-ops');
    expect(rule.delaySeconds).toBe(5400);
    expect(rule.steps).toEqual([{ groupId: 'g-approvers', count: 1, initiatorMayApprove: false }, { groupId: 'g-risk', count: 2, initiatorMayApprove: true }]);
    expect(rule.velocity).toEqual([{ windowSeconds: 5400, maxAmount: '10000000', maxCount: 3 }, { windowSeconds: 604_800, maxAmount: '100000000' }]);
    expect(document!.shareRefresh).toEqual({ afterSignatures: null, afterDays: 30 });
    expect(() => validatePolicy(document)).not.toThrow();
    // Read back, the typed window is "90 minutes" again, a preset stays a preset.
    const again = formFromDocument(document!);
    expect(again.rules[0]!.velocity.map((l) => [l.window, l.otherValue, l.otherUnit])).toEqual([['other', '90', 'minutes'], [604_800, '', 'hours']]);
    expect([again.rules[0]!.delayValue, again.rules[0]!.delayUnit]).toEqual(['90', 'minutes']);
  });

  it('names each problem next to its field, and gives no document while there is one', () => {
    const f = form();
    f.rules.push(newRule('Every transfer'));
    const r = f.rules[0]!;
    Object.assign(r, { minBtc: '2', maxBtc: '1', destination: 'whitelist', delayValue: 'soon' });
    r.steps[0]!.count = '0';
    f.rules[1]!.steps = [];
    f.velocity.push({ ...limitForm(), maxBtc: 'lots' }, { ...limitForm(), maxBtc: '1' });
    f.refreshSignatures = '1.5';
    const { document, problems } = documentFromForm(f);
    expect(document).toBeNull();
    expect(problems).toEqual({
      'rules.0.amount.max': 'The maximum is below the minimum.',
      'rules.0.destination': 'Pick the whitelist the destination must be on.',
      'rules.0.steps.0.count': 'Enter at least 1.',
      'rules.0.delay': 'Enter the delay as a number, like 30 or 1.5.',
      'rules.1.name': 'Rule 1 has this name: give each rule its own.',
      'rules.1.steps': 'A rule needs at least one approval step: someone must look before anything is signed.',
      'velocity.0.maxBtc': 'Write the amount in BTC with digits and one decimal point, like 0.015.',
      'refresh.signatures': 'Enter the number of signatures as a whole number.',
    });
    f.velocity[0]!.maxBtc = '2';
    expect(documentFromForm(f).problems['velocity.1.window']).toBe('Limit 1 has the same window: one limit per window.');
    f.rules = [];
    expect(documentFromForm(f).problems.rules).toBe('Add a rule: with none, every transfer is denied.');
  });

  it('gives a new rule an id from its name that no other rule has', () => {
    expect(ruleIdFor('Large sends!', new Set())).toBe('large-sends');
    expect(ruleIdFor('Large sends', new Set(['large-sends', 'large-sends-2']))).toBe('large-sends-3');
    expect(ruleIdFor('***', new Set())).toBe('rule');
    const f = form();
    f.rules[0]!.id = 'large';
    f.rules.push(newRule('Large', 'g-approvers'));
    expect(documentFromForm(f).document!.rules.map((r) => r.id)).toEqual(['large', 'large-2']);
  });

  it('reorders rules: the first that matches decides', () => {
    const list = [1, 2, 3];
    move(list, 2, -1);
    expect(list).toEqual([1, 3, 2]);
    move(list, 0, -1);
    expect(list).toEqual([1, 3, 2]);
    expect(stepForm('g').groupId).toBe('g');
  });
});
