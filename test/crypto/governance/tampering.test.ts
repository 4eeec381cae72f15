// Tampering: every hand edit of the log is named by replay, and every edit of the store's projection by diffState.
import { describe, expect, it } from 'vitest';
import { diffState, replayErrors } from '../../../crypto/governance/index.js';
import type { DecisionRecord, GovernanceRecord, GovernanceState, ProposalRecord } from '../../../crypto/governance/index.js';
import { device, registeredUser, standardVault, VaultBuilder } from '../fixtures.js';

const clone = <T>(x: T): T => structuredClone(x);
const firstError = (records: readonly unknown[]) => replayErrors(records)[0];

describe('the signed log: replay names the tampered record', () => {
  const v = standardVault();
  const log: GovernanceRecord[] = v.records;

  it('accepts the untouched log', () => {
    expect(replayErrors(log)).toEqual([]);
  });

  it('a role changed inside an add-user proposal', () => {
    const t = clone(log) as GovernanceRecord[];
    const rec = t[7] as ProposalRecord & { action: { type: 'add-user'; user: { roles: string[] } } };
    rec.action.user.roles = ['administrator'];
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 7 });
  });

  it('an approval deleted', () => {
    const t = clone(log);
    t.splice(8, 1);
    expect(firstError(t)).toMatchObject({ code: 'SEQUENCE', seq: 9 });
  });

  it('an approval deleted and the following records renumbered', () => {
    const t = clone(log);
    t.splice(8, 1);
    (t[8] as { seq: number }).seq = 8;
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 8 });
  });

  it('a user inserted with a proposal signed by a device that is not the proposer', () => {
    const b = new VaultBuilder();
    b.records.push(...clone(log));
    b.devices.set('alice', device(5)); // the attacker's key posing as alice
    const eve = registeredUser(b, b.nextSeq, device(6), 'eve', 'Eve', ['administrator']);
    b.push(b.proposalRecord('alice', { type: 'add-user', user: eve }, 'prop-eve'));
    expect(firstError(b.records)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 10 });
  });

  it('a quorum lowered in a set-quorum proposal', () => {
    const t = clone(log);
    (t[2] as ProposalRecord & { action: { quorum: number } }).action.quorum = 1;
    expect(replayErrors(t).some((e) => e.seq === 2 && (e.code === 'BAD_SIGNATURE' || e.code === 'RULE_BROKEN'))).toBe(true);
  });

  it('signatures swapped between two approvals', () => {
    const t = clone(log);
    const [a, b] = [t[8] as DecisionRecord, t[9] as DecisionRecord];
    [t[8], t[9]] = [{ ...a, signature: b.signature }, { ...b, signature: a.signature }];
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 8 });
  });

  it('an approval re-attributed to another administrator', () => {
    const t = clone(log);
    t[9] = { ...(t[9] as DecisionRecord), userId: 'alice' };
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 9 });
  });

  it('an approval turned into a rejection', () => {
    const t = clone(log);
    t[9] = { ...(t[9] as DecisionRecord), type: 'rejection' };
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 9 });
  });

  it('records reordered', () => {
    const t = clone(log);
    [t[8], t[9]] = [t[9] as GovernanceRecord, t[8] as GovernanceRecord];
    expect(firstError(t)).toMatchObject({ code: 'SEQUENCE' });
  });

  it('a record duplicated (a replayed approval)', () => {
    const t = clone(log);
    t.splice(9, 0, clone(t[8] as GovernanceRecord));
    expect(firstError(t)).toMatchObject({ code: 'SEQUENCE', index: 9 });
  });

  it('an approval replayed at a later seq', () => {
    const t = clone(log);
    const p = clone(v.proposalRecord('alice', { type: 'create-group', group: { id: 'g1', name: 'Ops', members: [] } }));
    t.push(p, { ...(t[8] as DecisionRecord), seq: 11, proposalId: p.proposalId });
    expect(firstError(t)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 11 });
  });

  it('a record from another vault', () => {
    const other = new VaultBuilder('vault-other', 'Treasury');
    other.genesis(device(0));
    other.proposeAddUser('alice', device(1), 'bob', 'Bob', ['administrator']);
    other.propose('alice', { type: 'set-quorum', quorum: 2 });
    const carol = other.proposeAddUser('alice', device(2), 'carol', 'Carol', ['administrator']);
    other.approve('bob', carol);
    const pma = other.propose('alice', { type: 'set-proposer-may-approve', value: false });
    other.approve('bob', pma);
    const p = other.proposeAddUser('alice', device(7), 'mal', 'Mal', ['administrator']);
    other.approve('bob', p);
    const foreign = clone(other.records.slice(7)) as GovernanceRecord[];
    const t = [...clone(log).slice(0, 7), ...foreign];
    expect(firstError(t)).toMatchObject({ code: 'WRONG_VAULT', seq: 7 });
    // Relabelled with this vault's id, the signature (over the other vault's id) no longer holds.
    const relabelled = t.map((r) => ({ ...r, vaultId: 'vault-test-1' }));
    expect(firstError(relabelled)).toMatchObject({ code: 'BAD_SIGNATURE', seq: 7 });
  });

  it('a malformed record (unknown role) is named, not thrown', () => {
    const t = clone(log);
    ((t[7] as ProposalRecord).action as unknown as { user: { roles: string[] } }).user.roles = ['root'];
    expect(firstError(t)).toMatchObject({ code: 'MALFORMED', seq: 7, problem: expect.stringMatching(/unknown role/) });
  });

  it('replayErrors keeps going and names each bad record', () => {
    const t = clone(log);
    t[9] = { ...(t[9] as DecisionRecord), signature: (t[8] as DecisionRecord).signature };
    t[6] = { ...(t[6] as DecisionRecord), vaultId: 'vault-x' };
    const errors = replayErrors(t);
    expect(errors.map((e) => [e.seq, e.code])).toEqual([[6, 'WRONG_VAULT'], [9, 'BAD_SIGNATURE']]);
    expect(errors[0]?.message).toMatch(/^record 6 \(seq 6\): WRONG_VAULT/);
  });
});

describe('the store projection: diffState names each hand edit', () => {
  const state = standardVault().state;
  const edit = (f: (s: { -readonly [K in keyof GovernanceState]: GovernanceState[K] }) => void): GovernanceState => {
    const s = clone(state);
    f(s);
    return s;
  };

  it('finds nothing when the store matches the replay', () => {
    expect(diffState(state, clone(state))).toEqual([]);
  });

  it('a role changed', () => {
    const d = diffState(state, edit((s) => { s.users = s.users.map((u) => (u.id === 'dave' ? { ...u, roles: ['administrator', 'operator'] } : u)); }));
    expect(d).toEqual([expect.objectContaining({ entity: 'user', id: 'dave', field: 'roles', expected: '["operator"]', actual: '["administrator","operator"]' })]);
  });

  it('an approval deleted', () => {
    const d = diffState(state, edit((s) => { s.proposals = s.proposals.map((p) => (p.id === 'prop-5' ? { ...p, approvals: p.approvals.slice(1) } : p)); }));
    expect(d).toEqual([expect.objectContaining({ entity: 'proposal', id: 'prop-5', field: 'approvals' })]);
  });

  it('a user inserted', () => {
    const eve = { ...registeredUser(state, 99, device(6), 'eve', 'Eve', ['administrator']), status: 'active' as const, registeredAtSeq: 99, registeredRoles: ['administrator' as const], adminSinceSeq: 99 };
    const d = diffState(state, edit((s) => { s.users = [...s.users, eve]; }));
    expect(d).toEqual([expect.objectContaining({ entity: 'user', id: 'eve', field: 'presence', expected: 'absent' })]);
  });

  it('a quorum lowered', () => {
    const d = diffState(state, edit((s) => { s.settings = { ...s.settings, adminQuorum: 1 }; }));
    expect(d).toEqual([expect.objectContaining({ entity: 'settings', field: 'adminQuorum', expected: '2', actual: '1' })]);
    expect(d[0]?.message).toMatch(/administrator quorum: the signed log says 2, the store says 1/);
  });

  it('a user revoked in the log but active in the store, a group member added, a status flipped, a duplicated row', () => {
    const d = diffState(state, edit((s) => {
      s.users = [...s.users.map((u) => (u.id === 'bob' ? { ...u, status: 'revoked' as const } : u)), s.users[0]!];
      s.groups = [{ id: 'g9', name: 'X', members: [] }];
      s.proposals = s.proposals.map((p) => (p.id === 'prop-1' ? { ...p, status: 'rejected' as const } : p));
    }));
    expect(d.map((x) => `${x.entity}:${x.id}:${x.field}`).sort()).toEqual([
      'group:g9:presence',
      'proposal:prop-1:status',
      'user:alice:presence',
      'user:bob:status',
    ]);
  });
});
