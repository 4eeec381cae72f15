// The inbox main answers for the person acting: approvals they may give, shares they must provide, ceremonies their
// device takes part in, proposals to decide; and what is new is announced once, after the change that made it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Inbox } from '../../main/inbox';
import type { InboxItem } from '../../preload/contract';
import { transferHarness, type TransferHarness } from './helpers';

let h: TransferHarness;
let inbox: Inbox;
const announced: InboxItem[][] = [];

beforeAll(async () => {
  h = await transferHarness();
  inbox = new Inbox(() => h.vault, () => h.transfers);
  inbox.listen();
  inbox.on('new', (items) => announced.push(items));
}, 240_000);
afterAll(async () => {
  await h?.close();
});

const kinds = async (who: keyof TransferHarness['device']) => (await inbox.get(h.device[who])).items.map((i) => `${i.kind} ${i.id}`);

describe('the inbox', () => {
  let small = '';

  it('gives the approvers a request to approve, not its operator nor anyone outside the step’s group', async () => {
    small = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave })).id;
    expect(await kinds('erin')).toEqual([`approval ${small}`]);
    expect(await kinds('mallory')).toEqual([`approval ${small}`]);
    expect(await kinds('dave')).toEqual([]);
    expect(await kinds('alice')).toEqual([]);
    const view = await inbox.get(h.device.erin);
    expect(view).toMatchObject({ person: { name: 'Erin' }, counts: { approval: 1, proposal: 0, signing: 0, ceremony: 0 } });
    expect(view.items[0]).toMatchObject({ title: `Approve or reject ${small}: 0.001 BTC from Cold BTC`, link: { name: 'transfer', id: small } });
  });

  it('once approved, the request waits for its custodians’ shares, announced once to the custodian acting', async () => {
    await inbox.get(h.device.alice);
    announced.length = 0;
    await h.transfers.approve({ requestId: small, deviceId: h.device.erin });
    expect(announced).toEqual([[expect.objectContaining({ kind: 'signing', id: small, title: `Provide your key share to sign ${small}: 0.001 BTC from Cold BTC` })]]);
    expect(await kinds('mallory')).toEqual([]);
    expect(await kinds('bob')).toEqual([`signing ${small}`]);
    // A change that brings Alice nothing new announces nothing.
    await inbox.get(h.device.alice);
    announced.length = 0;
    await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '100000', feeRate: 1, deviceId: h.device.dave });
    expect(announced).toEqual([]);
  });

  it('proposals wait for the administrators who may still decide them; a refresh owed waits for every custodian', async () => {
    const p = await h.vault.proposeRefresh({ walletId: h.walletId, deviceId: h.device.alice });
    await inbox.get(h.device.bob);
    expect(await kinds('bob')).toContain(`proposal ${p.id}`);
    expect(await kinds('alice')).not.toContain(`proposal ${p.id}`);
    announced.length = 0;
    await inbox.get(h.device.carol);
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: p.id, deviceId: h.device.carol });
    // Carol is watched: the ceremony she now takes part in is announced once.
    expect(announced.flat().map((i) => i.kind)).toContain('ceremony');
    for (const who of ['alice', 'bob', 'carol'] as const) expect((await kinds(who)).some((k) => k.startsWith('ceremony '))).toBe(true);
    expect((await kinds('erin')).some((k) => k.startsWith('ceremony '))).toBe(false);
    // While the wallet owes its refresh nothing can be signed: no share is asked for.
    expect((await kinds('bob')).some((k) => k.startsWith('signing '))).toBe(false);
    await h.ceremonies.run(h.walletId);
    expect(await kinds('bob')).toEqual([`signing ${small}`]);
  });
});
