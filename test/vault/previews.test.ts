// Main's previews of device statements: each is what the device then shows and signs, placeholders filled in.
import { afterEach, describe, expect, it } from 'vitest';
import { verifyMessage } from 'viem';
import { policyDocument, validatePolicy } from '../../crypto/policy';
import { taprootPayment } from '../../crypto/bitcoin';
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { expectError, fillsPreview, harness, preview, shownText, userId, type Harness } from './helpers';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** The screens `person`'s device showed while `run` ran. */
async function screensDuring(person: keyof Harness['screens'], run: () => Promise<unknown>): Promise<string[]> {
  const before = h.screens[person].length;
  await run();
  return h.screens[person].slice(before).map(shownText).filter((t) => t.startsWith('Custos v1'));
}

describe('statement previews', () => {
  it('genesis: both screens of the founder’s device, the vault id, address and digests filled in', async () => {
    h = harness();
    const input = { name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice };
    const steps = preview(h, 'vault.create', input);
    expect(steps.map((s) => s.device)).toEqual(['alice', 'alice']);
    expect(steps[0]!.screen).toContain('Address: (read from this device)');
    expect(steps[1]!.screen).toContain('Vault id: (assigned now)');
    const shown = await screensDuring('alice', () => h.vault.create(input));
    expect(shown).toHaveLength(2);
    steps.forEach((s, i) => expect(fillsPreview(s.screen, shown[i]!), `${s.screen}\n---\n${shown[i]}`).toBe(true));
  });

  it('a new user: their registration on their device, then the proposal on the proposer’s; an approval exactly as signed', async () => {
    h = harness();
    await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
    const input = { name: 'Bob', roles: ['administrator'], newUserDeviceId: h.device.bob, deviceId: h.device.alice };
    const steps = preview(h, 'users.propose', input);
    expect(steps.map((s) => [s.device, s.heading])).toEqual([['bob', 'Registration of Bob'], ['alice', 'Your proposal']]);
    const bobShown = h.screens.bob.length;
    const aliceShown = await screensDuring('alice', () => h.vault.proposeUser({ ...input, roles: ['administrator'] }));
    expect(fillsPreview(steps[0]!.screen, shownText(h.screens.bob.at(bobShown)!))).toBe(true);
    expect(fillsPreview(steps[1]!.screen, aliceShown[0]!)).toBe(true);

    await h.vault.proposeUser({ name: 'Carol', roles: ['administrator'], newUserDeviceId: h.device.carol, deviceId: h.device.alice });
    await h.vault.proposeQuorum({ quorum: 2, deviceId: h.device.alice });
    await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    const pending = h.vault.listProposals({ status: 'pending' })[0]!;
    const [approval] = preview(h, 'proposals.approve', { proposalId: pending.id, deviceId: h.device.bob });
    expect(approval!.screen).not.toMatch(/\((assigned now|of )/);
    await h.vault.approve({ proposalId: pending.id, deviceId: h.device.bob });
    const record = JSON.parse(h.store.records.all().at(-1)!.body) as { signature: `0x${string}` };
    const bob = h.vault.listUsers().find((u) => u.name === 'Bob')!.address as `0x${string}`;
    expect(await verifyMessage({ address: bob, message: approval!.screen, signature: record.signature })).toBe(true);
  });

  it('a policy: every rule in words, with the group and whitelist names, as the proposer’s device then shows it', async () => {
    h = harness();
    await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
    await h.vault.proposeUser({ name: 'Bob', roles: ['administrator', 'approver'], newUserDeviceId: h.device.bob, deviceId: h.device.alice });
    const bob = userId(h, 'Bob');
    await h.vault.proposeGroupCreate({ name: 'Approvers', memberIds: [bob], deviceId: h.device.alice });
    const group = h.vault.listGroups()[0]!.id;
    await h.vault.proposeWallet({ name: 'Cold BTC', network: 'regtest', threshold: 2, custodianIds: [userId(h, 'Alice'), bob], deviceId: h.device.alice });
    const walletId = h.vault.readState().wallets[0]!.id;
    const address = taprootPayment(schnorr.getPublicKey(hexToBytes('0a'.repeat(32))), 'regtest').address;
    const list = { name: 'Exchanges', network: 'regtest', entries: [{ address, label: 'Exchange' }] };
    // A new whitelist's id, and so its hash, exist only once it is proposed.
    const [listStep] = preview(h, 'whitelists.propose', { document: JSON.stringify(list), deviceId: h.device.alice });
    expect(listStep!.screen).toContain('List hash: (of the canonical list)');
    expect(fillsPreview(listStep!.screen, (await screensDuring('alice', () => h.vault.proposeWhitelist({ document: JSON.stringify(list), deviceId: h.device.alice })))[0]!)).toBe(true);
    const whitelistId = h.vault.readState().whitelists[0]!.id;

    const document = JSON.stringify(
      policyDocument(
        validatePolicy({
          version: 1,
          walletId,
          rules: [
            { id: 'small', name: 'Small', amount: { min: null, max: '1000000' }, destination: { kind: 'any' }, initiatorGroupId: null, steps: [{ groupId: group, count: 1, initiatorMayApprove: false }], delaySeconds: 0, velocity: [] },
            { id: 'large', name: 'Large', amount: { min: '1000001', max: null }, destination: { kind: 'whitelist', whitelistId }, initiatorGroupId: null, steps: [{ groupId: group, count: 1, initiatorMayApprove: false }], delaySeconds: 86_400, velocity: [] },
          ],
          velocity: [],
        }),
      ),
    );
    const [step] = preview(h, 'policies.propose', { document, deviceId: h.device.alice });
    expect(step!.screen).toContain('Rule 1: Small\n  Amount: up to 0.01 BTC\n  To: any address\n  By: any operator\n  Approvals: 1 of Approvers\n  Delay: none');
    expect(step!.screen).toContain('Rule 2: Large\n  Amount: from 0.01000001 BTC\n  To: whitelist Exchanges');
    expect(step!.screen).toContain('  Delay: 24 h');
    const shown = await screensDuring('alice', () => h.vault.proposePolicy({ document, deviceId: h.device.alice }));
    expect(fillsPreview(step!.screen, shown[0]!), `${step!.screen}\n---\n${shown[0]}`).toBe(true);
    // The signed record carries the format mark, so replay renders it the way the device showed it.
    expect(JSON.parse(h.store.records.all().at(-1)!.body)).toMatchObject({ action: { type: 'set-policy' }, statementFormat: 2 });
    expect(h.vault.verify().status).toBe('ok');
    // The vault was created marked: an unmarked policy proposal (rules shown as a count) is refused in it from the start.
    expect(JSON.parse(h.store.records.all()[0]!.body)).toMatchObject({ type: 'genesis', statementFormat: 2 });
  });

  it('says what is missing while the form is not complete, and names what does not exist', async () => {
    h = harness();
    await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
    await expectError(() => preview(h, 'groups.proposeCreate', { name: '', memberIds: [], deviceId: h.device.alice }), 'BAD_INPUT', /appears once the form is complete: a name is required/);
    await expectError(() => preview(h, 'users.proposeRevoke', { userId: 'u-nobody', deviceId: h.device.alice }), 'NOT_FOUND', /no user u-nobody/);
  });
});
