// The move to team mode under replay: a proposal the administrators' quorum approves, one way, its body exact, its
// words on the devices; every process that replays the log reads the mode from it.
import { describe, expect, it } from 'vitest';
import { lookupOf, proposalStatement, replay, Replayer, ReplayError, singleDeskRefusal, stateDigest, type GovernanceRecord } from '../../../crypto/governance/index.js';
import { renderStatement } from '../../../crypto/statements.js';
import { device, standardVault, T0, type VaultBuilder } from '../fixtures.js';

/** The ReplayError code and problem of the log's first refused record, or null when it replays. */
function refusal(records: readonly GovernanceRecord[]): { code: string; problem: string } | null {
  try {
    replay(records);
    return null;
  } catch (e) {
    if (!(e instanceof ReplayError)) throw e;
    return { code: e.code, problem: e.problem };
  }
}

/** Alice, Bob, Carol administrators (quorum 2, the proposer does not count); Dave an operator. */
const vault = (): VaultBuilder => standardVault();

describe('enter-team-mode', () => {
  it('takes effect once the quorum approves, at the approving record; until then the vault stays a single desk', () => {
    const v = vault();
    const p = v.propose('alice', { type: 'enter-team-mode' });
    expect(v.proposal(p).status).toBe('pending');
    expect(v.state.teamModeSince).toBeUndefined();
    expect(singleDeskRefusal(v.state, 'sign a transfer')).toBeNull();
    v.approve('bob', p);
    expect(v.proposal(p).status).toBe('pending');
    expect(v.state.teamModeSince).toBeUndefined();
    const at = v.nextSeq;
    v.approve('carol', p);
    expect(v.proposal(p)).toMatchObject({ status: 'approved', closedAtSeq: at });
    expect(v.state.teamModeSince).toBe(at);
    expect(singleDeskRefusal(v.state, 'sign a transfer')).toBe(
      `this vault is in team mode by record ${at}: its keys are made and used only by the custodians' signer nodes, and this MPC host refuses to sign a transfer with shares brought to it`,
    );
  });

  it("shows the approvers, in words on their device, that keys then live only on the signer nodes and the console's MPC host refuses", () => {
    const v = vault();
    const draft = { type: 'proposal', seq: v.nextSeq, vaultId: v.vaultId, proposalId: 'p-team', proposerId: 'alice', action: { type: 'enter-team-mode' }, createdAt: T0 } as const;
    const text = renderStatement(proposalStatement(lookupOf(v.state), draft));
    expect(text).toContain('Change: TEAM MODE, for good');
    expect(text.replace(/\n\s*/g, ' ')).toContain("From then: keys are made and used only by the custodians' signer nodes");
    expect(text.replace(/\n\s*/g, ' ')).toContain('Console: its MPC host will refuse to sign and to make or reshare any key');
    expect(text).toContain('Way back: none');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(32);
  });

  it('is one way: a second move is refused, and no record takes the vault back', () => {
    const v = vault();
    const p = v.propose('alice', { type: 'enter-team-mode' });
    v.approve('bob', p).approve('carol', p);
    const since = v.state.teamModeSince;
    expect(refusal([...v.records, v.proposalRecord('bob', { type: 'enter-team-mode' }, 'p-again')])).toEqual({
      code: 'RULE_BROKEN',
      problem: `the vault is already in team mode (since record ${since}); there is no way back to a single desk`,
    });
    // Settings changes and new members leave it in team mode.
    const q = v.propose('bob', { type: 'set-proposer-may-approve', value: true });
    v.approve('alice', q).approve('carol', q);
    v.proposeAddUser('alice', device(5), 'frank', 'Frank', ['approver']);
    expect(v.state.teamModeSince).toBe(since);
  });

  it('refuses a proposal whose body says more than the move (no field may ride along, e.g. a way back)', () => {
    for (const extra of [{ value: false }, { back: true }, { since: 3 }]) {
      const v = vault();
      const record = v.proposalRecord('alice', { type: 'enter-team-mode', ...extra } as never);
      expect(refusal([...v.records, record])?.code, JSON.stringify(extra)).toBe('MALFORMED');
    }
  });

  it('is decided by administrators only, each counted once and signed on their own device', () => {
    const v = vault();
    // An operator may not propose it.
    expect(refusal([...v.records, v.proposalRecord('dave', { type: 'enter-team-mode' })])?.code).toBe('NOT_ADMINISTRATOR');
    const p = v.propose('alice', { type: 'enter-team-mode' });
    // Nor approve it; the proposer's own approval does not count here; an approval signed by another device is refused.
    expect(refusal([...v.records, v.decisionRecord('approval', 'dave', p)])?.code).toBe('NOT_ADMINISTRATOR');
    expect(refusal([...v.records, v.decisionRecord('approval', 'alice', p)])).toMatchObject({ code: 'RULE_BROKEN', problem: expect.stringMatching(/may not decide/) });
    expect(refusal([...v.records, v.decisionRecord('approval', 'carol', p, 'dave')])?.code).toBe('BAD_SIGNATURE');
    // Bob twice is one approval.
    v.approve('bob', p);
    expect(refusal([...v.records, v.decisionRecord('approval', 'bob', p)])).toMatchObject({ code: 'RULE_BROKEN', problem: expect.stringMatching(/counts once/) });
    expect(v.state.teamModeSince).toBeUndefined();
    // Carol, the one other administrator who may decide, rejects: the quorum is out of reach, the vault stays a single desk.
    v.reject('carol', p);
    expect(v.proposal(p).status).toBe('rejected');
    expect(v.state.teamModeSince).toBeUndefined();
  });

  it('survives a checkpoint: resumed from the state as JSON, replay goes on in team mode and refuses a second move', () => {
    const v = vault();
    const p = v.propose('alice', { type: 'enter-team-mode' });
    v.approve('bob', p).approve('carol', p);
    const state = JSON.parse(JSON.stringify(v.state)) as typeof v.state;
    expect(stateDigest(state)).toBe(stateDigest(v.state));
    const resumed = Replayer.fromState(state);
    expect(resumed.state().teamModeSince).toBe(v.state.teamModeSince);
    expect(() => resumed.apply(v.proposalRecord('bob', { type: 'enter-team-mode' }, 'p-again'))).toThrow(/already in team mode/);
  });
});
