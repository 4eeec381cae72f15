// A record that landed in the stream while its console never heard so (a lost acknowledgement, a crash right after
// the publish): the console that signed it finds it on catch-up and records it as its own, once, with no second
// publish and no new device signature; after a crash, the restarted console adopts it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeamStream } from '../../main/team/stream';
import { connectTeam } from '../../main/team/connection';
import { Store } from '../../main/store';
import { VaultService } from '../../main/vault';
import type { LogReplication } from '../../main/vault/log-writer';
import { CustosError } from '../../main/errors';
import { CHECKPOINT_EVERY, createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { startNatsServer, type NatsServer } from './nats-server';

describe('a lost acknowledgement (real nats-server)', () => {
  let server: NatsServer;
  let a: TeamConsole;
  let stream: TeamStream;
  let close: () => Promise<void>;
  let pin: { vaultId: string; genesisAddress: string };

  beforeAll(async () => {
    server = await startNatsServer();
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    pin = await foundVault(a);
    await createStream(server, null, pin.vaultId);
    await a.join(server, null);
    const nc = await connectTeam({ servers: [server.url], user: null, password: null });
    stream = await TeamStream.open(nc, pin.vaultId, { create: false, user: null });
    close = () => nc.close();
  });
  afterAll(async () => {
    await close?.();
    await a?.close();
    await server?.stop();
  });

  /** The real stream, whose next append lands but is answered as `answer` says. */
  const losing = (answer: 'behind' | 'crash'): LogReplication & { appends: number } => {
    let lose = true;
    const r = {
      appends: 0,
      genesis: { vaultId: pin.vaultId, adminAddress: pin.genesisAddress },
      entriesAfter: (seq: number) => stream.entriesAfter(seq),
      append: async (body: string, expected: number) => {
        r.appends++;
        const outcome = await stream.append(body, expected);
        if (!lose) return outcome;
        lose = false;
        if (answer === 'behind') return 'behind' as const;
        throw new CustosError('TEAM_UNREACHABLE', 'the connection dropped before the acknowledgement');
      },
    };
    return r;
  };

  it('finds its own record on catch-up and records it as its own: one entry, one publish, one signature', async () => {
    const replica = losing('behind');
    a.vault.replicate(replica);
    const signatures = a.signatures();
    await a.vault.proposeGroupCreate({ name: 'Ops', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    expect(replica.appends).toBe(1);
    expect(a.signatures()).toBe(signatures + 1);
    expect((await stream.describe()).lastSeq).toBe(a.store.records.count());
    expect(a.store.teamEntries.refusedCount()).toBe(0);
    // Its own audit entry (the proposer's), not an adoption.
    expect(a.vault.auditList({ offset: 0, limit: 1 }).entries[0]).toMatchObject({ action: 'proposal.create' });
  });

  it('after a crash between the publish and the commit, the restarted console adopts the record once', async () => {
    a.vault.replicate(losing('crash'));
    await expect(a.vault.proposeGroupCreate({ name: 'Risk', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') })).rejects.toThrow(/connection dropped/);
    const before = a.store.records.count();
    expect((await stream.describe()).lastSeq).toBe(before + 1);
    // The process restarts: a new service on the same folder, attached from its settings.
    a.vault.replicate(null);
    a.vault.close();
    a.store.close();
    a.store = Store.open(a.dir);
    a.vault = new VaultService({ store: a.store, devices: a.devices, checkpointInterval: CHECKPOINT_EVERY });
    a.attach();
    const report = await a.vault.teamSync();
    expect(report).toMatchObject({ adopted: 1, refused: [] });
    expect(a.store.records.count()).toBe(before + 1);
    expect(a.vault.listProposals().filter((p) => p.title.startsWith('Create group Risk'))).toHaveLength(1);
    expect(a.vault.verify().status).toBe('ok');
  });
});
