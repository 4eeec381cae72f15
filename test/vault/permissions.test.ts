// What main says the acting person may do, and that it is exactly what the services then enforce.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor } from '../../main/access';
import { CustosError } from '../../main/errors';
import type { AccessView } from '../../preload/contract';
import { foundedVault, harness, type Harness, type Person } from './helpers';

let h: Harness;
let pending: string;
/** Governance has no transfers here: nothing asks for a transfer decision. */
const noTransfers = { decision: () => { throw new Error('no transfers in this vault'); }, now: () => Date.now() };
const access = (person: Person): Promise<AccessView> => accessFor(h.vault, noTransfers, h.device[person]);

/** Alice, Bob, Carol administrators (quorum 2, the proposer does not count); Dave an operator; Erin no member. */
beforeAll(async () => {
  h = harness();
  await foundedVault(h);
  const dave = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
  await h.vault.approve({ proposalId: dave.id, deviceId: h.device.bob });
  await h.vault.approve({ proposalId: dave.id, deviceId: h.device.carol });
  // Pending: proposed by Alice, approved by Bob; Carol's decision is still asked.
  pending = (await h.vault.proposeGroupCreate({ name: 'Risk', memberIds: [], deviceId: h.device.alice })).id;
  await h.vault.approve({ proposalId: pending, deviceId: h.device.bob });
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('what the acting person may do, in words', () => {
  it('an administrator proposes and decides on what they did not propose or decide yet', async () => {
    const carol = await access('carol');
    expect(carol.person).toMatchObject({ name: 'Carol', roles: ['administrator'] });
    expect(carol.propose).toEqual({ allowed: true, reason: null });
    expect(carol.proposals[pending]!.decide).toEqual({ allowed: true, reason: null });
  });

  it('an operator may not propose: only administrators do, and the reason names their role', async () => {
    const dave = await access('dave');
    expect(dave.propose).toEqual({ allowed: false, reason: 'Dave is not an administrator (operator), and only administrators propose changes. Ask an administrator.' });
    expect(dave.proposals[pending]!.decide.reason).toMatch(/^Dave is not an administrator \(operator\), and only administrators approve or reject proposals/);
  });

  it('the proposer, and an administrator who already decided, are told why they cannot decide', async () => {
    expect((await access('alice')).proposals[pending]!.decide.reason).toMatch(/^You proposed this change; in this vault a proposer does not decide/);
    expect((await access('bob')).proposals[pending]!.decide.reason).toMatch(/^Bob already approved this proposal \(record \d+\); a person counts once\.$/);
  });

  it('a device that is not a member is told so', async () => {
    const erin = await access('erin');
    expect(erin.person).toBeNull();
    expect(erin.propose.reason).toMatch(/^This device \(0x[0-9a-fA-F]{40}\) is not a member of the vault "Treasury"/);
  });
});

describe('the answer and the enforcement agree', () => {
  type Act = 'settings' | 'group' | 'approve' | 'reject';
  const run = (act: Act, person: Person): Promise<unknown> => {
    const deviceId = h.device[person];
    if (act === 'settings') return h.vault.proposeProposerMayApprove({ value: true, deviceId });
    if (act === 'group') return h.vault.proposeGroupCreate({ name: 'Ops', memberIds: [], deviceId });
    if (act === 'approve') return h.vault.approve({ proposalId: pending, deviceId });
    return h.vault.reject({ proposalId: pending, deviceId });
  };

  it('allowed ⇔ the service asks the device (which refuses here, so nothing changes); refused ⇔ the same refusal', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<Person>('alice', 'bob', 'carol', 'dave', 'erin'), fc.constantFrom<Act>('settings', 'group', 'approve', 'reject'), async (person, act) => {
        const view = await access(person);
        const permission = act === 'settings' || act === 'group' ? view.propose : view.proposals[pending]!.decide;
        h.answer[person] = 'reject';
        let error: unknown = null;
        try {
          await run(act, person);
        } catch (e) {
          error = e;
        } finally {
          h.answer[person] = 'approve';
        }
        expect(error).toBeInstanceOf(CustosError);
        const e = error as CustosError;
        if (permission.allowed) {
          expect(e.code).toBe('REJECTED_ON_DEVICE');
        } else {
          expect(e.code).not.toBe('REJECTED_ON_DEVICE');
          // Proposals name what is proposed ("propose a group"); the answer names every proposal.
          const expected = (permission.reason ?? '').replace('propose changes', act === 'settings' ? 'propose a settings change' : 'propose a group');
          expect(e.message).toBe(expected);
        }
      }),
      { numRuns: 30 },
    );
    expect(h.vault.listProposals({ status: 'pending' }).map((p) => p.id)).toEqual([pending]);
  }, 120_000);
});
