// The whole flow through the vault service: real SQLite file, virtual Ledgers through the device manager.
import { afterEach, describe, expect, it } from 'vitest';
import { verifyMessage } from 'viem';
import type { EventPayloads } from '../../preload/contract';
import { previewStatements } from '../../main/previews';
import { foundedVault, harness, userId, type Harness } from './helpers';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
function start(): Harness {
  const h = harness();
  open.push(h);
  return h;
}
const text = (screen: { fields: { value: string }[] }) => screen.fields.map((f) => f.value).join('\n');

describe('vault flow', () => {
  it('genesis: the first administrator’s device shows the vault, their name and role, and signs twice', async () => {
    const h = start();
    const changes: EventPayloads['vault.changed'][] = [];
    h.vault.on('changed', (c) => changes.push(c));
    const summary = await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
    expect(summary).toMatchObject({
      name: 'Treasury',
      seq: 0,
      identityPath: "m/44'/60'/0'/0/0",
      settings: { adminQuorum: 1, proposerMayApprove: false, founding: true },
      counts: { users: 1, administrators: 1, groups: 0, pendingProposals: 0 },
      integrity: { status: 'ok', problems: [] },
    });
    expect(h.screens.alice).toHaveLength(2);
    const [registration, genesis] = h.screens.alice.map(text);
    expect(registration).toMatch(/register device[\s\S]*Vault: Treasury[\s\S]*User: Alice[\s\S]*Roles: administrator/);
    expect(genesis).toMatch(/create vault[\s\S]*Vault: Treasury[\s\S]*Admin: Alice/);
    const [alice] = h.vault.listUsers();
    expect(alice).toMatchObject({ name: 'Alice', roles: ['administrator'], status: 'active', address: '0x9858EfFD232B4033E47d90003D41EC34EcaEda94' });
    expect(alice?.encryptionKey).toMatch(/^0x[0-9a-f]{64}$/);
    const audit = h.vault.auditList({ offset: 0, limit: 10 });
    expect(audit.total).toBe(1);
    expect(audit.entries[0]).toMatchObject({ seq: 0, action: 'vault.create', actor: alice?.id, subject: summary.vaultId });
    // The audit entry carries the genesis signature: an auditor can check it against the statement.
    const genesisRecord = JSON.parse(h.store.records.all()[0]!.body) as { signature: string };
    expect(audit.entries[0]?.deviceSignature).toBe(genesisRecord.signature);
    expect(changes).toEqual([{ seq: 0, auditEntries: 1 }]);
  });

  it("the issue's flow: B and C join, quorum 2, D approved by B and C, one rejection, a revoked approver's approval stops counting", async () => {
    const h = start();
    const { alice, bob, carol } = await foundedVault(h);
    expect(h.vault.status().vault?.settings).toEqual({ adminQuorum: 2, proposerMayApprove: false, founding: false, teamModeSince: null });
    // Founding: each of Alice's proposals took effect at once, signed by the new user's device then Alice's.
    expect(h.vault.listProposals().map((p) => p.status)).toEqual(['approved', 'approved', 'approved']);
    expect(h.screens.bob.map(text)[0]).toMatch(/register device[\s\S]*User: Bob[\s\S]*administrator/);

    // D, an operator: proposed by Alice, approved by Bob and Carol on their screens.
    const proposed = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    expect(proposed).toMatchObject({ status: 'pending', needed: 2, approvals: [], title: 'Add user Dave (operator)' });
    expect(proposed.waitingFor.map((u) => u.name).sort()).toEqual(['Bob', 'Carol']);
    expect(h.vault.listUsers().map((u) => u.name)).not.toContain('Dave');
    const [bobPreview] = previewStatements({ vault: h.vault, transfers: () => { throw new Error('no transfers here'); }, devices: h.devices }, 'proposals.approve', { proposalId: proposed.id, deviceId: h.device.bob });
    const afterBob = await h.vault.approve({ proposalId: proposed.id, deviceId: h.device.bob });
    expect(afterBob).toMatchObject({ status: 'pending', approvals: [{ id: bob, name: 'Bob' }], waitingFor: [{ id: carol }] });
    // What Bob's device showed is exactly the preview the console showed, and it verifies for Bob's address.
    const bobScreen = h.screens.bob.at(-1)!;
    expect(text(bobScreen)).toContain(`Proposal: ${proposed.id}`);
    const bobRecord = JSON.parse(h.store.records.all().at(-1)!.body) as { signature: `0x${string}` };
    const bobAddress = h.vault.listUsers().find((u) => u.id === bob)!.address as `0x${string}`;
    expect(await verifyMessage({ address: bobAddress, message: bobPreview!.screen, signature: bobRecord.signature })).toBe(true);
    const done = await h.vault.approve({ proposalId: proposed.id, deviceId: h.device.carol });
    expect(done.status).toBe('approved');
    expect(h.vault.listUsers().find((u) => u.name === 'Dave')).toMatchObject({ roles: ['operator'], status: 'active' });

    // A proposal rejected: with 3 administrators and quorum 2, Bob's rejection leaves it unreachable.
    const group = await h.vault.proposeGroupCreate({ name: 'Signers', memberIds: [bob, userId(h, 'Dave')], deviceId: h.device.alice });
    const rejected = await h.vault.reject({ proposalId: group.id, deviceId: h.device.bob });
    expect(rejected).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/can no longer be reached/) });
    expect(h.vault.listGroups()).toEqual([]);

    // Erin joins as a fourth administrator, so a revocation leaves enough administrators.
    const erinP = await h.vault.proposeUser({ name: 'Erin', roles: ['administrator'], newUserDeviceId: h.device.erin, deviceId: h.device.alice });
    await h.vault.approve({ proposalId: erinP.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: erinP.id, deviceId: h.device.carol });
    const erin = userId(h, 'Erin');

    // Bob approves a group, then is revoked: his pending approval stops counting.
    const ops = await h.vault.proposeGroupCreate({ name: 'Ops', memberIds: [carol], deviceId: h.device.alice });
    await h.vault.approve({ proposalId: ops.id, deviceId: h.device.bob });
    const revoke = await h.vault.proposeRevoke({ userId: bob, deviceId: h.device.alice });
    await h.vault.approve({ proposalId: revoke.id, deviceId: h.device.carol });
    await h.vault.approve({ proposalId: revoke.id, deviceId: h.device.erin });
    expect(h.vault.listUsers().find((u) => u.id === bob)?.status).toBe('revoked');
    const opsNow = h.vault.listProposals({ status: 'pending' }).find((p) => p.id === ops.id);
    expect(opsNow).toMatchObject({ approvals: [], needed: 2 });
    expect(opsNow?.waitingFor.map((u) => u.id).sort()).toEqual([carol, erin].sort());
    expect((await h.vault.approve({ proposalId: ops.id, deviceId: h.device.carol })).status).toBe('pending');
    expect((await h.vault.approve({ proposalId: ops.id, deviceId: h.device.erin })).status).toBe('approved');
    expect(h.vault.listGroups()).toEqual([{ id: expect.any(String), name: 'Ops', members: [{ id: carol, name: 'Carol' }] }]);

    // The audit log shows every state change, one entry each, with a valid chain.
    const records = h.store.records.all().length;
    const audit = h.vault.auditList({ offset: 0, limit: 1000 });
    expect(audit.total).toBe(records);
    expect(audit.entries.map((e) => e.action).reverse()).toEqual([
      'vault.create',
      'proposal.create', 'proposal.create', 'proposal.create', // Bob, Carol, quorum (founding)
      'proposal.create', 'proposal.approve', 'proposal.approve', // Dave
      'proposal.create', 'proposal.reject', // Signers
      'proposal.create', 'proposal.approve', 'proposal.approve', // Erin
      'proposal.create', 'proposal.approve', // Ops, Bob's approval
      'proposal.create', 'proposal.approve', 'proposal.approve', // revoke Bob
      'proposal.approve', 'proposal.approve', // Ops by Carol and Erin
    ]);
    expect(audit.entries.every((e) => e.deviceSignature !== null)).toBe(true);
    expect(h.vault.auditList({ offset: 0, limit: 10, actor: alice }).total).toBe(9);
    expect(h.vault.auditList({ offset: 0, limit: 2, action: 'proposal.reject' })).toMatchObject({ total: 1, entries: [{ actor: bob }] });
    const rejectPayload = JSON.parse(audit.entries.find((e) => e.action === 'proposal.reject')!.payload) as { settled: { status: string }[] };
    expect(rejectPayload.settled).toEqual([expect.objectContaining({ status: 'rejected' })]);
    expect(h.vault.auditVerify()).toMatchObject({ valid: true, entries: records, brokenAt: null });
    expect(h.vault.verify()).toMatchObject({ status: 'ok', problems: [] });

    // Everything survives a restart, and is verified again on start.
    const before = { users: h.vault.listUsers(), proposals: h.vault.listProposals(), groups: h.vault.listGroups() };
    h.reopen();
    expect(h.vault.status().vault?.integrity.status).toBe('ok');
    expect({ users: h.vault.listUsers(), proposals: h.vault.listProposals(), groups: h.vault.listGroups() }).toEqual(before);
  });

  it('whoIs names the member behind a device, or none', async () => {
    const h = start();
    await foundedVault(h);
    expect(await h.vault.whoIs({ deviceId: h.device.bob })).toMatchObject({ user: { name: 'Bob', roles: ['administrator'], status: 'active' } });
    expect(await h.vault.whoIs({ deviceId: h.device.mallory })).toMatchObject({ user: null, address: expect.stringMatching(/^0x/) });
  });

  it('roles change, group edit and the proposer setting go through the quorum', async () => {
    const h = start();
    const { bob, carol } = await foundedVault(h);
    const approveBoth = async (id: string, by: ('alice' | 'bob' | 'carol')[]) => {
      let last;
      for (const p of by) last = await h.vault.approve({ proposalId: id, deviceId: h.device[p] });
      return last;
    };
    const d = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    await approveBoth(d.id, ['bob', 'carol']);
    const dave = userId(h, 'Dave');
    const roles = await h.vault.proposeRoles({ userId: dave, roles: ['auditor', 'approver'], deviceId: h.device.bob });
    expect(roles.title).toBe('Set the roles of Dave to approver, auditor');
    await approveBoth(roles.id, ['alice', 'carol']);
    expect(h.vault.listUsers().find((u) => u.id === dave)?.roles).toEqual(['approver', 'auditor']);
    const g = await h.vault.proposeGroupCreate({ name: 'Approvers', memberIds: [dave], deviceId: h.device.alice });
    await approveBoth(g.id, ['bob', 'carol']);
    const groupId = h.vault.listGroups()[0]!.id;
    const edit = await h.vault.proposeGroupEdit({ groupId, name: 'Approvers EU', memberIds: [dave, bob], deviceId: h.device.alice });
    await approveBoth(edit.id, ['bob', 'carol']);
    expect(h.vault.listGroups()).toEqual([{ id: groupId, name: 'Approvers EU', members: [{ id: dave, name: 'Dave' }, { id: bob, name: 'Bob' }] }]);
    const pma = await h.vault.proposeProposerMayApprove({ value: true, deviceId: h.device.carol });
    await approveBoth(pma.id, ['alice', 'bob']);
    expect(h.vault.status().vault?.settings.proposerMayApprove).toBe(true);
    // Now a proposer's signature counts: Carol's proposal needs one more approval.
    const next = await h.vault.proposeGroupCreate({ name: 'Ops', memberIds: [carol], deviceId: h.device.carol });
    expect(next).toMatchObject({ approvals: [{ id: carol }], status: 'pending' });
    expect(h.vault.verify().status).toBe('ok');
  });
});
