// The flow through `custos` processes on virtual Ledgers: JSON out, exit codes, and an export an auditor checks offline.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PHRASES } from '../vault/phrases';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = mkdtempSync(path.join(tmpdir(), 'custos-cli-vault-'));

async function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...(file.endsWith('.ts') ? ['--import', 'tsx'] : []), file, ...args], { cwd: repo, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
const custos = (...args: string[]) => exec('main/cli/index.ts', [...args, '--data-dir', dataDir]);
/** Runs a command as `person` (their virtual Ledger), expecting success, and returns its JSON. */
async function as<T = Record<string, unknown>>(person: keyof typeof PHRASES, ...args: string[]): Promise<T> {
  const r = await custos(...args, '--virtual', '--mnemonic', PHRASES[person], '--json');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}
const json = async <T = Record<string, unknown>>(...args: string[]): Promise<T> => {
  const r = await custos(...args, '--json');
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe('custos vault commands (CLI)', () => {
  it("runs the issue's flow end to end and exports an audit log the standalone checker accepts", async () => {
    const created = await as('alice', 'vault', 'init', '--name', 'Treasury', '--admin-name', 'Alice');
    expect(created).toMatchObject({ name: 'Treasury', settings: { founding: true, adminQuorum: 1 } });

    const addBob = await custos('user', 'add', '--name', 'Bob', '--roles', 'administrator', '--virtual', '--mnemonic', PHRASES.alice, '--new-user-mnemonic', PHRASES.bob, '--json');
    expect(addBob.code).toBe(0);
    expect(JSON.parse(addBob.stdout)).toMatchObject({ status: 'approved', title: 'Add user Bob (administrator)' });
    // Both screens printed: the new user's registration, then the proposer's statement.
    expect(addBob.stderr).toMatch(/new user’s virtual Ledger screen[\s\S]*register device[\s\S]*acting person’s virtual Ledger screen[\s\S]*propose change/);
    await as('alice', 'user', 'add', '--name', 'Carol', '--roles', 'administrator', '--new-user-mnemonic', PHRASES.carol);
    expect(await as('alice', 'quorum', 'set', '2')).toMatchObject({ status: 'approved', title: 'Set the administrator quorum to 2 (of 3)' });

    const dave = await as<{ id: string; status: string }>('alice', 'user', 'add', '--name', 'Dave', '--roles', 'operator', '--new-user-mnemonic', PHRASES.dave);
    expect(dave.status).toBe('pending');
    const pending = await json<{ proposals: { id: string }[] }>('proposal', 'list', '--status', 'pending');
    expect(pending.proposals.map((p) => p.id)).toEqual([dave.id]);
    expect(await as('bob', 'proposal', 'approve', dave.id)).toMatchObject({ status: 'pending', approvals: [{ name: 'Bob' }] });
    expect(await as('carol', 'proposal', 'approve', dave.id)).toMatchObject({ status: 'approved' });
    const users = await json<{ users: { name: string; roles: string[] }[] }>('user', 'list');
    expect(users.users.map((u) => `${u.name}:${u.roles.join('+')}`).sort()).toEqual(['Alice:administrator', 'Bob:administrator', 'Carol:administrator', 'Dave:operator']);

    const group = await as<{ id: string }>('alice', 'group', 'create', '--name', 'Ops', '--members', 'Dave,bob');
    expect(await as('carol', 'proposal', 'reject', group.id)).toMatchObject({ status: 'rejected' });

    // Refusals: a non-administrator, a device rejection, a bad role (usage error).
    const daveApproves = await custos('proposal', 'approve', dave.id, '--virtual', '--mnemonic', PHRASES.dave, '--json');
    expect(daveApproves.code).toBe(1);
    expect(JSON.parse(daveApproves.stdout)).toMatchObject({ error: { code: 'RULE_VIOLATION', message: expect.stringMatching(/already approved/) } });
    const g2 = await as<{ id: string }>('alice', 'group', 'create', '--name', 'Signers');
    const nonAdmin = await custos('proposal', 'approve', g2.id, '--virtual', '--mnemonic', PHRASES.dave, '--json');
    expect(nonAdmin.code).toBe(1);
    expect(JSON.parse(nonAdmin.stdout)).toMatchObject({ error: { code: 'NOT_AUTHORISED', message: expect.stringMatching(/Dave is not an administrator/) } });
    const rejected = await custos('proposal', 'approve', g2.id, '--virtual', '--mnemonic', PHRASES.bob, '--reject', '--json');
    expect(rejected.code).toBe(1);
    expect(JSON.parse(rejected.stdout).error.code).toBe('REJECTED_ON_DEVICE');
    const badRole = await custos('user', 'roles', 'Dave', '--roles', 'root', '--virtual', '--mnemonic', PHRASES.alice, '--json');
    expect(badRole.code).toBe(2);
    expect(JSON.parse(badRole.stdout).error.message).toMatch(/unknown role "root"/);
    const noPhrase = await custos('quorum', 'set', '2', '--virtual', '--json');
    expect(noPhrase.code).toBe(2);

    // The move to team mode, by the quorum, one way: status names its record, and a second move is refused.
    const team = await as<{ id: string }>('alice', 'vault', 'team-mode');
    expect(team).toMatchObject({ status: 'pending', title: expect.stringMatching(/team mode for good/) });
    await as('bob', 'proposal', 'approve', team.id);
    expect(await as('carol', 'proposal', 'approve', team.id)).toMatchObject({ status: 'approved' });
    const again = await custos('vault', 'team-mode', '--virtual', '--mnemonic', PHRASES.bob, '--json');
    expect(again.code).toBe(1);
    expect(JSON.parse(again.stdout).error.message).toMatch(/already in team mode \(since record \d+\); there is no way back/);

    const status = await json<{ vault: { seq: number; settings: { founding: boolean; teamModeSince: number }; integrity: { status: string } } }>('vault', 'status');
    expect(status.vault).toMatchObject({ settings: { founding: false, teamModeSince: status.vault.seq }, integrity: { status: 'ok' } });
    expect((await custos('vault', 'status')).stdout).toContain(`mode: team, by record ${status.vault.seq}`);
    expect(await json('vault', 'verify')).toMatchObject({ status: 'ok', problems: [] });
    const audit = await json<{ valid: boolean; entries: number; head: string }>('audit', 'verify');
    expect(audit).toMatchObject({ valid: true, entries: status.vault.seq + 1 });
    // --full: the replay from genesis, progress on stderr, and how many records a second it replayed.
    const full = await custos('audit', 'verify', '--full', '--json');
    expect(full.code, full.stderr).toBe(0);
    const records = status.vault.seq + 1;
    expect(JSON.parse(full.stdout)).toMatchObject({ status: 'ok', problems: [], records, replay: { from: 'genesis', records, total: records }, audit: { valid: true, entries: records } });
    expect(JSON.parse(full.stdout).recordsPerSecond === null || JSON.parse(full.stdout).recordsPerSecond > 0).toBe(true);
    expect(full.stderr).toContain(`done: ${records} of ${records} records`);
    const fullText = await custos('audit', 'verify', '--full');
    expect(fullText.stdout).toMatch(new RegExp(`^ok: ${records} records replayed from genesis \\(\\d+\\.\\d\\d s(, \\d+ records/s)?\\)`));

    // Exports in both formats; the standalone checker (node:crypto only) accepts them and refuses an edited one.
    for (const format of ['json', 'csv']) {
      const file = path.join(dataDir, `audit.${format}`);
      expect(await json('audit', 'export', '--format', format, '--out', file)).toMatchObject({ file, format, entries: audit.entries });
      const ok = await exec('scripts/verify-audit-export.mjs', [file, '--head', audit.head]);
      expect(ok.stdout).toBe(`OK: ${audit.entries} entries, head ${audit.head} (matches the pinned head)\n`);
      expect(ok.code).toBe(0);
      const edited = path.join(dataDir, `edited.${format}`);
      writeFileSync(edited, readFileSync(file, 'utf8').replace('Add user Dave (operator)', 'Add user Dave (auditor)'));
      const broken = await exec('scripts/verify-audit-export.mjs', [edited]);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toMatch(/^BROKEN at entry \d+: entry \d+ was changed after it was written/);
      const wrongHead = await exec('scripts/verify-audit-export.mjs', [file, '--head', '0x' + 'ab'.repeat(32)]);
      expect(wrongHead.code).toBe(1);
    }
    // A truncated JSON export: a valid shorter chain, caught by its own header and by the pinned head.
    const doc = JSON.parse(readFileSync(path.join(dataDir, 'audit.json'), 'utf8')) as { entries: unknown[] };
    doc.entries.pop();
    writeFileSync(path.join(dataDir, 'short.json'), JSON.stringify(doc));
    expect((await exec('scripts/verify-audit-export.mjs', [path.join(dataDir, 'short.json')])).code).toBe(1);
  }, 180_000);

  it('unknown commands are usage errors', async () => {
    const r = await custos('proposal', 'frobnicate', '--json');
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toMatch(/use list, approve, reject/);
  });
});
