// The console's team channels (team.status, team.pull, team.join) through the handler table of real services, against
// a real nats-server: a single desk says it is not shared, a join's refusals name their field and leave nothing behind,
// a joined console follows the log by itself and shows the same head as the console it joined, its refused entries and
// the registered signer nodes, and a server that is down or a credential that is wrong are told apart.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelResult, EventName, Result } from '../../preload/contract';
import { dispatch } from '../../main/ipc/dispatch';
import { bindEvents, createHandlers } from '../../main/ipc/handlers';
import { silentLogger } from '../../main/log';
import { hostClientFor } from '../../main/mpc/launch-node';
import { startServices, type Services } from '../../main/services';
import { openNodeKeys, publicNodeKey } from '../../main/signer/node-keys';
import { connectTeam } from '../../main/team/connection';
import { TeamService } from '../../main/team/service';
import { CREDENTIAL_FILE, TEAM_FILE } from '../../main/team/settings';
import { TeamStream } from '../../main/team/stream';
import { expectError } from '../vault/helpers';
import { createStream, foundVault, need, teamConsole, type TeamConsole } from './helpers';
import { freePort, startNatsServer, type NatsServer } from './nats-server';

const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' } };

let server: NatsServer;
let a: TeamConsole;
let pin: { vaultId: string; genesisAddress: string };

beforeAll(async () => {
  server = await startNatsServer({ admin, consoles: Object.values(users) });
  a = teamConsole('a', ['alice', 'bob', 'carol']);
  pin = await foundVault(a);
}, 60_000);
afterAll(async () => {
  await a?.close();
  await server?.stop();
});

describe('a single desk', () => {
  it('is not shared: its own vault id and genesis address to invite with, its head, and nothing to pull', async () => {
    const team = new TeamService({ dataDir: a.dir, store: a.store, vault: a.vault, log: silentLogger });
    const s = await team.status();
    const head = a.vault.logHead();
    expect(s).toMatchObject({ joined: false, hasVault: true, vaultId: pin.vaultId, genesisAddress: pin.genesisAddress, connection: { state: 'single-desk', message: null }, servers: [], lag: null, nodes: [] });
    expect(s.head).toEqual({ seq: (head?.count ?? 0) - 1, fingerprint: head?.fingerprint });
    await expectError(team.pull(), 'TEAM_STREAM', /not shared/);
    // The founding console then joins its team (the stream made by the server's administrator).
    await createStream(server, admin, pin.vaultId);
    await a.join(server, users.a);
    a.attach();
  });
});

describe('a single desk joining as itself', () => {
  it('publishes its vault into a stream it makes with a user allowed to, then follows it; without that user it is told the log is missing', async () => {
    const desk = teamConsole('desk', ['alice']);
    const team = new TeamService({ dataDir: desk.dir, store: desk.store, vault: desk.vault, log: silentLogger });
    try {
      const summary = await desk.vault.create({ name: 'Desk', adminName: 'Alice', deviceId: need(desk, 'alice') });
      const missing = await expectError(team.join({ server: server.url, user: users.a.user, password: users.a.password }), 'TEAM_STREAM', new RegExp(`has no log for vault ${summary.vaultId}`));
      expect(missing.field).toBe('server');
      expect(existsSync(path.join(desk.dir, TEAM_FILE))).toBe(false);
      const s = await team.join({ server: server.url, user: admin.user, password: admin.password, create: true });
      expect(s).toMatchObject({ joined: true, vaultId: summary.vaultId, connection: { state: 'connected' }, streamLastSeq: 1, cursor: 1, lag: 0, head: { seq: 0 } });
    } finally {
      await team.close();
      await desk.close();
    }
  });
});

describe('an empty console joining from the console', () => {
  let dir: string;
  let services: Services;
  const events: [EventName, unknown][] = [];
  let unbind: () => void = () => undefined;
  const call = async <C extends 'team.status' | 'team.pull' | 'team.join'>(channel: C, input: unknown = {}): Promise<Result<ChannelResult<C>>> =>
    (await dispatch(createHandlers(services), channel, input, silentLogger)) as Result<ChannelResult<C>>;
  const status = async () => {
    const r = await call('team.status');
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };
  const join = { server: '', user: users.b.user, password: users.b.password, vaultId: '', genesisAddress: '' };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custos-team-console-'));
    services = await startServices({ dataDir: dir, shell: 'cli', version: 'test', log: silentLogger, mpc: hostClientFor(dir, { env: { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' } }) });
    unbind = bindEvents(services, (event, payload) => events.push([event, payload]));
    Object.assign(join, { server: server.url, vaultId: pin.vaultId, genesisAddress: pin.genesisAddress });
  }, 60_000);
  afterAll(async () => {
    unbind();
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says it holds no vault and is not shared', async () => {
    expect(await status()).toMatchObject({ joined: false, hasVault: false, vaultId: null, genesisAddress: null, connection: { state: 'single-desk' }, head: { seq: -1 }, nodes: [] });
    expect(await call('team.pull')).toMatchObject({ ok: false, error: { code: 'TEAM_STREAM', message: expect.stringMatching(/not shared/) } });
  });

  it('refuses a join beside the field it concerns, in the console’s words, and leaves nothing behind', async () => {
    const refused = async (input: Record<string, unknown>, code: string, field: string, message: RegExp) => {
      const r = await call('team.join', input);
      expect(r, JSON.stringify(input)).toMatchObject({ ok: false, error: { code, field } });
      if (!r.ok) {
        expect(r.error.message).toMatch(message);
        // The console's form has no flags: a message that names one would send the person to the CLI.
        expect(r.error.message).not.toMatch(/--\w/);
      }
    };
    const { vaultId: _v, genesisAddress: _g, ...noPin } = join;
    await refused(noPin, 'BAD_INPUT', 'vaultId', /no vault here yet/);
    await refused({ ...noPin, genesisAddress: pin.genesisAddress }, 'BAD_INPUT', 'genesisAddress', /vault id are given together/);
    await refused({ ...join, server: 'http://127.0.0.1:4222' }, 'BAD_INPUT', 'server', /nats:\/\//);
    await refused({ ...join, server: `nats://127.0.0.1:${await freePort()}` }, 'TEAM_UNREACHABLE', 'server', /cannot be reached/);
    await refused({ ...join, password: 'wrong' }, 'TEAM_AUTH', 'password', /refused the credential of user "console-b"/);
    const { user: _u, password: _p, ...anonymous } = join;
    await refused(anonymous, 'TEAM_AUTH', 'user', /asks for a user and password/);
    await refused({ ...join, user: 'console-b' , password: undefined }, 'BAD_INPUT', 'password', /needed with a user/);
    await refused({ ...join, genesisAddress: '0x' + '11'.repeat(20) }, 'TEAM_STREAM', 'genesisAddress', /holds no genesis of vault .* by 0x1111/);
    await refused({ ...join, vaultId: 'v-elsewhere' }, 'TEAM_STREAM', 'server', /has no log for vault v-elsewhere/);
    expect(existsSync(path.join(dir, TEAM_FILE))).toBe(false);
    expect(existsSync(path.join(dir, CREDENTIAL_FILE))).toBe(false);
    expect((await status()).hasVault).toBe(false);
  });

  it('joins: the same head as the console it joined, connected, nothing left to consume', async () => {
    const r = await call('team.join', join);
    expect(r).toMatchObject({ ok: true });
    if (!r.ok) return;
    const head = a.vault.logHead();
    expect(r.value).toMatchObject({ joined: true, hasVault: true, servers: [server.url], user: users.b.user, vaultId: pin.vaultId, genesisAddress: pin.genesisAddress, connection: { state: 'connected', message: null }, lag: 0, refusedCount: 0 });
    expect(r.value.head).toEqual({ seq: (head?.count ?? 0) - 1, fingerprint: head?.fingerprint });
    expect(r.value.streamLastSeq).toBe(r.value.cursor);
    // The screens that show the vault reload on this event.
    expect(events.some(([event]) => event === 'vault.changed')).toBe(true);
    expect(await call('team.join', join)).toMatchObject({ ok: false, error: { code: 'BAD_INPUT', message: expect.stringMatching(/already follows the team log of vault/) } });
  });

  it('follows the log by itself: a signer node registered on the other console appears with its fingerprint', async () => {
    const nodeDir = mkdtempSync(path.join(tmpdir(), 'custos-node-'));
    try {
      const keys = publicNodeKey(openNodeKeys(nodeDir));
      const registered = await a.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: need(a, 'bob') });
      const head = a.vault.logHead();
      // No pull: the console's follower adopts it on the server's notification.
      await expect.poll(async () => (await status()).head.fingerprint, { timeout: 15_000 }).toBe(head?.fingerprint);
      const s = await status();
      expect(s.nodes).toEqual([{ user: { id: registered.userId, name: 'Bob', status: 'active' }, nodeId: keys.nodeId, keyFingerprint: keys.fingerprint, seq: registered.seq }]);
      expect(s.lag).toBe(0);
    } finally {
      rmSync(nodeDir, { recursive: true, force: true });
    }
  });

  it('shows an entry a hostile writer published as refused, with its stream seq and reason, and keeps its head', async () => {
    const before = await status();
    const nc = await connectTeam({ servers: [server.url], user: users.a.user, password: users.a.password });
    let garbageAt = 0;
    try {
      const stream = await TeamStream.open(nc, pin.vaultId, { create: false, user: users.a.user });
      const outcome = await stream.append('{"type":"not a record"}', (await stream.describe()).lastSeq);
      if (outcome === 'behind') throw new Error('the stream moved under the test');
      garbageAt = outcome.appended;
    } finally {
      await nc.close();
    }
    const pulled = await call('team.pull');
    expect(pulled).toMatchObject({ ok: true });
    await expect.poll(async () => (await status()).refusedCount, { timeout: 15_000 }).toBe(1);
    const s = await status();
    expect(s.refused).toEqual([expect.objectContaining({ streamSeq: garbageAt, reason: expect.any(String) })]);
    expect(s.refused[0]?.reason.length).toBeGreaterThan(0);
    expect(s.head).toEqual(before.head);
    expect(s).toMatchObject({ cursor: garbageAt, lag: 0 });
  });

  it('tells a server that is down from a credential that is wrong, and keeps showing its own head', async () => {
    const head = (await status()).head;
    await server.kill();
    try {
      const down = await status();
      expect(down).toMatchObject({ joined: true, connection: { state: 'unreachable', message: expect.stringMatching(/cannot be reached/) }, streamLastSeq: null, lag: null, head });
      expect(await call('team.pull')).toMatchObject({ ok: false, error: { code: 'TEAM_UNREACHABLE' } });
    } finally {
      await server.restart();
    }
    writeFileSync(path.join(dir, CREDENTIAL_FILE), 'not-the-password', { mode: 0o600 });
    try {
      expect(await status()).toMatchObject({ connection: { state: 'wrong-credential', message: expect.stringMatching(/refused the credential of user "console-b"/) }, head });
    } finally {
      writeFileSync(path.join(dir, CREDENTIAL_FILE), users.b.password, { mode: 0o600 });
    }
    expect((await status()).connection.state).toBe('connected');
  });
});
