// Bad inputs, wrong actors and device rejections: each refused with a clear error, before any device is bothered, writing nothing.
import { hostClientFor } from '../../main/mpc/launch-node';
import { afterEach, describe, expect, it } from 'vitest';
import { channels } from '../../preload/contract';
import { createHandlers, bindEvents } from '../../main/ipc/handlers';
import { dispatch } from '../../main/ipc/dispatch';
import { silentLogger } from '../../main/log';
import { startServices } from '../../main/services';
import { expectError, foundedVault, harness, PHRASES, tempDir, userId, type Harness } from './helpers';

const open: Harness[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});
function start(): Harness {
  const h = harness();
  open.push(h);
  return h;
}
const screensShown = (h: Harness) => Object.values(h.screens).reduce((n, s) => n + s.length, 0);
const written = (h: Harness) => ({ records: h.store.records.all().length, audit: h.store.audit.count() });

/** Runs `act`, expects `code`, and checks no device showed a screen and nothing was written. */
async function refusedQuietly(h: Harness, act: () => Promise<unknown>, code: Parameters<typeof expectError>[1], message?: RegExp) {
  const shown = screensShown(h);
  const before = written(h);
  const err = await expectError(act, code, message);
  expect(screensShown(h), 'no device was asked to sign').toBe(shown);
  expect(written(h)).toEqual(before);
  return err;
}

describe('refusals', () => {
  it('acting before there is a vault, or creating one twice', async () => {
    const h = start();
    await refusedQuietly(h, () => h.vault.proposeQuorum({ quorum: 2, deviceId: h.device.alice }), 'VAULT_NOT_FOUND', /Create one/);
    expect(h.vault.status()).toEqual({ vault: null });
    await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
    await refusedQuietly(h, () => h.vault.create({ name: 'Other', adminName: 'Bob', deviceId: h.device.bob }), 'VAULT_EXISTS', /already holds the vault "Treasury"/);
  });

  it('a name a device cannot show faithfully', async () => {
    const h = start();
    await refusedQuietly(h, () => h.vault.create({ name: 'Tre  asury', adminName: 'Alice', deviceId: h.device.alice }), 'BAD_INPUT', /two spaces/);
  });

  it('a device that is not a user, a non-administrator, a revoked administrator', async () => {
    const h = start();
    await foundedVault(h);
    const d = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    await refusedQuietly(h, () => h.vault.approve({ proposalId: d.id, deviceId: h.device.mallory }), 'NOT_AUTHORISED', /is not a member of the vault "Treasury"/);
    await h.vault.approve({ proposalId: d.id, deviceId: h.device.bob });
    await h.vault.approve({ proposalId: d.id, deviceId: h.device.carol });
    const g = await h.vault.proposeGroupCreate({ name: 'Ops', memberIds: [], deviceId: h.device.alice });
    await refusedQuietly(h, () => h.vault.approve({ proposalId: g.id, deviceId: h.device.dave }), 'NOT_AUTHORISED', /Dave is not an administrator/);
    await refusedQuietly(h, () => h.vault.proposeQuorum({ quorum: 1, deviceId: h.device.dave }), 'NOT_AUTHORISED', /Dave is not an administrator/);
  });

  it('approving twice, approving a closed proposal, the proposer approving, an unknown proposal', async () => {
    const h = start();
    await foundedVault(h);
    const d = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    await refusedQuietly(h, () => h.vault.approve({ proposalId: d.id, deviceId: h.device.alice }), 'RULE_VIOLATION', /You proposed this change/);
    await h.vault.approve({ proposalId: d.id, deviceId: h.device.bob });
    await refusedQuietly(h, () => h.vault.approve({ proposalId: d.id, deviceId: h.device.bob }), 'RULE_VIOLATION', /Bob already approved this proposal.*counts once/);
    await refusedQuietly(h, () => h.vault.reject({ proposalId: d.id, deviceId: h.device.bob }), 'RULE_VIOLATION', /already approved/);
    await h.vault.approve({ proposalId: d.id, deviceId: h.device.carol });
    await refusedQuietly(h, () => h.vault.reject({ proposalId: d.id, deviceId: h.device.carol }), 'RULE_VIOLATION', /already approved; there is nothing left to reject/);
    await refusedQuietly(h, () => h.vault.approve({ proposalId: 'p-nope', deviceId: h.device.bob }), 'NOT_FOUND', /no proposal p-nope/);
  });

  it('changes the rules refuse: a bad quorum, a duplicate name, a device registered twice, unknown users and groups', async () => {
    const h = start();
    const { bob } = await foundedVault(h);
    await refusedQuietly(h, () => h.vault.proposeQuorum({ quorum: 3, deviceId: h.device.alice }), 'RULE_VIOLATION', /quorum must be below 3/);
    await refusedQuietly(h, () => h.vault.proposeQuorum({ quorum: 2, deviceId: h.device.alice }), 'RULE_VIOLATION', /already 2/);
    await refusedQuietly(h, () => h.vault.proposeUser({ name: 'bob', roles: ['auditor'], newUserDeviceId: h.device.dave, deviceId: h.device.alice }), 'RULE_VIOLATION', /already named Bob/);
    await refusedQuietly(h, () => h.vault.proposeUser({ name: 'Bobby', roles: ['auditor'], newUserDeviceId: h.device.bob, deviceId: h.device.alice }), 'RULE_VIOLATION', /already registered as Bob/);
    await refusedQuietly(h, () => h.vault.proposeUser({ name: 'Self', roles: ['auditor'], newUserDeviceId: h.device.alice, deviceId: h.device.alice }), 'BAD_INPUT', /own device/);
    await refusedQuietly(h, () => h.vault.proposeRevoke({ userId: bob, deviceId: h.device.alice }), 'RULE_VIOLATION', /cannot reach a quorum/);
    await refusedQuietly(h, () => h.vault.proposeRevoke({ userId: 'u-nobody', deviceId: h.device.alice }), 'NOT_FOUND', /no user u-nobody/);
    await refusedQuietly(h, () => h.vault.proposeGroupCreate({ name: 'Ops', memberIds: ['u-nobody'], deviceId: h.device.alice }), 'NOT_FOUND');
    await refusedQuietly(h, () => h.vault.proposeGroupEdit({ groupId: 'g-nope', name: 'X', deviceId: h.device.alice }), 'NOT_FOUND', /no group g-nope/);
  });

  it('a rejection on a device leaves nothing written: the proposer, the new user, an approver', async () => {
    const h = start();
    await foundedVault(h);
    const before = written(h);
    h.answer.alice = 'reject';
    await expectError(h.vault.proposeQuorum({ quorum: 1, deviceId: h.device.alice }), 'RULE_VIOLATION');
    await expectError(h.vault.proposeGroupCreate({ name: 'Ops', memberIds: [], deviceId: h.device.alice }), 'REJECTED_ON_DEVICE');
    h.answer.alice = 'approve';
    h.answer.dave = 'reject';
    await expectError(h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice }), 'REJECTED_ON_DEVICE');
    expect(h.screens.dave).toHaveLength(1);
    expect(h.screens.alice.length).toBe(6); // two at genesis, one per founding proposal, the rejected one
    h.answer.dave = 'approve';
    expect(written(h)).toEqual(before);
    const d = await h.vault.proposeUser({ name: 'Dave', roles: ['operator'], newUserDeviceId: h.device.dave, deviceId: h.device.alice });
    h.answer.bob = 'reject';
    await expectError(h.vault.approve({ proposalId: d.id, deviceId: h.device.bob }), 'REJECTED_ON_DEVICE');
    expect(h.vault.listProposals({ status: 'pending' })[0]).toMatchObject({ id: d.id, approvals: [], rejections: [] });
    expect(h.vault.verify().status).toBe('ok');
    expect(userId(h, 'Alice')).toBeTruthy();
  });
});

describe('the vault channels through the handler table', () => {
  it('validates inputs, answers Results, and forwards vault.changed and the progress of Verify', async () => {
    const dir = tempDir();
    const services = await startServices({ dataDir: dir, shell: 'cli', version: 'test', log: silentLogger, mpc: hostClientFor(dir, { env: { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' } }) });
    try {
      const handlers = createHandlers(services);
      const events: unknown[] = [];
      const stop = bindEvents(services, (event, payload) => events.push([event, payload]));
      const { device } = services.devices.addVirtual({ mnemonic: PHRASES.alice });
      services.devices.virtualLedger(device.id).screen.setResponder(() => 'approve');
      const bad = await dispatch(handlers, 'users.propose', { name: 'Dave\nEvil', roles: [], deviceId: device.id, newUserDeviceId: 'x' }, silentLogger);
      expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
      const extra = await dispatch(handlers, 'proposals.approve', { proposalId: 'p', deviceId: device.id, sneaky: 1 }, silentLogger);
      expect(extra).toMatchObject({ ok: false, error: { code: 'BAD_INPUT' } });
      expect(await dispatch(handlers, 'vault.status', {}, silentLogger)).toEqual({ ok: true, value: { vault: null } });
      const created = await dispatch(handlers, 'vault.create', { name: 'Treasury', adminName: 'Alice', deviceId: device.id }, silentLogger);
      expect(created).toMatchObject({ ok: true, value: { name: 'Treasury', settings: { founding: true } } });
      expect(events).toContainEqual(['vault.changed', { seq: 0, auditEntries: 1 }]);
      const unknown = await dispatch(handlers, 'proposals.approve', { proposalId: 'p-x', deviceId: device.id }, silentLogger);
      expect(unknown).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
      const list = await dispatch(handlers, 'audit.list', {}, silentLogger);
      expect(list).toMatchObject({ ok: true, value: { total: 1 } });
      expect(channels['audit.list'].input.parse({})).toEqual({ offset: 0, limit: 200 });
      const verified = await dispatch(handlers, 'vault.verify', {}, silentLogger);
      expect(verified).toMatchObject({ ok: true, value: { status: 'ok', replay: { from: 'genesis', records: 1, total: 1 } } });
      expect(events).toContainEqual(['vault.verifyProgress', { stage: 'done', done: 1, total: 1 }]);
      stop();
    } finally {
      await services.close();
    }
  });
});
