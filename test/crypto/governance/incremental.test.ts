// Applying records one by one to a live state (the Replayer, applyRecord, a checkpoint reloaded from JSON midway) is
// replay from genesis: the same final state, the same refusals with the same codes, and no handed-out state changes.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taprootPayment } from '../../../crypto/bitcoin/index.js';
import { applyRecord, isActiveAdministrator, replay, replayErrors, replayReport, Replayer, ReplayError, ROLES, stateDigest } from '../../../crypto/governance/index.js';
import type { Action, GovernanceRecord, GovernanceState, Role, TransferDecisionRecord, TransferState } from '../../../crypto/governance/index.js';
import { policyDocument, validatePolicy, whitelistDocument } from '../../../crypto/policy/index.js';
import { device, standardVault, VaultBuilder } from '../fixtures.js';

const stepArb = fc.record({
  kind: fc.nat({ max: 16 }),
  a: fc.nat({ max: 99 }),
  b: fc.nat({ max: 99 }),
  c: fc.nat({ max: 99 }),
  // 0-5: the record as made; 6: a signature byte flipped; 7: a wrong seq; 8: another vault's.
  spoil: fc.nat({ max: 8 }),
});
type Step = { kind: number; a: number; b: number; c: number; spoil: number };

const pick = <T>(xs: readonly T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const rolesOf = (mask: number): Role[] => ROLES.filter((_, i) => ((mask % 15) + 1) & (1 << i));
const exchange = taprootPayment(schnorr.getPublicKey(hexToBytes('0a'.repeat(32))), 'regtest').address;

function policyAction(walletId: string, version: number, groupId: string): Action {
  return {
    type: 'set-policy',
    policy: policyDocument(
      validatePolicy({
        version,
        walletId,
        rules: [{ id: 'any', name: 'Any', amount: { min: null, max: null }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] }],
        velocity: [],
      }),
    ),
  };
}

/** A record the console might offer now (valid or breaking a rule); null when the step makes no sense now. */
function attempt(v: VaultBuilder, step: Step, counter: { n: number }): GovernanceRecord | null {
  const s = v.state;
  const active = s.users.filter((u) => u.status === 'active');
  const pending = s.proposals.filter((p) => p.status === 'pending');
  const actor = pick(s.users.filter(isActiveAdministrator), step.a);
  if (actor === undefined) return null;
  const id = `p${counter.n++}`;
  try {
    switch (step.kind) {
      case 0: {
        const i = s.users.length;
        return i > 9 ? null : v.proposalRecord(actor.id, v.addUserAction(device(i), `u${i}`, `User ${i}`, rolesOf(step.b)), id);
      }
      case 1: {
        const target = pick(active, step.b);
        return target ? v.proposalRecord(actor.id, { type: 'revoke-user', userId: target.id }, id) : null;
      }
      case 2: {
        const target = pick(active, step.b);
        return target ? v.proposalRecord(actor.id, { type: 'set-roles', userId: target.id, roles: rolesOf(step.c) }, id) : null;
      }
      case 3:
        return v.proposalRecord(actor.id, { type: 'set-quorum', quorum: (step.c % 4) + 1 }, id);
      case 4:
        return v.proposalRecord(actor.id, { type: 'set-proposer-may-approve', value: !s.settings.proposerMayApprove }, id);
      case 5: {
        const members = active.filter((_, i) => (step.c >> i) & 1).map((u) => u.id);
        // Names repeat now and then: a duplicate group name is a broken rule.
        return v.proposalRecord(actor.id, { type: 'create-group', group: { id: `g${counter.n}`, name: `Group ${step.b % 4}`, members } }, id);
      }
      case 6: {
        const group = pick(s.groups, step.b);
        const members = active.filter((_, i) => (step.c >> i) & 1).map((u) => u.id);
        return group ? v.proposalRecord(actor.id, { type: 'edit-group', groupId: group.id, members }, id) : null;
      }
      case 7: {
        const custodians = active.filter((_, i) => (step.c >> i) & 1).map((u) => u.id);
        if (custodians.length < 2) return null;
        const wallet = { id: `w${counter.n}`, name: `Wallet ${step.b % 3}`, network: 'regtest' as const, threshold: 2, custodians };
        return v.proposalRecord(actor.id, { type: 'create-wallet', wallet }, id);
      }
      case 8: {
        const list = whitelistDocument({ id: `wl${step.b % 2}`, name: `List ${step.c % 3}`, network: 'regtest', entries: [{ address: exchange, label: `Exchange ${step.c % 2}` }] });
        return v.proposalRecord(actor.id, { type: 'set-whitelist', whitelist: list }, id);
      }
      case 9: {
        const wallet = pick(s.wallets, step.b);
        const group = pick(s.groups, step.c);
        if (wallet === undefined || group === undefined) return null;
        // Now and then a version that is not the next one: a broken rule.
        const version = (s.policies.find((p) => p.walletId === wallet.id)?.version ?? 0) + (step.c % 5 === 0 ? 2 : 1);
        return v.proposalRecord(actor.id, policyAction(wallet.id, version, group.id), id);
      }
      case 16:
        return v.proposalRecord(actor.id, { type: 'enter-team-mode' }, id);
      default: {
        // Mostly the oldest pending proposal, so proposals close; now and then one already closed.
        const p = step.b < 10 ? pick(s.proposals, step.c) : pick(pending, step.b < 70 ? 0 : step.b);
        return p ? v.decisionRecord(step.kind === 15 ? 'rejection' : 'approval', actor.id, p.id) : null;
      }
    }
  } catch {
    return null; // e.g. describing a change about a user who no longer exists
  }
}

function spoiled(record: GovernanceRecord, step: Step): GovernanceRecord {
  switch (step.spoil) {
    case 6: {
      const r = structuredClone(record) as GovernanceRecord & { signature: string };
      const i = 2 + (step.c % 130);
      r.signature = r.signature.slice(0, i) + (r.signature[i] === '0' ? '1' : '0') + r.signature.slice(i + 1);
      return r;
    }
    case 7:
      return { ...record, seq: record.seq + (step.c % 2 === 0 ? 1 : -1) } as GovernanceRecord;
    case 8:
      return { ...record, vaultId: 'vault-other' };
    default:
      return record;
  }
}

/** Freezes a state all the way down: any later change to what was handed out throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Alice, Bob, Carol, Erin administrators (quorum 2, the proposer does not count), Dave operator, a group, a wallet, a whitelist, a policy. */
const base = (() => {
  const v = standardVault();
  const adopt = (action: Action): void => {
    const id = v.propose('alice', action);
    v.approve('bob', id).approve('carol', id);
  };
  adopt(v.addUserAction(device(4), 'erin', 'Erin', ['administrator']));
  adopt({ type: 'create-group', group: { id: 'g-base', name: 'Base', members: ['bob', 'dave'] } });
  adopt({ type: 'create-wallet', wallet: { id: 'w-base', name: 'Base wallet', network: 'regtest', threshold: 2, custodians: ['alice', 'bob', 'carol'] } });
  adopt({ type: 'set-whitelist', whitelist: whitelistDocument({ id: 'wl-base', name: 'Base list', network: 'regtest', entries: [{ address: exchange, label: 'Exchange' }] }) });
  adopt(policyAction('w-base', 1, 'g-base'));
  return v;
})();

/** A builder whose records are made against the live state under test (building them must not replay each time). */
class LiveBuilder extends VaultBuilder {
  live: Replayer | null = null;
  override get state(): GovernanceState {
    return this.live?.state() ?? super.state;
  }
}

function startingVault(fromScratch: boolean): LiveBuilder {
  if (fromScratch) return new LiveBuilder().genesis(device(0), 'u0', 'User 0');
  const v = new LiveBuilder();
  v.records.push(...structuredClone(base.records));
  for (const [id, d] of base.devices) v.devices.set(id, d);
  return v;
}

const codeOf = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof ReplayError) return e.code;
    throw e;
  }
};

describe('incremental replay ≡ replay from genesis', () => {
  it('for random sequences of records, refused ones included, with a checkpoint reloaded from JSON midway', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 5, maxLength: 40 }), fc.nat(), fc.boolean(), (steps, reloadAt, fromScratch) => {
        const v = startingVault(fromScratch);
        let replayer = Replayer.fromRecords(v.records);
        v.live = replayer;
        let functional = replayReport(v.records).state as GovernanceState;
        const handedOut: { state: GovernanceState; json: string }[] = [];
        const counter = { n: 0 };
        let refused = 0;
        steps.forEach((step, i) => {
          if (i === reloadAt % steps.length) {
            // A checkpoint: the state written as JSON and read back, then continued from.
            replayer = Replayer.fromState(JSON.parse(JSON.stringify(replayer.state())) as GovernanceState);
            v.live = replayer;
          }
          const made = attempt(v, step, counter);
          if (made === null) return;
          const record = spoiled(made, step);
          // From genesis: the log so far plus this record; its problems are this record's (the log so far is sound).
          const expected = replayErrors([...v.records, record]).map((e) => e.code)[0] ?? null;
          const before = replayer.state();
          expect(codeOf(() => replayer.check(record, { verifySignatures: true }))).toBe(expected);
          expect(replayer.state()).toBe(before);
          expect(codeOf(() => replayer.apply(record))).toBe(expected);
          // The console's pattern: a pre-flight from the state, then the signed record from the same state again.
          const preflight = codeOf(() => applyRecord(functional, record, { verifySignatures: false }));
          if (expected !== 'BAD_SIGNATURE') expect(preflight).toBe(expected);
          expect(codeOf(() => (functional = applyRecord(functional, record)))).toBe(expected);
          if (expected === null) v.push(record);
          else {
            refused++;
            expect(replayer.state()).toBe(before);
          }
          const state = replayer.state();
          handedOut.push({ state: deepFreeze(state), json: JSON.stringify(state) });
        });
        v.live = null;
        const fromGenesis = replay(v.records);
        expect(replayer.state()).toEqual(fromGenesis);
        expect(functional).toEqual(fromGenesis);
        expect(stateDigest(replayer.state())).toBe(stateDigest(fromGenesis));
        // Every state handed out on the way is still what it was when handed out.
        for (const h of handedOut) expect(JSON.stringify(h.state)).toBe(h.json);
        return refused >= 0;
      }),
      { numRuns: 15 },
    );
  }, 240_000);

  it('says what each record changed, and a dry run changes nothing', () => {
    const v = new VaultBuilder().genesis(device(0), 'alice', 'Alice');
    const r = Replayer.fromRecords(v.records);
    const step = (record: GovernanceRecord) => {
      const dry = r.check(record, { verifySignatures: true });
      const changes = r.apply(record);
      expect(changes).toEqual(dry);
      v.push(record);
      return changes;
    };
    const bob = v.proposalRecord('alice', v.addUserAction(device(1), 'bob', 'Bob', ['administrator', 'approver']), 'p-bob');
    expect(step(bob)).toEqual({ seq: 1, users: ['bob'], groups: [], proposals: ['p-bob'], wallets: [], policies: [], whitelists: [], transfers: [], settings: false, founding: false });
    const group = v.proposalRecord('alice', { type: 'create-group', group: { id: 'g1', name: 'Approvers', members: ['bob'] } }, 'p-group');
    expect(step(group)).toMatchObject({ seq: 2, groups: ['g1'], proposals: ['p-group'], users: [] });
    // Setting the quorum ends founding.
    const quorum = v.proposalRecord('alice', { type: 'set-quorum', quorum: 1 }, 'p-quorum');
    expect(step(quorum)).toMatchObject({ seq: 3, proposals: ['p-quorum'], settings: true, founding: true });
    // Applied at once (quorum 1, the proposer counts): Bob is revoked and leaves his group.
    const revoke = v.proposalRecord('alice', { type: 'revoke-user', userId: 'bob' }, 'p-revoke');
    expect(step(revoke)).toEqual({ seq: 4, users: ['bob'], groups: ['g1'], proposals: ['p-revoke'], wallets: [], policies: [], whitelists: [], transfers: [], settings: false, founding: false });
    // A refused record changes nothing, in a dry run or not.
    const before = r.state();
    const again = v.proposalRecord('alice', { type: 'revoke-user', userId: 'bob' }, 'p-again');
    expect(() => r.check(again)).toThrow(/no active user bob/);
    expect(() => r.apply(again)).toThrow(/no active user bob/);
    expect(r.state()).toBe(before);
    expect(r.state()).toEqual(replay(v.records));
  });

  it('applies transfer decisions onto a frozen checkpoint without changing it, naming the transfer changed', () => {
    const v = standardVault();
    const request = (id: string): TransferState => ({
      id,
      seq: 1000,
      request: {
        type: 'transfer-request', seq: 1000, vaultId: v.vaultId, requestId: id, walletId: 'w1', initiatorId: 'dave', destination: exchange, amount: '1000', fee: '10',
        psbt: 'cHNidP8B', inputPaths: [''], changePath: null, sighashes: ['ab'.repeat(32)], policyVersion: 1, policyHash: '0x' + 'cd'.repeat(32), createdAt: '2025-02-01T00:00:00Z', signature: '0x' + '11'.repeat(65),
      },
      approvals: [], rejections: [], signed: null, cancelled: null,
    });
    const ids = Array.from({ length: 40 }, (_, i) => `t${(i * 13) % 40}`).sort();
    const checkpoint = deepFreeze({ ...v.state, transfers: ids.map(request) });
    const json = JSON.stringify(checkpoint);
    const r = Replayer.fromState(checkpoint);
    let functional: GovernanceState = JSON.parse(json) as GovernanceState;
    const decide = (type: TransferDecisionRecord['type'], requestId: string, userId: string): TransferDecisionRecord =>
      ({ type, seq: r.seq + 1, vaultId: v.vaultId, requestId, userId, at: '2025-02-02T00:00:00Z', signature: '0x' + '00'.repeat(65) });
    for (const [i, id] of ['t7', 't30', 't7', 't0'].entries()) {
      const record = decide(i === 3 ? 'transfer-rejection' : 'transfer-approval', id, i === 2 ? 'bob' : 'carol');
      const changes = r.apply(record, { verifySignatures: false });
      expect(changes).toEqual({ seq: record.seq, users: [], groups: [], proposals: [], wallets: [], policies: [], whitelists: [], transfers: [id], settings: false, founding: false });
      functional = applyRecord(functional, record, { verifySignatures: false });
      deepFreeze(r.state());
    }
    // A person decides once: refused, and nothing changes.
    const before = r.state();
    expect(() => r.apply(decide('transfer-approval', 't7', 'bob'), { verifySignatures: false })).toThrow(/counts once/);
    expect(r.state()).toBe(before);
    expect(JSON.stringify(checkpoint)).toBe(json);
    expect(r.state()).toEqual(functional);
    expect(r.state().transfers.map((t) => t.id)).toEqual(ids);
    expect(r.transfer('t7')?.approvals.map((d) => d.userId)).toEqual(['carol', 'bob']);
    expect(r.transfer('t0')?.rejections.map((d) => d.userId)).toEqual(['carol']);
  });
});
