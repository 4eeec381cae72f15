// Property tests: random sequences of proposals and decisions keep the governance invariants, and any edit is caught.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { configurationProblem, isActiveAdministrator, replay, replayErrors, ROLES } from '../../../crypto/governance/index.js';
import type { Action, GovernanceRecord, GovernanceState, Role } from '../../../crypto/governance/index.js';
import { device, standardVault, VaultBuilder } from '../fixtures.js';

const stepArb = fc.record({ kind: fc.nat({ max: 12 }), a: fc.nat({ max: 99 }), b: fc.nat({ max: 99 }), c: fc.nat({ max: 99 }) });
type Step = { kind: number; a: number; b: number; c: number };

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const rolesOf = (mask: number): Role[] => ROLES.filter((_, i) => ((mask % 15) + 1) & (1 << i));

/** Turns a random step into a record the console would try to append; null when the step makes no sense now. */
function attempt(v: VaultBuilder, step: Step, counter: { n: number }): GovernanceRecord | null {
  const s = v.state;
  const active = s.users.filter((u) => u.status === 'active');
  const admins = s.users.filter(isActiveAdministrator);
  const pending = s.proposals.filter((p) => p.status === 'pending');
  const actor = pick(admins, step.a);
  if (actor === undefined) return null;
  try {
    switch (step.kind) {
      case 0: {
        const i = s.users.length;
        if (i > 9) return null;
        return v.proposalRecord(actor.id, v.addUserAction(device(i), `u${i}`, `User ${i}`, rolesOf(step.b)), `p${counter.n++}`);
      }
      case 1: {
        const target = pick(active, step.b);
        return target ? v.proposalRecord(actor.id, { type: 'revoke-user', userId: target.id }, `p${counter.n++}`) : null;
      }
      case 2: {
        const target = pick(active, step.b);
        return target ? v.proposalRecord(actor.id, { type: 'set-roles', userId: target.id, roles: rolesOf(step.c) }, `p${counter.n++}`) : null;
      }
      case 3:
        return v.proposalRecord(actor.id, { type: 'set-quorum', quorum: (step.c % 4) + 1 }, `p${counter.n++}`);
      case 4:
        return v.proposalRecord(actor.id, { type: 'set-proposer-may-approve', value: !s.settings.proposerMayApprove }, `p${counter.n++}`);
      case 5: {
        const members = active.filter((_, i) => (step.c >> i) & 1).map((u) => u.id);
        const action: Action = { type: 'create-group', group: { id: `g${counter.n}`, name: `Group ${counter.n}`, members } };
        return v.proposalRecord(actor.id, action, `p${counter.n++}`);
      }
      case 12:
        return v.proposalRecord(actor.id, { type: 'enter-team-mode' }, `p${counter.n++}`);
      default: {
        // Mostly the oldest pending proposal, so proposals actually close.
        const p = pick(pending, step.b < 70 ? 0 : step.b);
        return p ? v.decisionRecord(step.kind === 11 ? 'rejection' : 'approval', actor.id, p.id) : null;
      }
    }
  } catch {
    return null; // e.g. describing a change about a user who no longer exists
  }
}

function checkInvariants(s: GovernanceState): void {
  const admins = s.users.filter(isActiveAdministrator).length;
  // The configuration rules hold in every reachable state (admins ≥ quorum, ≥2 once ≥3 admins, below the count).
  // While founding only the basic bounds apply (and the quorum is still the genesis one).
  expect(configurationProblem(admins, s.settings.adminQuorum, s.settings.proposerMayApprove, s.founding)).toBeNull();
  if (s.founding) expect(s.settings.adminQuorum).toBe(1);
  for (const p of s.proposals) {
    const deciders = [...p.approvals, ...p.rejections].map((d) => d.userId);
    // A person counts once.
    expect(new Set(deciders).size).toBe(deciders.length);
    expect(p.rejections.some((d) => d.userId === p.proposerId)).toBe(false);
    if (p.status === 'approved') expect(p.approvals.length).toBeGreaterThanOrEqual(1);
    if (p.status !== 'pending') expect(p.closedAtSeq).toBeGreaterThanOrEqual(p.seq);
  }
  for (const g of s.groups) for (const m of g.members) expect(s.users.find((u) => u.id === m)?.status).toBe('active');
  // Team mode is entered at most once, by the record that approved the one enter-team-mode proposal that took effect.
  const entered = s.proposals.filter((p) => p.action.type === 'enter-team-mode' && p.status === 'approved');
  expect(entered.length).toBeLessThanOrEqual(1);
  expect(s.teamModeSince).toBe(entered[0]?.closedAtSeq);
}

/** Alice, Bob, Carol, Erin administrators (quorum 2, proposer does not count) and Dave operator: decisions matter. */
const base = (() => {
  const v = standardVault();
  const p = v.proposeAddUser('alice', device(4), 'erin', 'Erin', ['administrator']);
  v.approve('bob', p).approve('carol', p);
  return v;
})();

function randomVault(steps: readonly Step[], fromScratch: boolean): VaultBuilder {
  const v = new VaultBuilder();
  if (fromScratch) v.genesis(device(0), 'u0', 'User 0');
  else {
    v.records.push(...structuredClone(base.records));
    for (const [id, d] of base.devices) v.devices.set(id, d);
  }
  const counter = { n: 0 };
  for (const step of steps) {
    const record = attempt(v, step, counter);
    const teamBefore = v.state.teamModeSince;
    if (record !== null && v.tryPush(record)) {
      checkInvariants(v.state);
      // One way: once in team mode, no record takes the vault back to a single desk.
      if (teamBefore !== undefined) expect(v.state.teamModeSince).toBe(teamBefore);
    }
  }
  return v;
}

describe('governance properties', () => {
  it('random valid sequences keep the invariants and replay to the same state', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 30 }), fc.boolean(), (steps, fromScratch) => {
        const v = randomVault(steps, fromScratch);
        expect(replayErrors(v.records)).toEqual([]);
        expect(replay(structuredClone(v.records))).toEqual(v.state);
      }),
      { numRuns: 20 },
    );
  });

  it('a changed signature byte anywhere in a random log is caught', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 15 }), fc.nat(), fc.nat({ max: 129 }), (steps, at, nibble) => {
        const v = randomVault(steps, false);
        const log = structuredClone(v.records) as (GovernanceRecord & { signature: string })[];
        const rec = log[at % log.length] as { signature: string };
        const i = 2 + nibble;
        const c = rec.signature[i] as string;
        rec.signature = rec.signature.slice(0, i) + (c === '0' ? '1' : '0') + rec.signature.slice(i + 1);
        expect(replayErrors(log).length).toBeGreaterThan(0);
      }),
      { numRuns: 10 },
    );
  });

  it('deleting or moving any record but the last is caught by replay (the last: by the store seq)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 15 }), fc.nat(), fc.nat(), (steps, from, to) => {
        const v = randomVault(steps, false);
        if (v.records.length < 2) return;
        const deleted = structuredClone(v.records);
        const [removed] = deleted.splice(from % (v.records.length - 1), 1);
        expect(replayErrors(deleted).length).toBeGreaterThan(0);
        const j = to % v.records.length;
        if (j === from % (v.records.length - 1)) return;
        deleted.splice(j, 0, removed as GovernanceRecord);
        expect(replayErrors(deleted).length).toBeGreaterThan(0);
      }),
      { numRuns: 10 },
    );
  });
});
