// Joining a team log and living with it: a genesis that is not the one given is refused, errors say what is wrong
// (server down, which credential, no stream), a console offline records nothing and asks no device, and an air-gapped
// console exchanges the log as bundle files, checked the same way.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBundle, importBundle } from '../../main/team/bundle';
import { TEAM_FILE } from '../../main/team/settings';
import { followTeam, teamStatus } from '../../main/team/team';
import { expectError } from '../vault/helpers';
import { createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { freePort, startNatsServer, type NatsServer } from './nats-server';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' } };

describe('joining the team log (real nats-server)', () => {
  let server: NatsServer;
  let a: TeamConsole;
  let pin: { vaultId: string; genesisAddress: string };
  const others: TeamConsole[] = [];
  const fresh = (name: string, people: Parameters<typeof teamConsole>[1] = ['bob']) => {
    const c = teamConsole(name, people);
    others.push(c);
    return c;
  };

  beforeAll(async () => {
    server = await startNatsServer({ admin, consoles: Object.values(users) });
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    pin = await foundVault(a);
    await createStream(server, admin, pin.vaultId);
    await a.join(server, users.a);
    a.attach();
  });
  afterAll(async () => {
    await Promise.all([a, ...others].map((x) => x?.close()));
    await server?.stop();
  });

  it('refuses a stream whose genesis is not the one given (vault id and genesis administrator), and writes no settings', async () => {
    const b = fresh('b');
    const wrongAdmin = { ...pin, genesisAddress: '0x' + '11'.repeat(20) };
    await expectError(b.join(server, users.b, wrongAdmin), 'TEAM_STREAM', /holds no genesis of vault .* by 0x1111.*a genesis of vault .* by 0x9858/);
    expect(existsSync(path.join(b.dir, TEAM_FILE))).toBe(false);
    expect(b.store.records.count()).toBe(0);
    await expectError(b.join(server, users.b, { ...pin, vaultId: 'v-elsewhere' }), 'TEAM_STREAM', /has no log for vault v-elsewhere/);
    // The mistake leaves nothing behind: the same folder joins with what the inviting administrator gave.
    await b.join(server, users.b, pin);
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    // A console holding a vault joins only that vault's log.
    await expectError(a.join(server, users.a, { ...pin, vaultId: 'v-elsewhere' }), 'TEAM_STREAM', /holds vault .*, not vault v-elsewhere/);
  });

  it('says which credential the server refused, and that a server is down', async () => {
    const b = fresh('b2');
    await expectError(b.join(server, { user: 'console-b', password: 'wrong' }, pin), 'TEAM_AUTH', /refused the credential of user "console-b"/);
    await expectError(b.join(server, null, pin), 'TEAM_AUTH', /asks for a user and password/);
    const down = { ...server, url: `nats://127.0.0.1:${await freePort()}` };
    await expectError(b.join(down, users.b, pin), 'TEAM_UNREACHABLE', /cannot be reached/);
  });

  it('a console joining later catches up; offline, it reads but records nothing and asks no device', async () => {
    await a.vault.proposeGroupCreate({ name: 'Ops', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    const b = fresh('b3');
    const joined = await b.join(server, users.b, pin);
    expect(joined.adopted.adopted).toBe(a.store.records.count());
    b.attach();
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    // The settings survive a restart: a new attach from the data folder follows the same stream.
    expect(JSON.parse(readFileSync(path.join(b.dir, TEAM_FILE), 'utf8'))).toMatchObject({ vaultId: pin.vaultId, user: 'console-b', credentialFile: 'team-credential' });

    await server.kill();
    try {
      const before = b.signatures();
      await expectError(b.vault.approve({ proposalId: b.vault.listProposals({ status: 'pending' })[0]?.id ?? '', deviceId: need(b, 'bob') }), 'TEAM_UNREACHABLE', /cannot be reached/);
      expect(b.signatures()).toBe(before);
      expect(b.vault.listProposals({ status: 'pending' })).toHaveLength(1);
      const status = await teamStatus(b.dir, b.store, b.vault);
      expect(status).toMatchObject({ team: true, connected: false, local: { seq: a.store.records.count() - 1 } });
      expect(status.error).toMatch(/cannot be reached/);
    } finally {
      await server.restart();
    }
    // Back online: the same console appends (its connection is made again).
    await b.vault.approve({ proposalId: b.vault.listProposals({ status: 'pending' })[0]?.id ?? '', deviceId: need(b, 'bob') });
    await a.vault.teamSync();
    expect(a.vault.logHead()).toEqual(b.vault.logHead());
  });

  it('a console following its team adopts what another appends without being asked, and says what it refused', async () => {
    const f = fresh('f');
    await f.join(server, users.b, pin);
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    const following = followTeam(f.dir, f.vault, log, 60_000);
    try {
      await a.vault.proposeGroupCreate({ name: 'Followed', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
      // The poll is a minute away: the entry's notification is what brings it.
      await expect.poll(() => f.vault.logHead()?.count, { timeout: 15_000 }).toBe(a.store.records.count());
      expect(f.vault.logHead()).toEqual(a.vault.logHead());
      // The head moves inside the catch-up; its report (and the line) comes when the catch-up returns, a moment later.
      await expect.poll(() => lines, { timeout: 5_000 }).toContain('records adopted from the team log');
    } finally {
      await following?.close();
    }
  });

  it('a console whose team settings cannot be read records nothing (it does not fall back to a single desk)', async () => {
    const g = fresh('g', ['bob']);
    await g.join(server, users.b, pin);
    writeFileSync(path.join(g.dir, TEAM_FILE), '{"version": 1, "servers": ["http://wrong"]}');
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
    expect(followTeam(g.dir, g.vault, log)).toBeNull();
    expect(lines).toEqual(['the team settings cannot be used: this console records nothing until they are fixed']);
    const before = g.signatures();
    await expectError(g.vault.proposeGroupCreate({ name: 'Apart', memberIds: [userIdOf(g, 'Bob')], deviceId: need(g, 'bob') }), 'BAD_INPUT', /team settings .* cannot be used: "servers" must list nats:\/\/ or tls:\/\/ URLs/);
    expect(g.signatures()).toBe(before);
  });

  it('an air-gapped console adopts bundle files, each record checked; a forged record in a bundle is refused', async () => {
    const d = fresh('d', []);
    const file = path.join(d.dir, 'bundle.json');
    const all = exportBundle(a.store, a.vault, -1, file);
    const first = await importBundle(d.vault, file, { adminAddress: pin.genesisAddress });
    expect(first).toMatchObject({ adopted: all.records.length, refused: [], headMatches: true });
    expect(d.vault.verify().status).toBe('ok');

    await a.vault.proposeGroupCreate({ name: 'Risk', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    const after = all.records.length - 1;
    const next = exportBundle(a.store, a.vault, after - 2, file);
    expect(next.records).toHaveLength(3);
    const second = await importBundle(d.vault, file, null);
    expect(second).toMatchObject({ adopted: 1, present: 2, refused: [], headMatches: true });

    // The same bundle with its last record's group renamed under the original signature.
    await a.vault.proposeGroupCreate({ name: 'Audit', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    const tampered = exportBundle(a.store, a.vault, d.store.records.count() - 1, file);
    writeFileSync(file, JSON.stringify({ ...tampered, records: tampered.records.map((r) => r.replace('"Audit"', '"Mallory"')) }));
    const third = await importBundle(d.vault, file, null);
    expect(third.adopted).toBe(0);
    expect(third.refused[0]?.reason).toMatch(/BAD_SIGNATURE/);
    writeFileSync(file, '{"format":"something else"}');
    await expectError(importBundle(d.vault, file, null), 'BAD_INPUT', /is not a Custos log bundle/);
    expect(d.vault.verify().status).toBe('ok');
  });
});
