// A hostile writer with valid NATS credentials (a raw client, not Custos) publishes forged, unsigned, replayed and
// reordered records into the vault's stream: every console refuses and skips them alike, keeps why, and the honest log
// goes on; deleting, purging or reconfiguring the stream fails.
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../crypto/canonical';
import { PLACEHOLDER_SIGNATURE, rebaseRecord, type GovernanceRecord, type ProposalRecord } from '../../crypto/governance';
import { teamStatus } from '../../main/team/team';
import { streamName, logSubject } from '../../main/team/stream';
import { createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { startNatsServer, type NatsServer } from './nats-server';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' }, mallory: { user: 'console-m', password: 'pm' } };

describe('a hostile writer with valid credentials (real nats-server)', () => {
  let server: NatsServer;
  let a: TeamConsole;
  let b: TeamConsole;
  let forger: TeamConsole;
  let pin: { vaultId: string; genesisAddress: string };

  beforeAll(async () => {
    server = await startNatsServer({ admin, consoles: Object.values(users) });
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    b = teamConsole('b', ['bob']);
    forger = teamConsole('m', ['mallory']);
    pin = await foundVault(a);
    // Mallory founds a vault of her own: its genesis is well signed, but not this vault's.
    await forger.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: need(forger, 'mallory') });
    await createStream(server, admin, pin.vaultId);
    await a.join(server, users.a);
    await b.join(server, users.b, pin);
    a.attach();
    b.attach();
  });
  afterAll(async () => {
    await Promise.all([a, b, forger].map((x) => x?.close()));
    await server?.stop();
  });

  it('refuses and skips forged, unsigned, replayed, reordered and foreign records on every console; the honest log goes on', async () => {
    await a.vault.proposeGroupCreate({ name: 'Ops', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    await b.vault.teamSync();
    const honest = a.store.records.all().map((r) => JSON.parse(r.body) as GovernanceRecord);
    const last = honest[honest.length - 1] as ProposalRecord;
    const next = last.seq + 1;
    const nc = await connect({ servers: server.url, user: users.mallory.user, pass: users.mallory.password });
    const js = jetstream(nc);
    const hostile: Record<string, string> = {
      'not JSON': '{"type":"proposal",',
      unsigned: canonicalize({ ...last, seq: next, proposalId: 'p-forged', signature: PLACEHOLDER_SIGNATURE }),
      'forged (another action under a real signature)': canonicalize({ ...last, seq: next, proposalId: 'p-forged-2', action: { ...last.action, group: { id: 'g-x', name: 'Mallory', members: [] } } } as never),
      'replayed (an exact copy)': canonicalize(honest[3] as never),
      'reordered (an old record at the next seq)': canonicalize({ ...(honest[4] as GovernanceRecord), seq: next } as never),
      'reordered (an old record rebased)': canonicalize(rebaseRecord(honest[4] as GovernanceRecord, next) as never),
      'not canonical': JSON.stringify(honest[4], null, 1),
      'another vault’s genesis': forger.store.records.bodyAt(0) ?? '',
    };
    for (const body of Object.values(hostile)) await js.publish(logSubject(pin.vaultId), body);
    await nc.close();

    // The honest consoles go on: Bob and Carol approve, Alice proposes again; each lost race is caught up past the junk.
    const ops = a.vault.listProposals({ status: 'pending' })[0];
    expect(ops).toBeDefined();
    await b.vault.approve({ proposalId: ops?.id ?? '', deviceId: need(b, 'bob') });
    await a.vault.approve({ proposalId: ops?.id ?? '', deviceId: need(a, 'carol') });
    await a.vault.proposeGroupCreate({ name: 'Treasury desk', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    for (const x of [a, b]) await x.vault.teamSync();
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    expect(a.vault.listGroups().map((g) => g.name)).toEqual(['Ops']);

    const refusedA = a.store.teamEntries.refusals(100);
    const refusedB = b.store.teamEntries.refusals(100);
    expect(refusedA.length).toBe(Object.keys(hostile).length);
    // Every console refuses the same entries for the same reasons: the log is the valid subsequence, computed alike.
    expect(refusedB.map((r) => [r.streamSeq, r.refused])).toEqual(refusedA.map((r) => [r.streamSeq, r.refused]));
    const reasons = refusedA.map((r) => r.refused ?? '').reverse();
    expect(reasons[0]).toMatch(/not JSON/);
    expect(reasons[1]).toMatch(/not signed by .*BAD_SIGNATURE/);
    expect(reasons[2]).toMatch(/not signed by .*BAD_SIGNATURE/);
    expect(reasons[3]).toMatch(/copy of record 3|already in this vault's log/);
    // An old record moved on (its seq changed, or rebased with its basis): what it did is already done.
    expect(reasons[4]).toMatch(/already exists/);
    expect(reasons[5]).toMatch(/already exists/);
    expect(reasons[6]).toMatch(/canonical/);
    expect(reasons[7]).toMatch(/already in this vault's log/);
    // Nothing refused was applied: the full check (every signature, projection, audit chain) holds on both.
    for (const x of [a, b]) expect(x.vault.verify().status).toBe('ok');
    const status = await teamStatus(b.dir, b.store, b.vault);
    expect(status).toMatchObject({ team: true, connected: true, refused: 8, lag: 0, local: a.vault.logHead() === null ? {} : { seq: (a.vault.logHead()?.count ?? 0) - 1 } });
    expect(status.refusals[0]?.excerpt).toBe(hostile['another vault’s genesis']?.slice(0, 2048));
  });

  it('a console’s credentials cannot purge, delete or reconfigure the stream, nor delete an entry; nor can the server administrator purge or delete entries', async () => {
    const nc = await connect({ servers: server.url, user: users.mallory.user, pass: users.mallory.password });
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    const name = streamName(pin.vaultId);
    await expect(jsm.streams.purge(name)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.deleteMessage(name, 1)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.delete(name)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.update(name, { deny_purge: false })).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.add({ name: 'CUSTOS_LOG_other', subjects: ['custos.log.other'] })).rejects.toThrow(/Permissions Violation/);
    await nc.close();
    const root = await connect({ servers: server.url, user: admin.user, pass: admin.password });
    const rjsm = await jetstreamManager(root, { checkAPI: false });
    await expect(rjsm.streams.purge(name)).rejects.toThrow(/purge not permitted/);
    await expect(rjsm.streams.deleteMessage(name, 1)).rejects.toThrow(/delete not permitted/);
    expect((await rjsm.streams.info(name)).state.messages).toBe(a.store.teamEntries.cursor());
    await root.close();
  });
});
