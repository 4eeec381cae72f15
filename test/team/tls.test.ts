// The team server over TLS with a private CA (throwaway, made by openssl at test time): a console joins and the log
// replicates; a server the CA does not vouch for, a server that wants a client certificate, and a server without TLS
// behind a tls:// address are each refused in words; team.json's `tls` field is checked field by field.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../main/log';
import { teamServerUsers } from '../../main/team/server-users';
import { TeamService } from '../../main/team/service';
import { parseTls, readTeamSettings, TEAM_FILE } from '../../main/team/settings';
import { expectError } from '../vault/helpers';
import { createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { startNatsServer, type NatsServer } from './nats-server';
import { makeTestPki, type TestPki } from './tls-certs';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' } };

describe('the team server over TLS with a private CA (real nats-server)', () => {
  let pki: TestPki;
  let server: NatsServer;
  let mutual: NatsServer;
  let plain: NatsServer;
  let a: TeamConsole;
  let pin: { vaultId: string; genesisAddress: string };
  const consoles: TeamConsole[] = [];
  const fresh = (name: string, people: Parameters<typeof teamConsole>[1] = ['bob']) => {
    const c = teamConsole(name, people);
    consoles.push(c);
    return c;
  };

  beforeAll(async () => {
    pki = makeTestPki();
    const tls = { certFile: pki.serverCert, keyFile: pki.serverKey };
    [server, mutual, plain] = await Promise.all([
      startNatsServer({ admin, consoles: Object.values(users), tls }),
      startNatsServer({ admin, consoles: Object.values(users), tls: { ...tls, caFile: pki.ca, verify: true } }),
      startNatsServer({ admin, consoles: Object.values(users) }),
    ]);
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    pin = await foundVault(a);
  });
  afterAll(async () => {
    await Promise.all([a, ...consoles].map((c) => c?.close()));
    await Promise.all([server, mutual, plain].map((s) => s?.stop()));
    pki?.remove();
  });

  it('joins over TLS with the private CA, replicates the log, and keeps the CA in team.json for the next start', async () => {
    expect(server.url).toMatch(/^tls:\/\//);
    await createStream(server, admin, pin.vaultId, { caFile: pki.ca });
    await a.join(server, users.a, undefined, { caFile: pki.ca });
    const b = fresh('b');
    await b.join(server, users.b, pin, { caFile: pki.ca });
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    expect(b.store.records.count()).toBe(4);
    expect(readTeamSettings(b.dir)?.tls).toEqual({ caFile: pki.ca });

    // After a restart the console reconnects from team.json alone, over TLS, and adopts what the team appended.
    b.attach();
    a.attach();
    await a.vault.proposeGroupCreate({ name: 'Ops over TLS', memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
    await b.vault.teamSync();
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
  });

  it('refuses a server whose certificate the given CA did not sign, or no CA at all, in words, and writes no settings', async () => {
    const c = fresh('c');
    await expectError(c.join(server, users.b, pin, { caFile: pki.otherCa }), 'TEAM_TLS', new RegExp(`presented a certificate that is not trusted: the CA in ${escape(pki.otherCa)} did not sign it.*--ca`));
    await expectError(c.join(server, users.b, pin), 'TEAM_TLS', /not trusted: no CA file was given \(--ca\)/);
    // A nats:// address to this TLS-only server: the client upgrades and the certificate check is the same.
    const asNats = { ...server, url: server.url.replace('tls://', 'nats://') };
    await expectError(c.join(asNats, users.b, pin), 'TEAM_TLS', /not trusted/);
    expect(() => readFileSync(path.join(c.dir, TEAM_FILE))).toThrow();
    await c.join(asNats, users.b, pin, { caFile: pki.ca });
    expect(c.vault.logHead()).toEqual(a.vault.logHead());
  });

  it('refuses a tls:// address to a server without TLS instead of talking in plain text', async () => {
    const c = fresh('d');
    const asTls = { ...plain, url: plain.url.replace('nats://', 'tls://') };
    await expectError(c.join(asTls, users.b, pin), 'TEAM_TLS', /does not offer TLS, but this console asks for it/);
    await expectError(c.join(plain, users.b, pin, { caFile: pki.ca }), 'TEAM_TLS', /does not offer TLS/);
  });

  it('with client certificates required (verify), refuses a console without one and lets one with its certificate join', async () => {
    const tls = { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey };
    const founder = fresh('m', ['alice', 'bob', 'carol']);
    const mine = await foundVault(founder);
    await createStream(mutual, admin, mine.vaultId, tls);
    await founder.join(mutual, users.a, undefined, tls);
    const c = fresh('e');
    await expectError(c.join(mutual, users.b, mine, { caFile: pki.ca }), 'TEAM_TLS', /asks for a client certificate and this console has none.*--cert FILE --key FILE/);
    await c.join(mutual, users.b, mine, tls);
    expect(c.vault.logHead()).toEqual(founder.vault.logHead());
    expect(readTeamSettings(c.dir)?.tls).toEqual(tls);
  });

  it("runs the users `custos team server-config` gives (one per member's console), with client certificates required", async () => {
    const founder = fresh('g0', ['alice', 'bob', 'carol']);
    const itsPin = await foundVault(founder);
    const rows = teamServerUsers(founder.vault.readState());
    expect(rows.map((r) => `${r.role}:${r.user}`)).toEqual(['admin:custos-admin', 'console:console-alice', 'console:console-bob', 'console:console-carol']);
    const password = (user: string) => `secret-of-${user}`;
    const itServer = await startNatsServer({
      users: rows.map((r) => ({ user: r.user, password: password(r.user), permissions: r.permissions })),
      tls: { certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca, verify: true },
    });
    try {
      const tls = { caFile: pki.ca, certFile: pki.clientCert, keyFile: pki.clientKey };
      await createStream(itServer, { user: 'custos-admin', password: password('custos-admin') }, itsPin.vaultId, tls);
      await founder.join(itServer, { user: 'console-alice', password: password('console-alice') }, undefined, tls);
      const c = fresh('g');
      await c.join(itServer, { user: 'console-bob', password: password('console-bob') }, itsPin, tls);
      expect(c.vault.logHead()).toEqual(founder.vault.logHead());
      // Bob's console user may not make streams: that is the administrator user's alone.
      await expectError(createStream(itServer, { user: 'console-bob', password: password('console-bob') }, 'v-other', tls), 'TEAM_AUTH', /does not let user "console-bob"/);
    } finally {
      await itServer.stop();
    }
  });

  it("joins from the console's team.join channel with the CA file, and puts a wrong CA next to its field", async () => {
    const c = fresh('console');
    const team = new TeamService({ dataDir: c.dir, store: c.store, vault: c.vault, log: silentLogger });
    try {
      const input = { server: server.url, user: users.b.user, password: users.b.password, vaultId: pin.vaultId, genesisAddress: pin.genesisAddress };
      const refused = await expectError(team.join({ ...input, caFile: pki.otherCa }), 'TEAM_TLS', /not trusted/);
      expect(refused.field).toBe('caFile');
      const status = await team.join({ ...input, caFile: pki.ca });
      expect(status).toMatchObject({ joined: true, connection: { state: 'connected' } });
      expect(c.vault.logHead()).toEqual(a.vault.logHead());
    } finally {
      await team.close();
    }
  });

  it('names an unreadable TLS file and the option that gave it', async () => {
    const c = fresh('f');
    const missing = path.join(pki.dir, 'nope.pem');
    await expectError(c.join(server, users.b, pin, { caFile: missing }), 'TEAM_TLS', new RegExp(`CA certificate file ${escape(missing)} \\(--ca, team.json tls.caFile\\) cannot be read: there is no such file`));
    await expectError(c.join(server, users.b, pin, { caFile: pki.ca, certFile: pki.clientKey, keyFile: pki.clientKey }), 'TEAM_TLS', /client certificate file .* \(--cert, team.json tls.certFile\) is not a PEM client certificate/);
  });
});

describe("team.json's tls field", () => {
  const refuse = (why: string) => new Error(why);
  it('takes a CA alone, a certificate with its key, or nothing', () => {
    expect(parseTls({ caFile: '/ca.pem' }, refuse)).toEqual({ caFile: '/ca.pem' });
    expect(parseTls({ certFile: '/c.pem', keyFile: '/c.key' }, refuse)).toEqual({ certFile: '/c.pem', keyFile: '/c.key' });
    expect(parseTls({}, refuse)).toBeNull();
  });
  it('refuses each malformed field by name', () => {
    expect(() => parseTls('ca.pem', refuse)).toThrow(/"tls" must be an object/);
    expect(() => parseTls({ caFile: 3 }, refuse)).toThrow(/"tls.caFile" must be a file path/);
    expect(() => parseTls({ caFile: ' ' }, refuse)).toThrow(/"tls.caFile" must be a file path/);
    expect(() => parseTls({ ca: '/ca.pem' }, refuse)).toThrow(/unknown field\(s\) "ca"/);
    expect(() => parseTls({ certFile: '/c.pem' }, refuse)).toThrow(/"tls.certFile" and "tls.keyFile" go together/);
  });
  it('keeps team.json files written before the field valid, and refuses a bad one in words', () => {
    const c = teamConsole('settings', []);
    try {
      const old = { version: 1, servers: ['nats://127.0.0.1:4222'], user: null, credentialFile: null, vaultId: 'v-1', genesisAddress: '0x' + '11'.repeat(20) };
      writeFileSync(path.join(c.dir, TEAM_FILE), JSON.stringify(old));
      // Read as no TLS and no coordinating node (the fields came later).
      expect(readTeamSettings(c.dir)).toEqual({ ...old, nodeDir: null });
      writeFileSync(path.join(c.dir, TEAM_FILE), JSON.stringify({ ...old, tls: { keyFile: '/k' } }));
      expect(() => readTeamSettings(c.dir)).toThrow(/cannot be used: "tls.certFile" and "tls.keyFile" go together/);
      writeFileSync(path.join(c.dir, TEAM_FILE), JSON.stringify({ ...old, nodeDir: 'relative/node' }));
      expect(() => readTeamSettings(c.dir)).toThrow(/cannot be used: "nodeDir" must be an absolute folder path/);
    } finally {
      void c.close();
    }
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
