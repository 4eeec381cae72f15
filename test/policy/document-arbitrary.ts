// fast-check arbitraries of valid custos-policy/1 documents (amounts as decimal strings), for the diff and the console's form.
import fc from 'fast-check';
import type { PolicyDocument, RuleDocument, VelocityLimitDocument } from '../../crypto/policy/index.js';

export const GROUPS = ['g-ops', 'g-approvers', 'g-risk'];
export const WHITELISTS = ['wl-exchanges', 'wl-partners'];
export const names = { group: (id: string) => `group ${id}`, whitelist: (id: string) => `list ${id}` };

const sats = fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }).map(String);
const limit: fc.Arbitrary<VelocityLimitDocument> = fc
  .record({ windowSeconds: fc.oneof(fc.constantFrom(3600, 86_400, 604_800, 2_592_000), fc.integer({ min: 1, max: 366 * 86_400 })), maxAmount: sats, maxCount: fc.integer({ min: 1, max: 1000 }) }, { requiredKeys: ['windowSeconds', 'maxAmount'] })
;
export const limitsArb = fc.uniqueArray(limit, { selector: (l) => l.windowSeconds, maxLength: 3 }).map((ls) => [...ls].sort((a, b) => a.windowSeconds - b.windowSeconds));

/** A rule name the form and the device statement accept: printable ASCII words, single spaces, ≤ 32 characters. */
const ruleName = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ]{0,30}[A-Za-z0-9]$/).filter((n) => !n.includes('  '));

export const ruleArb = (id: string, name: fc.Arbitrary<string> = ruleName): fc.Arbitrary<RuleDocument> =>
  fc
    .record({
      name,
      min: fc.option(fc.bigInt({ min: 1n, max: 10_000_000_000n }), { nil: null }),
      max: fc.option(fc.bigInt({ min: 1n, max: 10_000_000_000n }), { nil: null }),
      whitelistId: fc.option(fc.constantFrom(...WHITELISTS), { nil: null }),
      initiatorGroupId: fc.option(fc.constantFrom(...GROUPS), { nil: null }),
      steps: fc.array(fc.record({ groupId: fc.constantFrom(...GROUPS), count: fc.integer({ min: 1, max: 5 }), initiatorMayApprove: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      delaySeconds: fc.oneof(fc.constantFrom(0, 600, 3600, 86_400), fc.integer({ min: 0, max: 366 * 86_400 })),
      velocity: limitsArb,
    })
    .map(({ min, max, whitelistId, ...rest }) => {
      const [lo, hi] = min !== null && max !== null && min > max ? [max, min] : [min, max];
      return {
        id,
        ...rest,
        amount: { min: lo === null ? null : String(lo), max: hi === null ? null : String(hi) },
        destination: whitelistId === null ? { kind: 'any' as const } : { kind: 'whitelist' as const, whitelistId },
      };
    });

/** 1..4 rules with distinct ids and distinct names (case aside), wallet limits and maybe a share refresh. */
export const policyArb: fc.Arbitrary<PolicyDocument> = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), ruleName), { minLength: 1, maxLength: 4, selector: ([, n]) => n.toLowerCase() })
  .filter((pairs) => new Set(pairs.map(([id]) => id)).size === pairs.length)
  .chain((pairs) =>
    fc.record({
      rules: fc.tuple(...pairs.map(([id, n]) => ruleArb(id, fc.constant(n)))),
      velocity: limitsArb,
      shareRefresh: fc.option(
        fc.record({ afterSignatures: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: null }), afterDays: fc.integer({ min: 1, max: 3660 }) }),
        { nil: undefined },
      ),
      version: fc.integer({ min: 1, max: 1000 }),
    }),
  )
  .map(({ rules, velocity, shareRefresh, version }) => {
    const doc: PolicyDocument = { format: 'custos-policy/1', version, walletId: 'w-cold', rules, velocity };
    return shareRefresh === undefined ? doc : { ...doc, shareRefresh };
  });
