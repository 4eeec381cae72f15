// `custos team …` as a person runs it: join (publishing a vault's log, or adopting one), status, a console whose own
// records conflict with the team's told why it cannot join, and bundle files between air-gapped consoles.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAM_FILE } from '../../main/team/settings';
import { PHRASES } from '../vault/phrases';
import { startNatsServer, type NatsServer } from './nats-server';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(path.join(tmpdir(), 'custos-team-cli-'));
const folder = (name: string) => path.join(root, name);

async function custos(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args, '--data-dir', dir], { cwd: repo, timeout: 60_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}
const json = async (dir: string, ...args: string[]): Promise<Record<string, unknown>> => {
  const r = await custos(dir, ...args, '--json');
  expect(r.code, r.out + r.err).toBe(0);
  return JSON.parse(r.out) as Record<string, unknown>;
};
const alice = ['--virtual', '--mnemonic', PHRASES.alice];
// Each test below runs five to nine CLI processes through tsx: up to 17 s each at load 20 on 2 cores. A test's
// timeout allows 40 s per process it runs.
const perProcess = (n: number): number => n * 40_000;

describe('custos team (CLI, real nats-server)', () => {
  let server: NatsServer;
  let vaultId: string;
  let genesis: string;

  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('publishes a vault’s log when it joins, and a new console adopts it; status says where each stands', async () => {
    const created = await json(folder('p'), 'vault', 'init', '--name', 'Treasury', '--admin-name', 'Alice', ...alice);
    vaultId = created.vaultId as string;
    await json(folder('p'), 'group', 'create', '--name', 'Ops', '--members', 'Alice', ...alice);
    genesis = ((await json(folder('p'), 'user', 'list')).users as { address: string }[])[0]?.address ?? '';

    const single = await custos(folder('p'), 'team', 'status');
    expect(single.out).toMatch(/Single desk/);
    const joined = await json(folder('p'), 'team', 'join', '--server', server.url, '--create');
    expect(joined).toMatchObject({ vaultId, published: 2, adopted: 0 });

    const q = await json(folder('q'), 'team', 'join', '--server', server.url, '--vault', vaultId, '--genesis', genesis);
    expect(q).toMatchObject({ vaultId, adopted: 2, published: 0 });
    expect(q.head).toEqual(joined.head);
    // An acting command on a joined folder publishes first; the other console pulls it.
    await json(folder('q'), 'group', 'create', '--name', 'Risk', '--members', 'Alice', ...alice);
    const pulled = await json(folder('p'), 'team', 'pull');
    expect(pulled).toMatchObject({ adopted: 1, refused: [] });
    const status = await custos(folder('p'), 'team', 'status');
    expect(status.code).toBe(0);
    expect(status.out).toMatch(new RegExp(`Vault ${vaultId} on ${server.url}: connected[\\s\\S]*local head: seq 2, [0-9a-f]{64}[\\s\\S]*last entry 3; consumed 3; lag 0[\\s\\S]*refused entries: 0`));
   }, perProcess(9));

  it('a console whose own records the team log does not hold, where it holds others, is told it cannot join', async () => {
    await json(folder('r'), 'team', 'join', '--server', server.url, '--vault', vaultId, '--genesis', genesis);
    // Back to a single desk: a record made here that the team never saw.
    rmSync(path.join(folder('r'), TEAM_FILE));
    await json(folder('r'), 'group', 'create', '--name', 'Apart', '--members', 'Alice', ...alice);
    await json(folder('p'), 'group', 'create', '--name', 'Together', '--members', 'Alice', ...alice);
    const again = await custos(folder('r'), 'team', 'join', '--server', server.url, '--json');
    expect(again.code).toBe(1);
    // Its status keeps the contested entry and why.
    const status = await json(folder('r'), 'team', 'status');
    expect(status).toMatchObject({ refused: 1, refusals: [{ streamSeq: 4, reason: expect.stringMatching(/own record 3, which the team log does not hold/) }] });
    expect(JSON.parse(again.out)).toMatchObject({ error: { code: 'TEAM_STREAM', message: expect.stringMatching(/records from 3 on cannot join the team log: it already holds another valid record 3 \(stream entry 4\).*nothing was published/) } });
   }, perProcess(5));

  it('exports records after a seq as a bundle, and an air-gapped console imports it, each record checked', async () => {
    const file = path.join(root, 'bundle.json');
    const exported = await json(folder('p'), 'team', 'export', '--after=-1', '--out', file);
    expect(exported).toMatchObject({ vaultId, after: -1, records: 4 });
    const wrong = await custos(folder('s'), 'team', 'import', file, '--json');
    expect(JSON.parse(wrong.out)).toMatchObject({ error: { code: 'VAULT_NOT_FOUND', message: expect.stringMatching(/--genesis/) } });
    const imported = await json(folder('s'), 'team', 'import', file, '--genesis', genesis);
    expect(imported).toMatchObject({ adopted: 4, present: 0, refused: [], headMatches: true });
    expect(await json(folder('s'), 'team', 'import', file)).toMatchObject({ adopted: 0, present: 4 });
    expect((await json(folder('s'), 'audit', 'verify', '--full')).status).toBe('ok');
   }, perProcess(5));
});
