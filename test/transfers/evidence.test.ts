// What a signer decides from the signed log alone (crypto/transfers/evidence): allowed requests pass; every tampering
// of the console's database is refused, with its reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extendState, newRecords, recordHash, replayBodies, signingPlan, type PinnedRecord } from '../../crypto/transfers/evidence';
import type { GovernanceState } from '../../crypto/governance';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
let small: string;
let large: string;

const now = () => Date.now();
const plan = (state: GovernanceState, requestId: string, ledger: Parameters<typeof signingPlan>[0]['ledger'] = []) =>
  signingPlan({ state, requestId, ledger, receivedAt: () => 0, now: now() });
const stateOf = (bodies: string[]): GovernanceState => {
  const r = replayBodies(bodies);
  if ('refused' in r) throw new Error(r.refused);
  return r.state;
};
const edit = (bodies: string[], seq: number, change: (r: Record<string, unknown>) => void): string[] => {
  const copy = [...bodies];
  const record = JSON.parse(copy[seq]!) as Record<string, unknown>;
  change(record);
  copy[seq] = JSON.stringify(record);
  return copy;
};
const seqOf = (bodies: string[], match: (r: Record<string, unknown>) => boolean): number => bodies.findIndex((b) => match(JSON.parse(b) as Record<string, unknown>));

beforeAll(async () => {
  h = await transferHarness();
  small = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId: small, deviceId: h.device.erin });
  large = (await h.transfers.create({ walletId: h.walletId, destination: h.exchange, amount: '3000000', feeRate: 2, deviceId: h.device.dave })).id;
  await h.transfers.approve({ requestId: large, deviceId: h.device.erin });
}, 240_000);
afterAll(async () => {
  await h?.close();
});

describe('the signer’s own decision', () => {
  it('allows a request whose evidence holds, and says what is missing from one that lacks an approval', () => {
    const state = stateOf(h.records());
    expect(plan(state, small)).toMatchObject({ ruleId: 'small', inputs: [{ index: 0 }] });
    expect(plan(state, large)).toMatchObject({ refused: expect.stringMatching(/lacks approvals: 1 more of group/) });
    expect(h.transfers.get(large)).toMatchObject({ status: 'pending', rule: { id: 'large' } });
  });

  it('counts velocity from its own ledger, not the console’s', () => {
    const state = stateOf(h.records());
    const ledger = [{ requestId: 'elsewhere', walletId: h.walletId, ruleId: 'large', amount: 4_800_000n, signedAt: now() - 1000 }];
    expect(plan(state, small, ledger)).toMatchObject({ refused: expect.stringMatching(/velocity|limit/i) });
    expect(plan(state, small, [{ ...ledger[0]!, requestId: small }])).toMatchObject({ refused: expect.stringMatching(/already signed/) });
  });

  it('times approvals by when it saw them: an approval it has not seen does not count', () => {
    const state = stateOf(h.records());
    const r = signingPlan({ state, requestId: small, ledger: [], receivedAt: () => undefined, now: now() });
    expect(r).toMatchObject({ refused: expect.stringMatching(/lacks approvals/) });
  });
});

describe('tampering with the console’s database is refused', () => {
  const bodies = () => h.records();

  it('a log rewritten after the signer pinned it', () => {
    const pinned: PinnedRecord[] = bodies().map((b, seq) => ({ seq, hash: recordHash(b), receivedAt: 0 }));
    const quorum = seqOf(bodies(), (r) => (r.action as { type?: string } | undefined)?.type === 'set-quorum');
    expect(newRecords(pinned, edit(bodies(), quorum, (r) => ((r.action as { quorum: number }).quorum = 1)))).toMatchObject({ refused: expect.stringMatching(/rewritten/) });
    expect(newRecords(pinned, bodies().slice(0, -1))).toMatchObject({ refused: expect.stringMatching(/removed/) });
    expect(newRecords(pinned, bodies())).toEqual({ fresh: [] });
  });

  it('a lowered quorum, an edited policy, a forged approval, a replayed approval, a swapped destination: replay refuses', () => {
    const b = bodies();
    const quorum = seqOf(b, (r) => (r.action as { type?: string } | undefined)?.type === 'set-quorum');
    // Refused by the rules (1 of 3 administrators) before its signature is even checked; either way it does not hold.
    expect(replayBodies(edit(b, quorum, (r) => ((r.action as { quorum: number }).quorum = 1)))).toMatchObject({ refused: expect.stringMatching(/does not hold/) });
    const policy = seqOf(b, (r) => (r.action as { type?: string } | undefined)?.type === 'set-policy');
    expect(replayBodies(edit(b, policy, (r) => ((r.action as { policy: { velocity: { maxAmount: string }[] } }).policy.velocity[0]!.maxAmount = '999999999')))).toMatchObject({
      refused: expect.stringMatching(/not signed/),
    });
    const approval = seqOf(b, (r) => r.type === 'transfer-approval' && r.requestId === small);
    expect(replayBodies(edit(b, approval, (r) => (r.signature = '0x' + '11'.repeat(65))))).toMatchObject({ refused: expect.stringMatching(/not signed/) });
    // Erin's approval of the small request, replayed onto the large one.
    const replayed = [...b, JSON.stringify({ ...JSON.parse(b[approval]!), seq: b.length, requestId: large })];
    expect(replayBodies(replayed)).toMatchObject({ refused: expect.stringMatching(/not signed/) });
    const request = seqOf(b, (r) => r.type === 'transfer-request' && r.requestId === large);
    expect(replayBodies(edit(b, request, (r) => (r.destination = h.elsewhere)))).toMatchObject({ refused: expect.stringMatching(/request|signed/) });
  });

  it('a different PSBT in the request: its sighashes do not match', () => {
    const b = bodies();
    const request = seqOf(b, (r) => r.type === 'transfer-request' && r.requestId === small);
    expect(replayBodies(edit(b, request, (r) => ((r.sighashes as string[])[0] = '00'.repeat(32))))).toMatchObject({ refused: expect.stringMatching(/sighash/) });
  });

  it('a revoked approver’s approval stops counting', async () => {
    const erin = h.vault.listUsers().find((u) => u.name === 'Erin')!.id;
    const p = await h.vault.proposeRevoke({ userId: erin, deviceId: h.device.alice });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    expect(plan(stateOf(bodies()), small)).toMatchObject({ refused: expect.stringMatching(/lacks approvals/) });
  });
});

describe('group membership at the moment of approval', () => {
  it('an approval counts only for groups its author held when approving, and still holds', async () => {
    const r = await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '300000', feeRate: 1, deviceId: h.device.dave });
    // Mallory approves as a member of Approvers, then the group is changed without her: her approval stops counting.
    await h.transfers.approve({ requestId: r.id, deviceId: h.device.mallory });
    expect(plan(stateOf(h.records()), r.id)).toMatchObject({ ruleId: 'small' });
    const mallory = h.vault.listUsers().find((u) => u.name === 'Mallory')!.id;
    const p = await h.vault.proposeGroupEdit({ groupId: h.groups.approvers, memberIds: [h.ids.dave], deviceId: h.device.alice });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    expect(plan(stateOf(h.records()), r.id)).toMatchObject({ refused: expect.stringMatching(/lacks approvals/) });
    // Back in the group: the approval was made while she was a member, so it counts again.
    const back = await h.vault.proposeGroupEdit({ groupId: h.groups.approvers, memberIds: [mallory], deviceId: h.device.alice });
    await h.vault.approve({ proposalId: back.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: back.id, deviceId: h.device.carol });
    expect(plan(stateOf(h.records()), r.id)).toMatchObject({ ruleId: 'small' });
  });
});

describe('the signer’s state extended record by record', () => {
  // Last in the file: the log then holds requests, approvals, a revocation and group edits.
  it('is the state replayed from genesis, from any point and through a state reloaded from JSON', () => {
    const b = h.records();
    const whole = stateOf(b);
    // Every third split point (each one replays the prefix from genesis), the last included.
    for (let k = b.length - 1; k >= 1; k -= 3) {
      const prefix = stateOf(b.slice(0, k));
      const start = k % 2 === 0 ? (JSON.parse(JSON.stringify(prefix)) as GovernanceState) : prefix;
      const extended = extendState(start, b.slice(k));
      expect(extended).toEqual({ state: whole });
      // The state extended from is not changed by it.
      if (k % 2 === 1) expect(prefix).toEqual(stateOf(b.slice(0, k)));
    }
    // One record at a time, each state from the one before (the host's case).
    let state = stateOf(b.slice(0, 1));
    for (let k = 1; k < b.length; k++) {
      const next = extendState(state, [b[k]!]);
      if ('refused' in next) throw new Error(next.refused);
      state = next.state;
    }
    expect(state).toEqual(whole);
  });

  it('refuses a tampered record with the words replay from genesis uses, and keeps the state it had', () => {
    const b = h.records();
    const approval = seqOf(b, (r) => r.type === 'transfer-approval' && r.requestId === small);
    const tampered = edit(b, approval, (r) => (r.signature = '0x' + '11'.repeat(65)));
    const before = stateOf(b.slice(0, approval));
    const copy = JSON.stringify(before);
    const fromGenesis = replayBodies(tampered);
    expect(fromGenesis).toMatchObject({ refused: expect.stringMatching(/not signed/) });
    expect(extendState(before, tampered.slice(approval))).toEqual(fromGenesis);
    expect(JSON.stringify(before)).toBe(copy);
    // And after the refusal the signer goes on from the state it kept.
    expect(extendState(before, b.slice(approval))).toEqual({ state: stateOf(b) });
    expect(extendState(before, ['{not json'])).toEqual({ refused: 'a record of the log is not JSON' });
  });
});
