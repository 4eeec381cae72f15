// Crashes around an append to the team log: a console (a `custos` process) SIGKILLed the moment its record lands in
// the stream, and the nats-server SIGKILLed while consoles append: afterwards no duplicate, no gap, no lost record.
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustosError } from '../../main/errors';
import { logSubject } from '../../main/team/stream';
import { PHRASES } from '../vault/phrases';
import { createStream, foundVault, need, teamConsole, userIdOf, type TeamConsole } from './helpers';
import { startNatsServer, type NatsServer } from './nats-server';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const admin = { user: 'admin', password: 'admin-secret' };
const users = { a: { user: 'console-a', password: 'pa' }, b: { user: 'console-b', password: 'pb' }, x: { user: 'console-x', password: 'px' } };
const CLI = ['--import', 'tsx', 'main/cli/index.ts'];

async function custos(dir: string, ...args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
  try {
    const { stdout } = await run(process.execPath, [...CLI, ...args, '--data-dir', dir, '--json'], { cwd: repo, timeout: 60_000 });
    return { code: 0, json: JSON.parse(stdout) as Record<string, unknown> };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, json: { stdout: e.stdout, stderr: e.stderr } };
  }
}

/** Titles of the vault's proposals, each with how many times the log holds it. */
function titles(c: TeamConsole): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of c.vault.listProposals()) m.set(p.title.replace(/ \(\d+ members?\)$/, ''), (m.get(p.title) ?? 0) + 1);
  return m;
}

describe('crashes around a team append (real nats-server, real processes)', () => {
  let server: NatsServer;
  let a: TeamConsole;
  let b: TeamConsole;
  let x: TeamConsole;
  let pin: { vaultId: string; genesisAddress: string };

  beforeAll(async () => {
    server = await startNatsServer({ admin, consoles: Object.values(users) });
    a = teamConsole('a', ['alice', 'bob', 'carol']);
    b = teamConsole('b', ['bob']);
    x = teamConsole('x', []);
    pin = await foundVault(a);
    await createStream(server, admin, pin.vaultId);
    await a.join(server, users.a);
    await b.join(server, users.b, pin);
    a.attach();
    b.attach();
  });
  afterAll(async () => {
    await Promise.all([a, b, x].map((c) => c?.close()));
    await server?.stop();
  });

  it('a console killed the moment its record lands: the record is adopted on restart, never doubled; the CLI joins and reports', async () => {
    // The CLI console joins with an empty data folder and the credential in a file.
    const passwordFile = path.join(x.dir, '..', `${path.basename(x.dir)}-password`);
    writeFileSync(passwordFile, users.x.password);
    const joined = await custos(x.dir, 'team', 'join', '--server', server.url, '--user', users.x.user, '--password-file', passwordFile, '--vault', pin.vaultId, '--genesis', pin.genesisAddress);
    expect(joined.code, JSON.stringify(joined.json)).toBe(0);
    expect(joined.json).toMatchObject({ vaultId: pin.vaultId, adopted: a.store.records.count(), refused: 0 });

    const watcher = await connect({ servers: server.url, user: admin.user, pass: admin.password });
    const killed: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const name = `CLI desk ${i}`;
        // Another console appends at the same time, so the CLI may lose a race and rebase before it lands.
        const rival = a.vault.proposeGroupCreate({ name: `Rival ${i}`, memberIds: [userIdOf(a, 'Alice')], deviceId: need(a, 'alice') });
        const child = spawn(process.execPath, [...CLI, 'group', 'create', '--name', name, '--members', 'Alice', '--virtual', '--mnemonic', PHRASES.alice, '--data-dir', x.dir, '--json'], { cwd: repo, stdio: 'ignore' });
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        const sub = watcher.subscribe(logSubject(pin.vaultId), {
          callback: (err, msg) => {
            if (err === null && msg.string().includes(`"${name}"`)) {
              child.kill('SIGKILL');
              killed.push(name);
            }
          },
        });
        const code = await exited;
        sub.unsubscribe();
        await rival;
        expect(code === 0 || killed.includes(name)).toBe(true);
      }
    } finally {
      await watcher.close();
    }
    expect(killed.length).toBeGreaterThan(0);
    // Whether each kill fell before or after the local commit is a race (lost-ack.test.ts makes the first case certain).

    // Restarted: the CLI console catches up and holds every record once, and its full check holds.
    const pulled = await custos(x.dir, 'team', 'pull');
    expect(pulled.code, JSON.stringify(pulled.json)).toBe(0);
    expect(pulled.json).toMatchObject({ refused: [] });
    const verified = await custos(x.dir, 'audit', 'verify', '--full');
    expect(verified.code, JSON.stringify(verified.json)).toBe(0);
    const status = await custos(x.dir, 'team', 'status');
    expect(status.json).toMatchObject({ team: true, connected: true, lag: 0, refused: 0 });

    await a.vault.teamSync();
    const head = a.vault.logHead();
    expect((status.json.local as { fingerprint: string }).fingerprint).toBe(head?.fingerprint);
    const t = titles(a);
    for (let i = 0; i < 3; i++) {
      // Published before the kill, the record is in the log once; the console that signed it asked no device again.
      expect(t.get(`Create group CLI desk ${i}`)).toBe(1);
      expect(t.get(`Create group Rival ${i}`)).toBe(1);
    }
    expect(a.store.teamEntries.cursor()).toBe(a.store.records.count());
    expect(a.store.teamEntries.refusedCount()).toBe(0);
  }, 90_000);

  it('the server killed mid-append and restarted on its store: no duplicate, no gap, every confirmed record kept', async () => {
    const confirmed: string[] = [];
    const failed: string[] = [];
    let stop = false;
    const appender = async (c: TeamConsole, person: 'alice' | 'bob', name: string) => {
      const me = userIdOf(c, name);
      for (let n = 0; !stop && n < 400; n++) {
        const title = `${name} after crash ${n}`;
        try {
          await c.vault.proposeGroupCreate({ name: title, memberIds: [me], deviceId: need(c, person) });
          confirmed.push(title);
        } catch (err) {
          if (!(err instanceof CustosError) || err.code !== 'TEAM_UNREACHABLE') throw err;
          failed.push(title);
          await new Promise((r) => setTimeout(r, 50));
        }
        if (confirmed.length >= 30) stop = true;
      }
    };
    const loops = Promise.all([appender(a, 'alice', 'Alice'), appender(b, 'bob', 'Bob')]);
    await new Promise((r) => setTimeout(r, 300));
    await server.kill();
    await new Promise((r) => setTimeout(r, 300));
    await server.restart();
    await loops;
    expect(failed.length).toBeGreaterThan(0);

    for (const c of [a, b]) await c.vault.teamSync();
    expect(b.vault.logHead()).toEqual(a.vault.logHead());
    const t = titles(a);
    // Every confirmed append is in the log once; one whose confirmation was lost is there at most once.
    for (const title of confirmed) expect(t.get(`Create group ${title}`)).toBe(1);
    for (const title of failed) expect(t.get(`Create group ${title}`) ?? 0).toBeLessThanOrEqual(1);
    // No gap, no duplicate: the stream holds exactly the log, every entry a record.
    for (const c of [a, b]) {
      expect(c.store.teamEntries.cursor()).toBe(c.store.records.count());
      expect(c.store.teamEntries.refusedCount()).toBe(0);
      expect(c.vault.verify().status).toBe('ok');
    }
  }, 90_000);
});
