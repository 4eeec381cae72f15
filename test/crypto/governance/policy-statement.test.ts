// The set-policy statement in words (format 2): what the device lists, names as of the proposal, and old records.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taprootPayment } from '../../../crypto/bitcoin/index.js';
import { applyRecord, Replayer, decisionStatement, lookupOf, proposalStatement, replay, ReplayError } from '../../../crypto/governance/index.js';
import type { Action, ProposalRecord } from '../../../crypto/governance/index.js';
import { policyDocument, validatePolicy, whitelistDocument } from '../../../crypto/policy/index.js';
import { MAX_LINE, MAX_STATEMENT_LENGTH, PROPOSAL_STATEMENT_FORMAT, renderStatement, StatementError, type ProposalChange } from '../../../crypto/statements.js';
import { device, T0, VaultBuilder } from '../fixtures.js';

const exchange = taprootPayment(schnorr.getPublicKey(hexToBytes('0a'.repeat(32))), 'regtest').address;

/** Alice (administrator, quorum 1, proposer counts), Bob; groups Approvers and Risk; wallet w-1; whitelist Exchanges. */
function vaultWithWallet(): VaultBuilder {
  const v = new VaultBuilder().genesis(device(0));
  v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator', 'approver']);
  v.propose('alice', { type: 'create-group', group: { id: 'g-approvers', name: 'Approvers', members: ['bob'] } });
  v.propose('alice', { type: 'create-group', group: { id: 'g-risk', name: 'Risk', members: ['alice'] } });
  v.propose('alice', { type: 'create-wallet', wallet: { id: 'w-1', name: 'Cold BTC', network: 'regtest', threshold: 2, custodians: ['alice', 'bob'] } });
  const list = whitelistDocument({ id: 'wl-1', name: 'Exchanges', network: 'regtest', entries: [{ address: exchange, label: 'Exchange' }] });
  v.propose('alice', { type: 'set-whitelist', whitelist: list });
  return v;
}

const policyAction = (version = 1): Extract<Action, { type: 'set-policy' }> => ({
  type: 'set-policy',
  policy: policyDocument(
    validatePolicy({
      version,
      walletId: 'w-1',
      rules: [
        { id: 'small', name: 'Small', amount: { min: null, max: '50000000' }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId: 'g-approvers', count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
        {
          id: 'large',
          name: 'Large to exchanges',
          amount: { min: '50000001', max: null },
          destination: { kind: 'whitelist', whitelistId: 'wl-1' },
          initiatorGroupId: 'g-risk',
          steps: [
            { groupId: 'g-approvers', count: 1, initiatorMayApprove: false },
            { groupId: 'g-risk', count: 1, initiatorMayApprove: true },
          ],
          delaySeconds: 3600,
          velocity: [{ windowSeconds: 86_400, maxAmount: '200000000', maxCount: 3 }],
        },
      ],
      velocity: [{ windowSeconds: 604_800, maxAmount: '1000000000' }],
      shareRefresh: { afterSignatures: 100, afterDays: null },
    }),
  ),
});

/** A proposal record signed over `text` by Alice's device; `format` is the mark it carries (undefined: format 1). */
function proposalSignedOver(v: VaultBuilder, action: Action, format: 2 | undefined, change?: ProposalChange, proposalId = 'prop-policy'): ProposalRecord {
  const draft = { type: 'proposal', seq: v.nextSeq, vaultId: v.vaultId, proposalId, proposerId: 'alice', action, createdAt: T0, ...(format === undefined ? {} : { statementFormat: format }) } as const;
  const statement = proposalStatement(lookupOf(v.state), draft, change);
  return { ...draft, signature: device(0).sign(statement) };
}

function replayError(records: readonly unknown[]): ReplayError | null {
  try {
    replay(records);
    return null;
  } catch (e) {
    if (e instanceof ReplayError) return e;
    throw e;
  }
}

function replayCode(records: VaultBuilder['records']): string | null {
  try {
    replay(records);
    return null;
  } catch (e) {
    return e instanceof ReplayError ? e.code : String(e);
  }
}

describe('the set-policy statement in words (format 2)', () => {
  it('lists each rule, the wallet limits and the share refresh in lines a device shows, with group and whitelist names', () => {
    const v = vaultWithWallet();
    const record = proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT);
    const text = renderStatement(proposalStatement(lookupOf(v.state), record));
    expect(text).toContain(
      [
        'Change: adopt policy',
        'Wallet: Cold BTC',
        'Policy: version 1',
        'Rules: 2',
        'Rule 1: Small',
        '  Amount: up to 0.5 BTC',
        '  To: any address',
        '  By: any operator',
        '  Approvals: 1 of Approvers',
        '  Delay: none',
        'Rule 2: Large to exchanges',
        '  Amount: from 0.50000001 BTC',
        '  To: whitelist Exchanges',
        '  By: operators in Risk',
        '  Approvals: 1 of Approvers,',
        '    then 1 of Risk (initiator',
        '    may count)',
        '  Delay: 1 h',
        '  Limit: 2 BTC, 3 transfers per',
        '    24 h',
        'Wallet limit: 10 BTC per 7 days',
        'Refresh shares: after 100',
        '  signatures',
        'Policy hash:',
      ].join('\n'),
    );
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(MAX_LINE);
  });

  it('replays, and the approvals of the proposal show the same words', () => {
    const v = vaultWithWallet();
    // Quorum 1 with the proposer counting would adopt it at once: raise the quorum so Bob's approval is asked.
    v.propose('alice', { type: 'set-quorum', quorum: 2 });
    v.push(proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT));
    expect(v.proposal('prop-policy').status).toBe('pending');
    const approval = decisionStatement(lookupOf(v.state), { type: 'approval', seq: v.nextSeq, vaultId: v.vaultId, proposalId: 'prop-policy' });
    expect(renderStatement(approval)).toContain('Rule 2: Large to exchanges\n');
    v.approve('bob', 'prop-policy');
    expect(v.proposal('prop-policy').status).toBe('approved');
    expect(replayCode(v.records)).toBeNull();
  });

  it('keeps the names the log held when the proposal was made, after a group is renamed', () => {
    const v = vaultWithWallet();
    v.push(proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT));
    v.propose('alice', { type: 'edit-group', groupId: 'g-risk', name: 'Treasury risk' });
    expect(replayCode(v.records)).toBeNull();
    const change = v.proposal('prop-policy').change;
    expect(change.type === 'set-policy' && change.words?.rules[1]?.initiatorGroup).toBe('Risk');
  });

  it('still replays a record made before format 2, whose device showed "Rules: N" and the hash only', () => {
    const v = vaultWithWallet();
    const old = proposalSignedOver(v, policyAction(), undefined);
    expect(old).not.toHaveProperty('statementFormat');
    v.push(old);
    expect(replayCode(v.records)).toBeNull();
    const change = v.proposal('prop-policy').change;
    expect(change.type === 'set-policy' && change.words).toBeUndefined();
    expect(renderStatement(proposalStatement(lookupOf(replay(v.records.slice(0, -1))), old))).not.toContain('Rule 1');
  });

  it('refuses a record whose device showed words that do not match the document it carries', () => {
    const v = vaultWithWallet();
    const honest = proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT);
    const shown = proposalStatement(lookupOf(v.state), honest).change;
    if (shown.type !== 'set-policy' || !shown.words) throw new Error('expected words');
    // The device was shown a 5 BTC ceiling on "Small"; the record carries the 0.5 BTC document.
    const lie: ProposalChange = { ...shown, words: { ...shown.words, rules: [{ ...shown.words.rules[0]!, max: '500000000' }, shown.words.rules[1]!] } };
    v.push(proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT, lie));
    expect(replayCode(v.records)).toBe('BAD_SIGNATURE');
  });

  it('refuses a record whose format mark was changed after signing (either way)', () => {
    const v = vaultWithWallet();
    const signedNew = proposalSignedOver(v, policyAction(), PROPOSAL_STATEMENT_FORMAT);
    const { statementFormat: _dropped, ...unmarked } = signedNew;
    expect(replayCode([...v.records, unmarked])).toBe('BAD_SIGNATURE');
    const signedOld = proposalSignedOver(v, policyAction(), undefined);
    expect(replayCode([...v.records, { ...signedOld, statementFormat: 2 }])).toBe('BAD_SIGNATURE');
  });

  describe('the ratchet: once policies are shown in words, an unmarked policy proposal is refused', () => {
    /** Alice's honest device signature over an unmarked (format 1) proposal of the next policy version. */
    const unmarkedNext = (v: VaultBuilder, version: number): ProposalRecord => proposalSignedOver(v, policyAction(version), undefined, undefined, `prop-old-style-${version}`);

    it('after a format-2 policy proposal, a format-1 one signed by the same device is refused by replay and by applying it to the state', () => {
      const v = vaultWithWallet();
      v.push(proposalSignedOver(v, policyAction(1), PROPOSAL_STATEMENT_FORMAT));
      expect(v.state.policyInWords).toBe(true);
      const old = unmarkedNext(v, 2);
      const refused = replayError([...v.records, old]);
      expect(refused?.code).toBe('RULE_BROKEN');
      expect(refused?.problem).toMatch(/must list its rules in words/);
      // The same from a state reloaded from JSON (a checkpoint), as the signer and the console resume.
      const reloaded = JSON.parse(JSON.stringify(v.state)) as typeof v.state;
      expect(() => applyRecord(reloaded, old)).toThrow(/must list its rules in words/);
      // A format-2 proposal of the same policy goes through.
      expect(() => applyRecord(reloaded, proposalSignedOver(v, policyAction(2), PROPOSAL_STATEMENT_FORMAT, undefined, 'prop-policy-2'))).not.toThrow();
    });

    it('a vault whose genesis is marked refuses even its first unmarked policy proposal', () => {
      const marked = new VaultBuilder().genesis(device(0), 'alice', 'Alice', undefined, { statementFormat: 2 });
      expect(marked.state.policyInWords).toBe(true);
      // The same vault as vaultWithWallet, on the marked genesis; then an unmarked policy is offered.
      marked.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator', 'approver']);
      marked.propose('alice', { type: 'create-group', group: { id: 'g-approvers', name: 'Approvers', members: ['bob'] } });
      marked.propose('alice', { type: 'create-group', group: { id: 'g-risk', name: 'Risk', members: ['alice'] } });
      marked.propose('alice', { type: 'create-wallet', wallet: { id: 'w-1', name: 'Cold BTC', network: 'regtest', threshold: 2, custodians: ['alice', 'bob'] } });
      marked.propose('alice', { type: 'set-whitelist', whitelist: whitelistDocument({ id: 'wl-1', name: 'Exchanges', network: 'regtest', entries: [{ address: exchange, label: 'Exchange' }] }) });
      expect(replayError([...marked.records, unmarkedNext(marked, 1)])?.code).toBe('RULE_BROKEN');
      expect(replayError([...marked.records, proposalSignedOver(marked, policyAction(1), PROPOSAL_STATEMENT_FORMAT)])).toBeNull();
    });

    it('the genesis mark is bound by the genesis signature: stripping it (to allow unmarked policies) breaks the log', () => {
      const marked = new VaultBuilder().genesis(device(0), 'alice', 'Alice', undefined, { statementFormat: 2 });
      const genesis = marked.records[0] as unknown as Record<string, unknown>;
      const { statementFormat: _stripped, ...unmarked } = genesis;
      expect(replayError([unmarked])?.code).toBe('BAD_SIGNATURE');
      const plain = new VaultBuilder().genesis(device(0));
      expect(replayError([{ ...(plain.records[0] as object), statementFormat: 2 }])?.code).toBe('BAD_SIGNATURE');
    });

    it('a dry run of a format-2 proposal (the pre-flight) does not set the ratchet; applying it does', () => {
      const v = vaultWithWallet();
      const replayer = Replayer.fromRecords(v.records);
      replayer.check(proposalSignedOver(v, policyAction(1), PROPOSAL_STATEMENT_FORMAT), { verifySignatures: true });
      expect(replayer.state().policyInWords).toBeUndefined();
      replayer.check(unmarkedNext(v, 1));
      replayer.apply(proposalSignedOver(v, policyAction(1), PROPOSAL_STATEMENT_FORMAT));
      expect(replayer.state().policyInWords).toBe(true);
    });

    it('a vault that never showed a policy in words still takes format-1 proposals (records made before format 2)', () => {
      const v = vaultWithWallet();
      v.push(unmarkedNext(v, 1));
      expect(v.state.policyInWords).toBeUndefined();
      expect(replayError(v.records)).toBeNull();
    });
  });

  it('refuses a policy whose words do not fit on a device, saying so', () => {
    const v = vaultWithWallet();
    const many = policyDocument(
      validatePolicy({
        version: 1,
        walletId: 'w-1',
        rules: Array.from({ length: 40 }, (_, i) => ({
          id: `r${i}`,
          name: `Rule number ${i} with a long name`.slice(0, 32),
          amount: { min: String(i * 1000 + 1), max: String(i * 1000 + 1000) },
          destination: { kind: 'whitelist', whitelistId: 'wl-1' },
          initiatorGroupId: 'g-risk',
          steps: [{ groupId: 'g-approvers', count: 1, initiatorMayApprove: false }],
          delaySeconds: 60,
          velocity: [],
        })),
        velocity: [],
      }),
    );
    const record = proposalSignedOverSafe(v, { type: 'set-policy', policy: many });
    expect(record).toBeInstanceOf(StatementError);
    expect((record as Error).message).toMatch(new RegExp(`a device shows at most ${MAX_STATEMENT_LENGTH}: adopt fewer or shorter rules`));
  });

  it('renders any valid policy of up to 4 rules in lines of at most 32 printable characters, each rule named', () => {
    const v = vaultWithWallet();
    const lookup = lookupOf(v.state);
    const sats = fc.bigInt({ min: 1n, max: 2_100_000_000_000_000n }).map(String);
    const rule = fc.record({
      name: fc.constantFrom('A', 'Small', 'Every transfer to anyone at all', 'x-y (z) & w/v'),
      min: fc.option(sats),
      max: fc.option(sats),
      whitelist: fc.boolean(),
      group: fc.constantFrom('g-approvers', 'g-risk'),
      count: fc.integer({ min: 1, max: 10_000 }),
      delay: fc.integer({ min: 0, max: 366 * 86_400 }),
    });
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), (rules) => {
        const policy = policyDocument(
          validatePolicy({
            version: 1,
            walletId: 'w-1',
            rules: rules.map((r, i) => {
              const [min, max] = r.min !== null && r.max !== null && BigInt(r.min) > BigInt(r.max) ? [r.max, r.min] : [r.min, r.max];
              return {
                id: `r${i}`,
                name: r.name,
                amount: { min, max },
                destination: r.whitelist ? { kind: 'whitelist', whitelistId: 'wl-1' } : { kind: 'any' },
                initiatorGroupId: null,
                steps: [{ groupId: r.group, count: r.count, initiatorMayApprove: false }],
                delaySeconds: r.delay,
                velocity: [],
              };
            }),
            velocity: [],
          }),
        );
        const draft = { type: 'proposal', seq: v.nextSeq, vaultId: v.vaultId, proposalId: 'p', proposerId: 'alice', action: { type: 'set-policy', policy }, createdAt: T0, statementFormat: 2 } as const;
        const text = renderStatement(proposalStatement(lookup, draft));
        for (const line of text.split('\n')) expect(line).toMatch(/^[\x20-\x7e]{1,32}$/);
        rules.forEach((r, i) => expect(text).toContain(`Rule ${i + 1}: ${r.name.slice(0, 32 - `Rule ${i + 1}: `.length)}`));
      }),
      { numRuns: 60 },
    );
  });
});

function proposalSignedOverSafe(v: VaultBuilder, action: Action): ProposalRecord | Error {
  try {
    return proposalSignedOver(v, action, PROPOSAL_STATEMENT_FORMAT);
  } catch (e) {
    return e as Error;
  }
}
