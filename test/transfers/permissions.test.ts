// What main says each person may do with a transfer, and that the transfer service refuses with the same words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessFor } from '../../main/access';
import { expectError } from '../vault/helpers';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
let requestId: string;

/** The standard harness with a 3 hour delay on small transfers; Dave (operator, Ops) requests 0.005 BTC. */
beforeAll(async () => {
  h = await transferHarness({ delaySeconds: 3 * 3600 });
  requestId = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.dave })).id;
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const access = (person: keyof TransferHarness['device']) => accessFor(h.vault, h.transfers, h.device[person]);

describe('transfer permissions in words, as the service enforces them', () => {
  it('only operators request: an administrator is told so, and create refuses with the same reason', async () => {
    const alice = await access('alice');
    expect(alice.wallets[h.walletId]!.request).toEqual({ allowed: false, reason: 'Alice is not an operator (administrator); only operators request transfers.' });
    await expectError(h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '500000', feeRate: 2, deviceId: h.device.alice }), 'NOT_AUTHORISED', /^Alice is not an operator \(administrator\); only operators request transfers\.$/);
    expect((await access('dave')).wallets[h.walletId]!.request.allowed).toBe(true);
  });

  it('a wallet that owes no key ceremony says so, as running one would', async () => {
    expect((await access('alice')).wallets[h.walletId]!.ceremony).toEqual({ allowed: false, reason: 'The wallet Cold BTC owes no key ceremony. Propose a refresh or a reshare first.' });
    await expectError(h.ceremonies.run(h.walletId), 'RULE_VIOLATION', /^The wallet Cold BTC owes no key ceremony\. Propose a refresh or a reshare first\.$/);
  });

  it('the initiator and people outside the step’s group may not approve; an approver may', async () => {
    const dave = (await access('dave')).transfers[requestId]!;
    expect(dave.decide.reason).toBe(`Dave is not in any group whose approval request ${requestId} still needs (the rule keeps its initiator out of its steps).`);
    const carol = (await access('carol')).transfers[requestId]!;
    expect(carol.decide.reason).toBe(`Carol is not in any group whose approval request ${requestId} still needs.`);
    await expectError(h.transfers.approve({ requestId, deviceId: h.device.carol }), 'NOT_AUTHORISED', new RegExp(`^Carol is not in any group whose approval request ${requestId} still needs\\.$`));
    expect((await access('erin')).transfers[requestId]!.decide).toEqual({ allowed: true, reason: null });
  });

  it('an approver who approved is told they already did; signing waits for the delay, said in hours and minutes', async () => {
    await h.transfers.approve({ requestId, deviceId: h.device.erin });
    const erin = (await access('erin')).transfers[requestId]!;
    expect(erin.decide.reason).toBe(`Erin already approved request ${requestId}; a person counts once.`);
    expect(erin.sign.reason).toMatch(new RegExp(`^Request ${requestId} waits 2 h 59 min more before it can be signed \\(until .+\\); it can still be cancelled until then\\.$|^Request ${requestId} waits 3 h more`));
    await expectError(h.transfers.sign(requestId), 'POLICY_DENIED', / more before it can be signed/);
  });

  it('only the initiator or an administrator cancels', async () => {
    expect((await access('mallory')).transfers[requestId]!.cancel.reason).toBe(`Mallory may not cancel request ${requestId}: its initiator or an administrator may.`);
    expect((await access('dave')).transfers[requestId]!.cancel.allowed).toBe(true);
    expect((await access('alice')).transfers[requestId]!.cancel.allowed).toBe(true);
    await expectError(h.transfers.cancel({ requestId, deviceId: h.device.mallory }), 'NOT_AUTHORISED', /^Mallory may not cancel/);
  });
});
