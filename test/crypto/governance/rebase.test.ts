// A signed record that lost the race for its seq in a team's log moves to a later seq with the signatures it has; replay
// checks it again there, and nothing else can move: not a genesis, not past the window, not a record already applied.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkRecord, rebaseRecord, replay, replayErrors, REBASE_WINDOW, sameSignedRecord, ShapeError, signedSeq } from '../../../crypto/governance/index.js';
import type { GovernanceRecord } from '../../../crypto/governance/index.js';
import { device, standardVault } from '../fixtures.js';

const group = (id: string, name: string) => ({ type: 'create-group', group: { id, name, members: ['dave'] } }) as const;
const codes = (records: readonly unknown[]) => replayErrors(records).map((e) => e.code);

/** Two administrators (quorum 2) and a pending proposal, so decisions and proposals can race. */
function racingVault() {
  const v = standardVault();
  const pending = v.propose('carol', { type: 'create-group', group: { id: 'g-ops', name: 'Ops', members: ['dave'] } });
  return { v, pending };
}

describe('rebasing a signed record', () => {
  it('keeps its signatures: a proposal and a decision that lost their seq replay at the next one', () => {
    const { v, pending } = racingVault();
    const seq = v.nextSeq;
    // Alice and Bob both sign at the same seq; Bob's approval wins it, Alice's proposal moves to the next.
    const proposal = v.proposalRecord('alice', group('g-a', 'Treasury ops'), 'p-group-a');
    const approval = v.decisionRecord('approval', 'bob', pending);
    expect(proposal.seq).toBe(seq);
    expect(approval.seq).toBe(seq);
    v.push(approval);
    const moved = rebaseRecord(proposal, seq + 1);
    expect(moved).toMatchObject({ seq: seq + 1, basis: seq, signature: proposal.signature });
    expect(signedSeq(moved)).toBe(seq);
    expect(sameSignedRecord(moved, proposal)).toBe(true);
    v.push(moved);
    const state = replay(v.records);
    expect(state.seq).toBe(seq + 1);
    expect(state.proposals.find((p) => p.id === 'p-group-a')).toMatchObject({ seq: seq + 1, status: 'pending' });
    // Moving it twice keeps the first basis.
    expect(rebaseRecord(moved, seq + 5)).toMatchObject({ seq: seq + 5, basis: seq });
    // Back to its own seq: the basis goes (one encoding per meaning).
    expect(rebaseRecord(moved, seq)).toEqual(proposal);
  });

  it('an add-user proposal keeps the new user’s registration, signed at the basis', () => {
    const v = standardVault();
    const seq = v.nextSeq;
    const add = v.proposalRecord('alice', v.addUserAction(device(7), 'gina', 'Gina', ['approver']), 'p-gina');
    v.push(v.proposalRecord('bob', group('g-b', 'Back office'), 'p-q1'));
    v.push(rebaseRecord(add, seq + 1));
    expect(codes(v.records)).toEqual([]);
  });

  it('is checked again where it lands: a decision on a proposal settled meanwhile is refused', () => {
    const { v, pending } = racingVault();
    const seq = v.nextSeq;
    const bob = v.decisionRecord('approval', 'bob', pending);
    const alice = v.decisionRecord('approval', 'alice', pending);
    v.push(bob);
    // Quorum 2: Carol proposed, so Bob's approval and Alice's would both be needed... unless it is already settled.
    const state = replay(v.records);
    const status = state.proposals.find((p) => p.id === pending)?.status;
    const moved = rebaseRecord(alice, seq + 1);
    const problems = codes([...v.records, moved]);
    if (status === 'pending') expect(problems).toEqual([]);
    else expect(problems).toEqual(['RULE_BROKEN']);
    // The same approval by the same person, placed twice, never counts twice.
    expect(codes([...v.records, rebaseRecord(bob, seq + 1)])).toEqual(['RULE_BROKEN']);
  });

  it('binds the basis: another basis, or none, breaks the signature', () => {
    const { v, pending } = racingVault();
    const seq = v.nextSeq;
    const approval = v.decisionRecord('approval', 'bob', pending);
    v.push(v.proposalRecord('alice', group('g-x', 'Group X'), 'p-x'));
    v.push(v.proposalRecord('alice', group('g-y', 'Group Y'), 'p-y'));
    const moved = rebaseRecord(approval, seq + 2);
    expect(codes([...v.records, moved])).toEqual([]);
    expect(codes([...v.records, { ...moved, basis: seq + 1 }])).toEqual(['BAD_SIGNATURE']);
    expect(codes([...v.records, { ...approval, seq: seq + 2 }])).toEqual(['BAD_SIGNATURE']);
  });

  it('refuses a decision signed before its signer became the administrator they are where it lands', () => {
    const { v, pending } = racingVault();
    // Dave, an operator, has his device sign an approval of Carol's proposal (a device signs what it is shown)...
    const early = v.decisionRecord('approval', 'dave', pending);
    const signedAt = early.seq;
    // ...then Alice and Bob make him an administrator, and his approval is placed after that.
    const promote = v.propose('alice', { type: 'set-roles', userId: 'dave', roles: ['administrator', 'operator'] });
    v.approve('bob', promote).approve('carol', promote);
    expect(replay(v.records).users.find((u) => u.id === 'dave')?.adminSinceSeq).toBe(signedAt + 2);
    const problems = replayErrors([...v.records, rebaseRecord(early, signedAt + 3)]);
    expect(problems.map((e) => e.code)).toEqual(['RULE_BROKEN']);
    expect(problems[0]?.problem).toMatch(/before becoming the administrator/);
    // Signed again now, it counts.
    expect(codes([...v.records, v.decisionRecord('approval', 'dave', pending)])).toEqual([]);
  });

  it('does not move a genesis, back, or past the window', () => {
    const v = standardVault();
    const genesis = v.records[0] as GovernanceRecord;
    expect(() => rebaseRecord(genesis, 3)).toThrow(/genesis/);
    const record = v.proposalRecord('alice', { type: 'set-quorum', quorum: 1 }, 'p-w');
    expect(() => rebaseRecord(record, record.seq - 1)).toThrow(/cannot move back/);
    expect(() => rebaseRecord(record, record.seq + REBASE_WINDOW + 1)).toThrow(/sign it again/);
    expect(rebaseRecord(record, record.seq + REBASE_WINDOW).basis).toBe(record.seq);
    // Written by hand, the same limits hold at the shape check.
    const shape = (r: unknown) => () => checkRecord(r);
    expect(shape({ ...record, seq: record.seq + REBASE_WINDOW + 1, basis: record.seq })).toThrow(ShapeError);
    expect(shape({ ...record, basis: record.seq })).toThrow(/below the record's seq/);
    expect(shape({ ...record, basis: record.seq + 1 })).toThrow(/below the record's seq/);
    expect(shape({ ...record, basis: 0 })).toThrow(/positive integer/);
    expect(shape({ ...genesis, basis: 0 })).toThrow(/unexpected field basis/);
  });

  it('never lets a record of the log count again, wherever it is moved (property)', () => {
    const v = standardVault();
    const { v: racing, pending } = racingVault();
    racing.approve('bob', pending);
    const logs = [v.records, racing.records];
    fc.assert(
      fc.property(fc.nat({ max: 1 }), fc.nat(), (which, pick) => {
        const log = logs[which] as GovernanceRecord[];
        const original = log[1 + (pick % (log.length - 1))] as GovernanceRecord;
        const at = log.length;
        if (at - signedSeq(original) > REBASE_WINDOW) return;
        expect(codes([...log, rebaseRecord(original, at)]).length).toBe(1);
      }),
      { numRuns: 60 },
    );
  });
});
