// Governance rules under replay: quorum rules, who may propose and decide, counting, cancellation, rejection.
import { describe, expect, it } from 'vitest';
import { configurationProblem, replay, replayErrors, ReplayError } from '../../../crypto/governance/index.js';
import { device, standardVault, VaultBuilder } from '../fixtures.js';

function codeOf(v: VaultBuilder): string | undefined {
  try {
    replay(v.records);
    return undefined;
  } catch (e) {
    return e instanceof ReplayError ? e.code : String(e);
  }
}

/** Alice, Bob, Carol and Erin administrators, quorum 2, proposer does not count. */
function fourAdmins(): VaultBuilder {
  const v = standardVault();
  const p = v.proposeAddUser('alice', device(4), 'erin', 'Erin', ['administrator', 'approver']);
  v.approve('bob', p).approve('carol', p);
  return v;
}

describe('configurationProblem (the exact quorum rule)', () => {
  it('allows quorum q with n administrators iff 1 ≤ q ≤ n, (n ≥ 3 ⇒ 2 ≤ q ≤ n−1), (!proposerMayApprove ⇒ q ≤ n−1)', () => {
    for (let n = 0; n <= 8; n++) {
      for (let q = 0; q <= 9; q++) {
        for (const pma of [true, false]) {
          const allowed = n >= 1 && q >= 1 && q <= n && (n < 3 || (q >= 2 && q <= n - 1)) && (pma || q <= n - 1);
          expect(configurationProblem(n, q, pma) === null, `n=${n} q=${q} pma=${pma}`).toBe(allowed);
          expect(configurationProblem(n, q, pma, false) === null).toBe(allowed);
        }
      }
    }
  });

  it('while founding, only 1 ≤ q ≤ n holds (the minimum-quorum and liveness rules wait for the first set-quorum)', () => {
    for (let n = 0; n <= 8; n++) {
      for (let q = 0; q <= 9; q++) {
        for (const pma of [true, false]) {
          expect(configurationProblem(n, q, pma, true) === null, `n=${n} q=${q} pma=${pma}`).toBe(n >= 1 && q >= 1 && q <= n);
        }
      }
    }
  });
});

describe('founding (Ledger Enterprise onboarding)', () => {
  /** Genesis as the console makes it: quorum 1, the proposer does not count once the quorum is set. */
  const founded = (): VaultBuilder => new VaultBuilder().genesis(device(0), 'alice', 'Alice', { adminQuorum: 1, proposerMayApprove: false });

  it('a sole founder acts alone: their proposal signature is their approval, whatever proposerMayApprove says', () => {
    const v = founded();
    expect(v.state.founding).toBe(true);
    const bob = v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    expect(v.proposal(bob)).toMatchObject({ status: 'approved', approvals: [{ userId: 'alice' }] });
  });

  it("the issue's flow: A founds, adds B and C as administrators, sets the quorum to 2; then D needs B and C", () => {
    const v = founded();
    v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    const carol = v.proposeAddUser('alice', device(2), 'carol', 'Carol', ['administrator']);
    expect(v.proposal(carol).status).toBe('approved');
    expect(v.state.settings.adminQuorum).toBe(1);
    v.propose('alice', { type: 'set-quorum', quorum: 2 });
    expect(v.state).toMatchObject({ founding: false, settings: { adminQuorum: 2, proposerMayApprove: false } });
    const dave = v.proposeAddUser('alice', device(3), 'dave', 'Dave', ['operator']);
    expect(v.proposal(dave)).toMatchObject({ status: 'pending', approvals: [] });
    v.approve('bob', dave);
    expect(v.proposal(dave).status).toBe('pending');
    v.approve('carol', dave);
    expect(v.proposal(dave).status).toBe('approved');
    expect(replayErrors(v.records)).toEqual([]);
  });

  it('the first set-quorum must leave a configuration that satisfies every rule', () => {
    const v = founded();
    v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    v.proposeAddUser('alice', device(2), 'carol', 'Carol', ['administrator']);
    // 3 administrators: 1 is too low, 3 is not below their number.
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-quorum', quorum: 1 }))).toBe(false);
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-quorum', quorum: 3 }))).toBe(false);
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-quorum', quorum: 2 }))).toBe(true);
  });

  it("a founder's proposal closes at once; a decision on it afterwards is refused", () => {
    const v = founded();
    const p = v.propose('alice', { type: 'set-proposer-may-approve', value: true });
    expect(v.proposal(p)).toMatchObject({ status: 'approved', closedAtSeq: 1 });
    expect(() => v.approve('alice', p).state).toThrow(/already approved/);
  });

  it('ends with the first set-quorum even when it confirms the genesis quorum (two administrators, quorum 1)', () => {
    const v = founded();
    v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    v.propose('alice', { type: 'set-quorum', quorum: 1 });
    expect(v.state).toMatchObject({ founding: false, settings: { adminQuorum: 1, proposerMayApprove: false } });
    // Now the proposer does not count: bob must approve alice's proposals.
    const g = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    expect(v.proposal(g).status).toBe('pending');
    v.approve('bob', g);
    expect(v.proposal(g).status).toBe('approved');
  });
});

describe('replay of the standard vault', () => {
  it('rebuilds users, roles, settings and proposals from the signed log', () => {
    const s = standardVault().state;
    expect(s.settings).toEqual({ adminQuorum: 2, proposerMayApprove: false });
    expect(s.users.map((u) => [u.id, u.roles.join('+'), u.status])).toEqual([
      ['alice', 'administrator', 'active'],
      ['bob', 'administrator', 'active'],
      ['carol', 'administrator', 'active'],
      ['dave', 'operator', 'active'],
    ]);
    expect(s.proposals.every((p) => p.status === 'approved')).toBe(true);
    expect(s.seq).toBe(9);
  });

  it('is deterministic', () => {
    const v = standardVault();
    expect(replay(v.records)).toEqual(replay(structuredClone(v.records)));
  });
});

describe('genesis', () => {
  it('accepts a sole administrator whose proposer setting is off: while founding the proposer counts anyway', () => {
    const v = new VaultBuilder().genesis(device(0), 'alice', 'Alice', { adminQuorum: 1, proposerMayApprove: false });
    expect(codeOf(v)).toBeUndefined();
    expect(v.state.founding).toBe(true);
  });

  it('refuses a quorum above the single administrator', () => {
    const v = new VaultBuilder().genesis(device(0), 'alice', 'Alice', { adminQuorum: 2, proposerMayApprove: true });
    expect(codeOf(v)).toBe('RULE_BROKEN');
  });

  it('refuses a log that does not start with genesis, or has a second genesis', () => {
    const v = standardVault();
    expect(replayErrors(v.records.slice(1))[0]?.code).toBe('SEQUENCE');
    const again = new VaultBuilder().genesis(device(0));
    expect(replayErrors([...again.records, { ...again.records[0]!, seq: 1 }])[0]?.code).toBe('RULE_BROKEN');
  });
});

describe('quorum rules', () => {
  it('refuses a quorum of 1 once there are 3 administrators', () => {
    const v = standardVault();
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-quorum', quorum: 1 }))).toBe(false);
  });

  it('refuses a quorum equal to the number of administrators once there are 3', () => {
    const v = standardVault();
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-quorum', quorum: 3 }))).toBe(false);
    const w = fourAdmins();
    expect(w.tryPush(w.proposalRecord('alice', { type: 'set-quorum', quorum: 3 }))).toBe(true);
  });

  it('refuses adding a third administrator while the quorum is 1, once the quorum has been set', () => {
    const v = new VaultBuilder().genesis(device(0));
    v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    // While founding the third administrator is welcome (see founding); after a set-quorum, all rules apply.
    const w = new VaultBuilder();
    w.records.push(...structuredClone(v.records));
    for (const [id, d] of v.devices) w.devices.set(id, d);
    expect(w.tryPush(w.proposalRecord('alice', w.addUserAction(device(2), 'carol', 'Carol', ['administrator']), 'prop-w'))).toBe(true);
    v.propose('alice', { type: 'set-quorum', quorum: 2 });
    const lower = v.propose('alice', { type: 'set-quorum', quorum: 1 });
    v.approve('bob', lower);
    expect(v.state).toMatchObject({ founding: false, settings: { adminQuorum: 1, proposerMayApprove: true } });
    expect(v.tryPush(v.proposalRecord('alice', v.addUserAction(device(2), 'carol', 'Carol', ['administrator'])))).toBe(false);
  });

  it('refuses a revocation that would leave fewer administrators than the quorum allows', () => {
    const v = standardVault();
    // 3 admins, quorum 2, proposer does not count: 2 admins could not reach 2 without the proposer.
    expect(v.tryPush(v.proposalRecord('alice', { type: 'revoke-user', userId: 'bob' }))).toBe(false);
    const w = fourAdmins();
    expect(w.tryPush(w.proposalRecord('alice', { type: 'revoke-user', userId: 'erin' }))).toBe(true);
  });

  it('refuses a role change that would demote too many administrators', () => {
    const v = standardVault();
    expect(v.tryPush(v.proposalRecord('alice', { type: 'set-roles', userId: 'carol', roles: ['approver'] }))).toBe(false);
  });

  it('changing the quorum cancels pending proposals', () => {
    const v = fourAdmins();
    const pending = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Signers', members: ['bob'] } });
    v.approve('bob', pending);
    const quorum = v.propose('bob', { type: 'set-quorum', quorum: 3 });
    v.approve('alice', quorum).approve('carol', quorum);
    expect(v.state.settings.adminQuorum).toBe(3);
    expect(v.proposal(pending)).toMatchObject({ status: 'cancelled', reason: expect.stringMatching(/rules changed/) });
    expect(() => v.approve('carol', pending).state).toThrow(/already cancelled/);
  });

  it('a failed action: approved after another change made it break a rule', () => {
    const v = fourAdmins();
    const p1 = v.propose('alice', { type: 'revoke-user', userId: 'erin' });
    const p2 = v.propose('alice', { type: 'revoke-user', userId: 'carol' });
    v.approve('bob', p1).approve('carol', p1);
    v.approve('bob', p2).approve('erin', p2);
    // erin was revoked by p1, so her approval of p2 is refused: she is no longer an administrator.
    expect(codeOf(v)).toBe('NOT_ADMINISTRATOR');
    v.records.pop();
    // p2 needs bob + one more; only carol is left besides the proposer, and she is the one being revoked.
    v.approve('carol', p2);
    expect(v.proposal(p2)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/cannot reach a quorum/) });
    expect(v.user('carol').status).toBe('active');
  });
});

describe('who counts', () => {
  it("the proposer's own approval is refused unless the vault lets the proposer count", () => {
    const v = standardVault();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Signers', members: [] } });
    expect(() => v.approve('alice', p).state).toThrow(/may not decide/);
  });

  it('with proposerMayApprove, the proposal signature counts as the proposer approval', () => {
    const v = new VaultBuilder().genesis(device(0));
    v.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    v.propose('alice', { type: 'set-quorum', quorum: 2 });
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Signers', members: ['bob'] } });
    expect(v.proposal(p)).toMatchObject({ status: 'pending', approvals: [{ userId: 'alice' }] });
    v.approve('bob', p);
    expect(v.proposal(p).status).toBe('approved');
    expect(v.state.groups).toEqual([{ id: 'g1', name: 'Signers', members: ['bob'] }]);
  });

  it('a person counts once: a second approval is refused', () => {
    const v = fourAdmins();
    const p = v.propose('alice', { type: 'set-quorum', quorum: 3 });
    v.approve('bob', p).approve('bob', p);
    expect(() => v.state).toThrow(/counts once/);
  });

  it('a person counts once: the same device cannot be registered as a second user', () => {
    const v = standardVault();
    expect(v.tryPush(v.proposalRecord('alice', v.addUserAction(device(1), 'bob2', 'Bobby', ['administrator'])))).toBe(false);
  });

  it('only administrators propose and decide', () => {
    const v = standardVault();
    v.propose('dave', { type: 'set-quorum', quorum: 1 });
    expect(replayErrors(v.records).map((e) => e.code)).toContain('NOT_ADMINISTRATOR');
    const w = standardVault();
    const p = w.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: ['dave'] } });
    w.approve('dave', p);
    expect(codeOf(w)).toBe('NOT_ADMINISTRATOR');
  });

  it('a revoked administrator’s pending approvals stop counting', () => {
    const v = fourAdmins();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: ['dave'] } });
    v.approve('bob', p);
    const revoke = v.propose('alice', { type: 'revoke-user', userId: 'bob' });
    v.approve('carol', revoke).approve('erin', revoke);
    expect(v.user('bob').status).toBe('revoked');
    v.approve('carol', p);
    // bob's approval no longer counts: carol alone is 1 of 2.
    expect(v.proposal(p).status).toBe('pending');
    v.approve('erin', p);
    expect(v.proposal(p).status).toBe('approved');
  });

  it('an administrator demoted to operator cannot approve, and an approval made before the demotion stops counting', () => {
    const v = fourAdmins();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    v.approve('erin', p);
    const demote = v.propose('alice', { type: 'set-roles', userId: 'erin', roles: ['operator'] });
    v.approve('bob', demote).approve('carol', demote);
    v.approve('bob', p);
    expect(v.proposal(p).status).toBe('pending');
    const q = v.propose('alice', { type: 'create-group', group: { id: 'g2', name: 'Ops 2', members: [] } });
    expect(() => v.approve('erin', q).state).toThrow(/not an administrator/);
  });

  it('a user unknown to the vault is named as an unknown signer', () => {
    const v = standardVault();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    v.devices.set('mallory', device(9));
    v.push(v.decisionRecord('approval', 'mallory', p));
    expect(codeOf(v)).toBe('UNKNOWN_SIGNER');
  });

  it('an approval of an unknown proposal is named', () => {
    const v = standardVault();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    const r = v.decisionRecord('approval', 'bob', p);
    v.push({ ...r, proposalId: 'prop-999' });
    expect(codeOf(v)).toBe('UNKNOWN_PROPOSAL');
  });
});

describe('rejection', () => {
  it('rejects once enough administrators reject that the quorum cannot be reached', () => {
    const v = fourAdmins();
    // eligible: bob, carol, erin (alice proposed); quorum 2 → 2 rejections make it unreachable.
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    v.reject('bob', p);
    expect(v.proposal(p).status).toBe('pending');
    v.reject('carol', p);
    expect(v.proposal(p)).toMatchObject({ status: 'rejected', closedAtSeq: v.nextSeq - 1 });
    expect(v.state.groups).toEqual([]);
  });

  it('with 3 administrators and quorum 2, one rejection is enough', () => {
    const v = standardVault();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    v.reject('bob', p);
    expect(v.proposal(p).status).toBe('rejected');
  });

  it('an administrator cannot both approve and reject', () => {
    const v = fourAdmins();
    const p = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } });
    v.approve('bob', p).reject('bob', p);
    expect(() => v.state).toThrow(/counts once/);
  });
});

describe('groups', () => {
  it('creates, renames and re-members a group, and a revoked user leaves every group', () => {
    const v = fourAdmins();
    const c = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Signers', members: ['bob', 'dave'] } });
    v.approve('bob', c).approve('carol', c);
    const e = v.propose('alice', { type: 'edit-group', groupId: 'g1', name: 'Signers EU', members: ['bob', 'dave', 'erin'] });
    v.approve('bob', e).approve('carol', e);
    expect(v.state.groups).toEqual([{ id: 'g1', name: 'Signers EU', members: ['bob', 'dave', 'erin'] }]);
    const r = v.propose('alice', { type: 'revoke-user', userId: 'dave' });
    v.approve('bob', r).approve('carol', r);
    expect(v.state.groups[0]?.members).toEqual(['bob', 'erin']);
  });

  it('refuses a duplicate group name, an unknown member and a duplicate user name', () => {
    const v = fourAdmins();
    const c = v.propose('alice', { type: 'create-group', group: { id: 'g1', name: 'Signers', members: [] } });
    v.approve('bob', c).approve('carol', c);
    expect(v.tryPush(v.proposalRecord('alice', { type: 'create-group', group: { id: 'g2', name: 'signers', members: [] } }))).toBe(false);
    // The console cannot even describe it to a device.
    expect(() => v.proposalRecord('alice', { type: 'create-group', group: { id: 'g2', name: 'Ops', members: ['zed'] } })).toThrow(/does not exist/);
    expect(v.tryPush(v.proposalRecord('alice', v.addUserAction(device(7), 'dave2', 'dave', ['auditor'])))).toBe(false);
  });
});
