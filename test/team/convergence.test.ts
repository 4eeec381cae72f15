// Three consoles, each its own SQLite and virtual Ledgers, append concurrently to one team log on a real nats-server:
// all end with the same head, each stream sequence won once, and every loser retried without a new device signature.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKPOINT_EVERY, createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { startNatsServer, type NatsServer } from './nats-server';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' }, c: { user: 'console-c', password: 'pc' } };

describe('team log convergence (real nats-server)', () => {
  let server: NatsServer;
  let a: TeamConsole;
  let b: TeamConsole;
  let c: TeamConsole;
  let pin: { vaultId: string; genesisAddress: string };

  beforeAll(async () => {
    server = await startNatsServer({ admin, consoles: Object.values(users) });
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    b = teamConsole('b', ['bob']);
    c = teamConsole('c', ['carol']);
    pin = await foundVault(a);
    await createStream(server, admin, pin.vaultId);
  });
  afterAll(async () => {
    await Promise.all([a, b, c].map((x) => x?.close()));
    await server?.stop();
  });

  it('publishes the founding console’s log, and new consoles with empty folders adopt it from the pinned genesis', async () => {
    const joined = await a.join(server, users.a);
    expect(joined.pushed.published).toBe(a.store.records.count());
    const jb = await b.join(server, users.b, pin);
    await c.join(server, users.c, pin);
    expect(jb.adopted.adopted).toBe(a.store.records.count());
    for (const x of [a, b, c]) x.attach();
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    expect(c.vault.logHead()).toEqual(a.vault.logHead());
    // Adopted records pass the full check: every signature, the projection, the audit chain, the checkpoint.
    expect(b.vault.verify().status).toBe('ok');
    expect(b.vault.auditList({ offset: 0, limit: 100 }).entries.every((e) => e.action === 'log.adopt')).toBe(true);
  });

  it('200 concurrent proposals by three administrators on three consoles converge on one head', async () => {
    const before = a.store.records.count();
    const signaturesBefore = [a, b, c].map((x) => x.signatures());
    const people = [
      { console: a, person: 'alice' as const, name: 'Alice' },
      { console: b, person: 'bob' as const, name: 'Bob' },
      { console: c, person: 'carol' as const, name: 'Carol' },
    ];
    const counts = [67, 67, 66];
    await Promise.all(
      people.map(async ({ console: x, person, name }, i) => {
        const me = userIdOf(x, name);
        for (let n = 0; n < (counts[i] ?? 0); n++) {
          await x.vault.proposeGroupCreate({ name: `Desk ${name} ${n}`, memberIds: [me], deviceId: need(x, person) });
        }
      }),
    );
    for (const x of [a, b, c]) await x.vault.teamSync();
    const total = before + 200;
    const heads = [a, b, c].map((x) => x.vault.logHead());
    expect(heads[0]?.count).toBe(total);
    expect(heads[1]).toEqual(heads[0]);
    expect(heads[2]).toEqual(heads[0]);
    // Each stream sequence won once: the stream holds exactly the log, nothing refused, no duplicate.
    const described = await (await a.session?.stream())?.describe();
    expect(described?.lastSeq).toBe(total);
    for (const x of [a, b, c]) {
      expect(x.store.teamEntries.refusedCount()).toBe(0);
      expect(x.store.teamEntries.cursor()).toBe(total);
    }
    const groups = a.vault.listProposals().filter((p) => p.title.startsWith('Create group Desk'));
    expect(new Set(groups.map((p) => p.title)).size).toBe(200);
    // One device signature per record: losers were rebased, not signed again.
    const signed = [a, b, c].map((x, i) => x.signatures() - (signaturesBefore[i] ?? 0));
    expect(signed).toEqual(counts);
    // Some appends lost the race and moved: their records carry the seq they were signed at.
    const rebased = a.store.records.after(before - 1).filter((r) => (JSON.parse(r.body) as { basis?: number }).basis !== undefined);
    expect(rebased.length).toBeGreaterThan(0);
    // Every audit entry names the record it is about at the seq where it ended, rebased or not.
    for (const x of [a, b, c]) {
      for (const entry of x.store.audit.iterate()) {
        const payload = entry.payload as { recordSeq: number };
        const record = JSON.parse(x.store.records.bodyAt(payload.recordSeq) ?? '{}') as { proposalId?: string; vaultId: string };
        expect(entry.subject).toBe(record.proposalId ?? record.vaultId);
      }
    }
    for (const x of [a, b, c]) {
      // Checkpoints were written while records were adopted, and the full check (every signature from genesis, the
      // projection, the stored checkpoint against the replay at its seq, the audit chain) holds on every console.
      expect(x.store.checkpoint.get()?.seq).toBeGreaterThanOrEqual(total - CHECKPOINT_EVERY);
      expect(x.vault.verify().status).toBe('ok');
    }
  }, 120_000);
});
