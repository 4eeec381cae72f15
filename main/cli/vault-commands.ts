// `custos vault|user|group|quorum|proposal|audit …`: the vault's governance from a terminal, on the same service as the console.
import { mkdirSync, writeFileSync } from 'node:fs';
import { channels, ROLES, type ProposalView, type Role } from '../../preload/contract';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { Store } from '../store';
import { VaultService } from '../vault';
import { attachFromSettings, type TeamSession } from '../team/team';
import { type CliContext, CliUsageError } from './context';
import { openVaultDevices, type VaultDevices } from './vault-devices';

export const VAULT_GROUPS = ['vault', 'user', 'group', 'quorum', 'proposal', 'audit'] as const;
type VaultGroup = (typeof VAULT_GROUPS)[number];

const COMMANDS: Record<VaultGroup, readonly string[]> = {
  vault: ['init', 'status', 'verify', 'team-mode'],
  user: ['add', 'list', 'revoke', 'roles'],
  group: ['create', 'edit', 'list'],
  quorum: ['set'],
  proposal: ['list', 'approve', 'reject'],
  audit: ['verify', 'export'],
};

export function isVaultGroup(group: string): group is VaultGroup {
  return (VAULT_GROUPS as readonly string[]).includes(group);
}

/** Commands that ask a device to sign, and whether they need a second (new user's) device. */
function deviceNeeds(group: VaultGroup, command: string): { allowNewPhrase: boolean; newUser: boolean } | null {
  if (group === 'vault' && command === 'init') return { allowNewPhrase: true, newUser: false };
  if (group === 'user' && command === 'add') return { allowNewPhrase: false, newUser: true };
  if ((group === 'user' && (command === 'revoke' || command === 'roles')) || (group === 'group' && command !== 'list') || group === 'quorum' || (group === 'vault' && command === 'team-mode')) {
    return { allowNewPhrase: false, newUser: false };
  }
  if (group === 'proposal' && command !== 'list') return { allowNewPhrase: false, newUser: false };
  return null;
}

function parse<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } } }, value: unknown, option: string): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new CliUsageError(`${option}: ${r.error.issues[0]?.message ?? 'invalid value'}`);
  return r.data;
}

function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`${option}: ${what} is required.`);
  return value;
}

function parseRoles(value: string | undefined): Role[] {
  const roles = required(value, '--roles', 'a comma-separated list of roles').split(',').map((r) => r.trim()).filter((r) => r !== '');
  for (const r of roles) if (!(ROLES as readonly string[]).includes(r)) throw new CliUsageError(`--roles: unknown role "${r}"; roles are ${ROLES.join(', ')}.`);
  return parse(channels['users.propose'].input.shape.roles, roles, '--roles');
}

/** A user named by id or (case-insensitive) name, as a person would type it. */
function resolveUser(vault: VaultService, ref: string | undefined): string {
  const wanted = required(ref, '<user>', 'the user (id or name)');
  const users = vault.listUsers();
  const found = users.find((u) => u.id === wanted) ?? users.find((u) => u.name.toLowerCase() === wanted.toLowerCase() && u.status === 'active');
  if (found === undefined) throw new CustosError('NOT_FOUND', `There is no user "${wanted}" in this vault. Run custos user list.`);
  return found.id;
}

function resolveGroup(vault: VaultService, ref: string | undefined): string {
  const wanted = required(ref, '<group>', 'the group (id or name)');
  const found = vault.listGroups().find((g) => g.id === wanted || g.name.toLowerCase() === wanted.toLowerCase());
  if (found === undefined) throw new CustosError('NOT_FOUND', `There is no group "${wanted}" in this vault. Run custos group list.`);
  return found.id;
}

function members(vault: VaultService, list: string | undefined): string[] {
  return (list ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '').map((m) => resolveUser(vault, m));
}

function proposalLine(p: ProposalView): string {
  const who = p.status === 'pending' ? `${p.approvals.length}/${p.needed} approvals; waiting for ${p.waitingFor.map((u) => u.name).join(', ') || 'nobody'}` : (p.reason ?? '');
  return `${p.id}\t${p.status}\t${p.title}\t(by ${p.proposer.name}${who ? `; ${who}` : ''})`;
}

/** Progress is written about once a second, so a long replay shows it is alive without flooding the terminal. */
const PROGRESS_EVERY_MS = 1_000;

/** `audit verify --full`: the replay from genesis with progress on stderr, ending with records per second. */
function verifyFull(vault: VaultService, ctx: CliContext, out: (value: unknown, text: string) => void): number {
  let last = 0;
  const started = performance.now();
  const report = vault.verify((p) => {
    const now = performance.now();
    if (p.stage !== 'done' && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    ctx.err(`${p.stage}: ${p.done} of ${p.total} records`);
  });
  const seconds = (performance.now() - started) / 1000;
  const records = report.replay?.records ?? 0;
  const replaySeconds = (report.replay?.ms ?? 0) / 1000;
  const recordsPerSecond = replaySeconds > 0 ? Math.round(records / replaySeconds) : null;
  const audit = vault.auditVerify();
  const rate = recordsPerSecond === null ? '' : `, ${recordsPerSecond} records/s`;
  const text = report.status === 'ok'
    ? `ok: ${records} records replayed from genesis (${replaySeconds.toFixed(2)} s${rate}), the store equals the replay, the checkpoint holds, and the audit chain holds: ${audit.entries} entries, head ${audit.head}`
    : `TAMPERED:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`;
  out({ ...report, audit, records, seconds: Number(seconds.toFixed(3)), recordsPerSecond }, text);
  return report.status === 'ok' ? 0 : 1;
}

export async function runVaultCommand(group: VaultGroup, command: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  if (command === undefined || !COMMANDS[group].includes(command)) {
    throw new CliUsageError(`Unknown ${group} command "${command ?? ''}": use ${COMMANDS[group].join(', ')}.`);
  }
  const needs = deviceNeeds(group, command);
  mkdirSync(ctx.dataDir, { recursive: true });
  let devices: VaultDevices | null = null;
  let team: TeamSession | null = null;
  const store = Store.open(ctx.dataDir);
  try {
    devices = needs === null ? null : await openVaultDevices(ctx, needs);
    // Reads need no device; a manager with none keeps the service's shape.
    const manager = devices?.manager ?? new DeviceManager();
    const vault = new VaultService({ store, devices: manager });
    // In a team, each change is published to the team log first (connecting at the first append: reads stay offline).
    team = attachFromSettings(ctx.dataDir, vault);
    const out = (value: unknown, text: string) => ctx.out(ctx.json ? JSON.stringify(value) : text);
    const actor = () => (devices as VaultDevices).actor();
    const proposalOut = (p: ProposalView) => out(p, proposalLine(p));
    const key = `${group} ${command}`;
    switch (key) {
      case 'vault init': {
        const name = parse(channels['vault.create'].input.shape.name, required(ctx.name, '--name', "the vault's name"), '--name');
        const adminName = parse(channels['vault.create'].input.shape.adminName, required(ctx.adminName, '--admin-name', "the first administrator's name"), '--admin-name');
        const identityPath = parse(channels['vault.create'].input.shape.identityPath, ctx.path, '--path');
        const summary = await vault.create({ name, adminName, deviceId: actor(), identityPath });
        out(summary, `Vault "${summary.name}" created (${summary.vaultId}); ${adminName} is its first administrator. It is founding: add the administrators, then set the quorum.`);
        return 0;
      }
      case 'vault status': {
        const { vault: summary } = vault.status();
        if (summary === null) out({ vault: null }, `No vault in ${ctx.dataDir}. Create one with: custos vault init --name N --admin-name A`);
        else {
          out({ vault: summary }, [
            `${summary.name} (${summary.vaultId}), seq ${summary.seq}`,
            `quorum ${summary.settings.adminQuorum}${summary.settings.founding ? ' (founding)' : ''}; proposer counts: ${summary.settings.proposerMayApprove ? 'yes' : 'no'}`,
            summary.settings.teamModeSince === null ? 'mode: single desk' : `mode: team, by record ${summary.settings.teamModeSince} (keys only on the custodians' signer nodes)`,
            `${summary.counts.users} users, ${summary.counts.administrators} administrators, ${summary.counts.groups} groups, ${summary.counts.pendingProposals} pending proposals`,
            `integrity: ${summary.integrity.status}${summary.integrity.problems.map((p) => `\n  - ${p}`).join('')}`,
          ].join('\n'));
        }
        return summary?.integrity.status === 'tampered' ? 1 : 0;
      }
      case 'vault verify': {
        const report = vault.verify();
        out(report, report.status === 'ok' ? 'ok: the store equals the replay of the signed log, and the audit chain holds.' : `TAMPERED:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
        return report.status === 'ok' ? 0 : 1;
      }
      case 'user add': {
        const name = parse(channels['users.propose'].input.shape.name, required(ctx.name, '--name', "the new user's name"), '--name');
        const p = await vault.proposeUser({ name, roles: parseRoles(ctx.roles), newUserDeviceId: (devices as VaultDevices).newUser(), deviceId: actor() });
        proposalOut(p);
        return 0;
      }
      case 'user list': {
        const users = vault.listUsers();
        out({ users }, users.map((u) => `${u.id}\t${u.name}\t${u.roles.join(',')}\t${u.status}\t${u.address}`).join('\n') || 'No users.');
        return 0;
      }
      case 'user revoke':
        proposalOut(await vault.proposeRevoke({ userId: resolveUser(vault, args[0]), deviceId: actor() }));
        return 0;
      case 'user roles':
        proposalOut(await vault.proposeRoles({ userId: resolveUser(vault, args[0]), roles: parseRoles(ctx.roles), deviceId: actor() }));
        return 0;
      case 'group create': {
        const name = parse(channels['groups.proposeCreate'].input.shape.name, required(ctx.name, '--name', "the group's name"), '--name');
        proposalOut(await vault.proposeGroupCreate({ name, memberIds: members(vault, ctx.members), deviceId: actor() }));
        return 0;
      }
      case 'group edit': {
        const groupId = resolveGroup(vault, args[0]);
        const name = ctx.name === undefined ? undefined : parse(channels['groups.proposeCreate'].input.shape.name, ctx.name, '--name');
        proposalOut(await vault.proposeGroupEdit({ groupId, name, memberIds: ctx.members === undefined ? undefined : members(vault, ctx.members), deviceId: actor() }));
        return 0;
      }
      case 'group list': {
        const groups = vault.listGroups();
        out({ groups }, groups.map((g) => `${g.id}\t${g.name}\t${g.members.map((m) => m.name).join(', ') || '(no members)'}`).join('\n') || 'No groups.');
        return 0;
      }
      case 'vault team-mode':
        // One way: once approved, the console's MPC host signs nothing more for this vault (docs/team.md).
        proposalOut(await vault.proposeTeamMode({ deviceId: actor() }));
        return 0;
      case 'quorum set': {
        const quorum = parse(channels['settings.proposeQuorum'].input.shape.quorum, Number(required(args[0], '<n>', 'the new quorum')), '<n>');
        proposalOut(await vault.proposeQuorum({ quorum, deviceId: actor() }));
        return 0;
      }
      case 'proposal list': {
        const status = ctx.status === undefined ? undefined : parse(channels['proposals.list'].input.shape.status, ctx.status, '--status');
        const proposals = vault.listProposals({ status });
        out({ proposals }, proposals.map(proposalLine).join('\n') || 'No proposals.');
        return 0;
      }
      case 'proposal approve':
      case 'proposal reject': {
        const proposalId = required(args[0], '<proposal>', 'the proposal id');
        const p = command === 'approve' ? await vault.approve({ proposalId, deviceId: actor() }) : await vault.reject({ proposalId, deviceId: actor() });
        proposalOut(p);
        return 0;
      }
      case 'audit verify': {
        if (ctx.full === true) return verifyFull(vault, ctx, out);
        const v = vault.auditVerify();
        out(v, v.valid ? `ok: ${v.entries} entries, head ${v.head} (pin this head to detect a truncated log later)` : `BROKEN at entry ${v.brokenAt}: ${v.reason}`);
        return v.valid ? 0 : 1;
      }
      case 'audit export': {
        const format = parse(channels['audit.export'].input.shape.format, ctx.format ?? 'json', '--format');
        const file = vault.auditExport(format);
        if (ctx.outFile !== undefined) {
          writeFileSync(ctx.outFile, file.content);
          out({ file: ctx.outFile, format, entries: vault.auditVerify().entries }, `Wrote ${ctx.outFile}. Check it offline: node scripts/verify-audit-export.mjs ${ctx.outFile}`);
        } else process.stdout.write(file.content);
        return 0;
      }
      default:
        throw new CliUsageError(`Unknown command ${key}.`);
    }
  } finally {
    await team?.close();
    store.close();
    await devices?.manager.close();
  }
}
