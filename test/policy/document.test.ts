// Policy and whitelist documents: precise refusals, one canonical form per meaning, and stable hashes.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  canonicalPolicy,
  canonicalWhitelist,
  policyDocument,
  policyHash,
  policyReferenceProblems,
  PolicyError,
  validatePolicy,
  validateWhitelist,
  whitelistHash,
} from '../../crypto/policy/index.js';
import { address, partners, policy, rule, step } from './fixtures.js';

const good = policy(
  [
    rule('small', { amount: { min: null, max: 100_000n }, destination: { kind: 'whitelist', whitelistId: 'partners' } }),
    rule('large', { amount: { min: 100_001n, max: null }, steps: [step('finance', 2), step('cfo', 1, true)], delaySeconds: 3600, velocity: [{ windowSeconds: 86_400, maxAmount: 10n ** 9n, maxCount: 5 }] }),
  ],
  { velocity: [{ windowSeconds: 3600, maxAmount: 5n * 10n ** 8n }, { windowSeconds: 86_400, maxAmount: 10n ** 10n }] },
);

/** The JSON a policy travels as (through storage), bigints as decimal strings. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));

/** `good` with one field changed at a path like ['rules', 1, 'steps', 0, 'count']. */
function mutate(path: (string | number)[], value: unknown): unknown {
  const doc = asJson(good) as Record<string, unknown>;
  let at: Record<string | number, unknown> = doc;
  for (const key of path.slice(0, -1)) at = at[key] as Record<string | number, unknown>;
  const last = path[path.length - 1] as string | number;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return doc;
}

function problemOf(value: unknown, validate: (v: unknown) => unknown = validatePolicy): string {
  try {
    validate(value);
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return (e as Error).message;
  }
  throw new Error('expected a PolicyError');
}

describe('validatePolicy', () => {
  it('reads back the document it wrote, amounts as bigint', () => {
    const doc = asJson(policyDocument(good));
    expect(validatePolicy(doc)).toEqual(good);
    expect(validatePolicy(good)).toEqual(good);
  });

  it.each([
    [['version'], 0, 'policy.version: must be a whole number, at least 1'],
    [['walletId'], 'bad id!', 'policy.walletId: must be 1..64'],
    [['rules', 1, 'id'], 'small', 'policy.rules[1].id: "small" is already the id of policy.rules[0]'],
    [['rules', 0, 'name'], '', 'policy.rules[0].name: a name must not be empty'],
    [['rules', 0, 'amount', 'max'], '1e5', 'policy.rules[0].amount.max: must be a whole number of the smallest unit'],
    [['rules', 0, 'amount', 'max'], '0100000', 'policy.rules[0].amount.max: must be a whole number'],
    [['rules', 0, 'amount', 'max'], 100000, 'policy.rules[0].amount.max: must be a whole number'],
    [['rules', 0, 'amount', 'max'], '-5', 'policy.rules[0].amount.max: must be a whole number'],
    [['rules', 0, 'amount', 'max'], undefined, 'policy.rules[0].amount.max: is missing (null for no upper bound)'],
    [['rules', 0, 'amount', 'min'], '0', 'policy.rules[0].amount.min: must be null rather than 0'],
    [['rules', 0, 'amount', 'min'], '200000', 'policy.rules[0].amount: min 200000 is above max 100000'],
    [['rules', 0, 'destination'], { kind: 'list' }, 'policy.rules[0].destination.kind: must be "any" or "whitelist"'],
    [['rules', 0, 'destination'], { kind: 'any', whitelistId: 'x' }, 'policy.rules[0].destination.whitelistId: is not a field'],
    [['rules', 0, 'destination', 'whitelistId'], undefined, 'policy.rules[0].destination.whitelistId: is missing'],
    [['rules', 0, 'initiatorGroupId'], undefined, 'policy.rules[0].initiatorGroupId: is missing'],
    [['rules', 0, 'steps'], [], 'policy.rules[0].steps: must hold at least one approval step'],
    [['rules', 1, 'steps', 0, 'count'], 0, 'policy.rules[1].steps[0].count: must be a whole number from 1 to 10000'],
    [['rules', 1, 'steps', 1, 'initiatorMayApprove'], 'yes', 'policy.rules[1].steps[1].initiatorMayApprove: must be true or false'],
    [['rules', 1, 'delaySeconds'], -1, 'policy.rules[1].delaySeconds: must be a whole number from 0'],
    [['rules', 1, 'delaySeconds'], 1.5, 'policy.rules[1].delaySeconds: must be a whole number'],
    [['rules', 1, 'velocity', 0, 'maxCount'], null, 'policy.rules[1].velocity[0].maxCount: must be a whole number, at least 1'],
    [['rules', 1, 'velocity', 0, 'maxAmount'], '0', 'policy.rules[1].velocity[0].maxAmount: must be at least 1'],
    [['velocity', 1, 'windowSeconds'], 3600, 'policy.velocity[1].windowSeconds: limits are listed by window, shortest first, one limit per window'],
    [['velocity', 0, 'windowSeconds'], 0, 'policy.velocity[0].windowSeconds: must be a whole number from 1'],
    [['rules', 0, 'extra'], 1, 'policy.rules[0].extra: is not a field of this document'],
    [['format'], 'custos-policy/2', 'policy.format: must be "custos-policy/1"'],
    [['shareRefresh'], { afterSignatures: null, afterDays: null }, 'policy.shareRefresh: names no limit'],
    [['shareRefresh'], { afterSignatures: 0, afterDays: null }, 'policy.shareRefresh.afterSignatures: must be a whole number from 1'],
    [['shareRefresh'], { afterSignatures: 10, afterDays: 1.5 }, 'policy.shareRefresh.afterDays: must be a whole number'],
    [['shareRefresh'], { afterSignatures: 10 }, 'policy.shareRefresh.afterDays: is missing'],
    [['shareRefresh'], { afterSignatures: 10, afterDays: null, every: 3 }, 'policy.shareRefresh.every: is not a field'],
  ])('refuses %j = %j with a message naming the place', (path, value, message) => {
    expect(problemOf(mutate(path as (string | number)[], value))).toContain(message);
  });

  it('refuses a policy past its size bounds', () => {
    expect(problemOf(policy(Array.from({ length: 65 }, (_, i) => rule(`r${i}`))))).toBe('policy.rules: has 65 items; at most 64');
    expect(problemOf(policy([rule('a', { steps: Array.from({ length: 17 }, () => step('g', 1)) })]))).toBe('policy.rules[0].steps: has 17 items; at most 16');
  });
});

describe('policy hash', () => {
  it('is a 0x-sha256 of the canonical document, which writes amounts as decimal strings', () => {
    expect(policyHash(good)).toMatch(/^0x[0-9a-f]{64}$/);
    const text = canonicalPolicy(good);
    expect(text).toContain('"format":"custos-policy/1"');
    expect(text).toContain('"maxAmount":"500000000"');
    expect(text).not.toMatch(/:\s/);
  });

  it('does not depend on key order, nor on whether amounts came as bigint or string', () => {
    const reorder = (value: unknown, reverse: boolean): unknown => {
      if (Array.isArray(value)) return value.map((v) => reorder(v, reverse));
      if (value === null || typeof value !== 'object') return value;
      const entries = Object.entries(value).map(([k, v]) => [k, reorder(v, reverse)] as const);
      return Object.fromEntries(reverse ? entries.reverse() : entries);
    };
    const json = asJson(good);
    expect(policyHash(validatePolicy(reorder(json, true)))).toBe(policyHash(good));
    expect(canonicalPolicy(validatePolicy(json))).toBe(canonicalPolicy(good));
  });

  it('changes with every meaningful change, including rule order', () => {
    const [a, b] = good.rules as [typeof good.rules[0], typeof good.rules[0]];
    const variants = [
      { ...good, version: 2 },
      { ...good, rules: [b, a] },
      { ...good, rules: [a, { ...b, delaySeconds: 3601 }] },
      { ...good, rules: [a, { ...b, steps: [step('finance', 2), step('cfo', 1, false)] }] },
      { ...good, rules: [{ ...a, amount: { min: null, max: 100_001n } }, b] },
    ];
    const hashes = new Set([policyHash(good), ...variants.map(policyHash)]);
    expect(hashes.size).toBe(variants.length + 1);
  });

  it('a share-refresh rule is part of the document when set, and a policy without one hashes as it always did', () => {
    const withRefresh = { ...good, shareRefresh: { afterSignatures: 100, afterDays: null } };
    expect(canonicalPolicy(withRefresh)).toContain('"shareRefresh":{"afterDays":null,"afterSignatures":100}');
    expect(canonicalPolicy(good)).not.toContain('shareRefresh');
    expect(validatePolicy(asJson(policyDocument(withRefresh)))).toEqual(withRefresh);
    const hashes = new Set([good, withRefresh, { ...good, shareRefresh: { afterSignatures: 100, afterDays: 30 } }, { ...good, shareRefresh: { afterSignatures: null, afterDays: 30 } }].map(policyHash));
    expect(hashes.size).toBe(4);
  });

  it('one encoding per meaning: any policy read back from its canonical text hashes the same', () => {
    const amountArb = fc.option(fc.bigInt({ min: 1n, max: 10n ** 20n }), { nil: null });
    const ruleArb = fc.record({
      id: fc.constantFrom('a', 'b', 'c'),
      min: amountArb,
      max: amountArb,
      steps: fc.array(fc.record({ groupId: fc.constantFrom('g1', 'g2'), count: fc.integer({ min: 1, max: 5 }), initiatorMayApprove: fc.boolean() }), { minLength: 1, maxLength: 3 }),
      delaySeconds: fc.nat({ max: 86_400 }),
    });
    fc.assert(
      fc.property(fc.uniqueArray(ruleArb, { selector: (r) => r.id, maxLength: 3 }), fc.integer({ min: 1, max: 9 }), (specs, version) => {
        const rules = specs.map((s) => {
          const [min, max] = s.min !== null && s.max !== null && s.min > s.max ? [s.max, s.min] : [s.min, s.max];
          return rule(s.id, { amount: { min, max }, steps: s.steps, delaySeconds: s.delaySeconds });
        });
        const p = policy(rules, { version });
        const back = validatePolicy(JSON.parse(canonicalPolicy(p)));
        expect(back).toEqual(p);
        expect(canonicalPolicy(back)).toBe(canonicalPolicy(p));
      }),
    );
  });
});

describe('whitelists', () => {
  it('validates every address for the list network and keeps entries sorted by address', () => {
    const shuffled = { ...partners, entries: [...partners.entries].reverse() };
    const w = validateWhitelist(shuffled);
    expect(w.entries.map((e) => e.address)).toEqual([...partners.entries.map((e) => e.address)].sort());
    expect(whitelistHash(shuffled)).toBe(whitelistHash(partners));
    expect(canonicalWhitelist(partners)).toContain('"format":"custos-whitelist/1"');
  });

  it('accepts P2PKH, P2WPKH and P2TR addresses on each network', () => {
    for (const network of ['mainnet', 'testnet', 'signet', 'regtest'] as const) {
      const entries = (['wpkh', 'tr', 'pkh'] as const).map((kind, i) => ({ address: address(i, network, kind), label: `Entry ${i}` }));
      expect(validateWhitelist({ id: 'w', name: 'W', network, entries }).entries).toHaveLength(3);
    }
  });

  it.each([
    ['an address of another network', { entries: [{ address: address(1, 'mainnet'), label: 'A' }] }, 'whitelist.entries[0].address: this is a mainnet address; the list is on regtest'],
    ['a mangled address', { entries: [{ address: address(1).slice(0, -1) + 'x', label: 'A' }] }, 'whitelist.entries[0].address: this address has a typing mistake'],
    ['an address in upper case', { entries: [{ address: address(1).toUpperCase(), label: 'A' }] }, `whitelist.entries[0].address: write it as ${address(1)}`],
    ['a duplicate address', { entries: [{ address: address(1), label: 'A' }, { address: address(1), label: 'B' }] }, 'whitelist.entries[1].address: already listed at whitelist.entries[0]'],
    ['a duplicate label', { entries: [{ address: address(1), label: 'A' }, { address: address(2), label: 'A' }] }, 'whitelist.entries[1].label: "A" already labels whitelist.entries[0]'],
    ['a label the device cannot show', { entries: [{ address: address(1), label: 'Börse' }] }, 'whitelist.entries[0].label: a name must use printable ASCII'],
    ['an unknown network', { network: 'liquid' }, 'whitelist.network: must be one of mainnet, testnet, signet, regtest'],
    ['a missing label', { entries: [{ address: address(1) }] }, 'whitelist.entries[0].label: is missing'],
  ])('refuses %s', (_what, change, message) => {
    expect(problemOf({ ...partners, ...change }, validateWhitelist)).toContain(message);
  });

  it('accepts a testnet address on signet (same parameters) but not on mainnet', () => {
    const entries = [{ address: address(3, 'testnet'), label: 'T' }];
    expect(validateWhitelist({ id: 'w', name: 'W', network: 'signet', entries }).entries).toEqual(entries);
    expect(() => validateWhitelist({ id: 'w', name: 'W', network: 'mainnet', entries })).toThrow(PolicyError);
  });

  it('reports policy references to missing whitelists and to lists of another network', () => {
    const p = policy([
      rule('a', { destination: { kind: 'whitelist', whitelistId: 'partners' } }),
      rule('b', { destination: { kind: 'whitelist', whitelistId: 'gone' } }),
    ]);
    expect(policyReferenceProblems(p, [partners], 'regtest')).toEqual(['policy.rules[1].destination.whitelistId: no whitelist has the id "gone"']);
    expect(policyReferenceProblems(p, [partners], 'mainnet')).toEqual([
      'policy.rules[0].destination.whitelistId: whitelist "Partners" is for regtest, the wallet is on mainnet',
      'policy.rules[1].destination.whitelistId: no whitelist has the id "gone"',
    ]);
  });
});
