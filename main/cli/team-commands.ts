// `custos team join|status|pull|push|node|export|import|server-config`: the vault's team log (NATS JetStream), the
// signer node this console coordinates with, bundle files, and the server's config for IT.
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { Store } from '../store';
import { exportBundle, importBundle } from '../team/bundle';
import { coordinatorView, setCoordinatorNode } from '../signer/team-nodes';
import { teamServerConfig } from '../team/server-config';
import { teamServerUsers } from '../team/server-users';
import { isServerUrl, readTeamSettings } from '../team/settings';
import { attachFromSettings, joinTeam, teamStatus, type TeamSession } from '../team/team';
import { VaultService } from '../vault';
import { type CliContext, CliUsageError } from './context';

export const TEAM_COMMANDS = ['join', 'status', 'pull', 'push', 'node', 'export', 'import', 'server-config'] as const;

export async function runTeamCommand(command: string | undefined, args: string[], ctx: CliContext): Promise<number> {
  const known: readonly string[] = TEAM_COMMANDS;
  if (command === undefined || !known.includes(command)) throw new CliUsageError(`Unknown team command "${command ?? ''}": use ${known.join(', ')}.`);
  mkdirSync(ctx.dataDir, { recursive: true });
  const store = Store.open(ctx.dataDir);
  const devices = new DeviceManager();
  let team: TeamSession | null = null;
  const out = (value: unknown, text: string) => ctx.out(ctx.json ? JSON.stringify(value) : text);
  try {
    const vault = new VaultService({ store, devices });
    const joined = (): TeamSession => {
      team = attachFromSettings(ctx.dataDir, vault);
      if (team === null) throw new CustosError('TEAM_STREAM', `${ctx.dataDir} is not joined to a team: run custos team join --server URL first.`);
      return team;
    };
    switch (command) {
      case 'join': {
        const servers = required(ctx.server, '--server', "the team server's URL (nats://host:4222)").split(',').map((s) => s.trim()).filter((s) => s !== '');
        for (const s of servers) if (!isServerUrl(s)) throw new CliUsageError(`--server: "${s}" is not a nats:// or tls:// URL.`);
        if (ctx.user !== undefined && ctx.passwordFile === undefined) throw new CliUsageError('--password-file: the file holding the password of --user is required.');
        const password = ctx.passwordFile === undefined ? null : readPassword(ctx.passwordFile);
        const { caFile, certFile, keyFile } = ctx;
        if ((certFile === undefined) !== (keyFile === undefined)) throw new CliUsageError("--cert and --key go together: the client certificate and its private key, both from the server's administrator.");
        const tls = caFile === undefined && certFile === undefined ? null : {
          ...(caFile === undefined ? {} : { caFile: path.resolve(caFile) }),
          ...(certFile === undefined || keyFile === undefined ? {} : { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) }),
        };
        const result = await joinTeam(ctx.dataDir, store, vault, {
          servers,
          user: ctx.user ?? null,
          password,
          tls,
          ...(ctx.vault === undefined ? {} : { vaultId: ctx.vault }),
          ...(ctx.genesis === undefined ? {} : { genesisAddress: ctx.genesis }),
          create: ctx.create ?? false,
        });
        const head = vault.logHead();
        out(
          { vaultId: result.settings.vaultId, servers, adopted: result.adopted.adopted, refused: result.adopted.refused.length, published: result.pushed.published, head },
          `Joined the team log of vault ${result.settings.vaultId} on ${servers.join(', ')}: ${result.adopted.adopted} records adopted, ${result.pushed.published} published, ${result.adopted.refused.length} entries refused. Head: ${head?.count ?? 0} records, ${head?.fingerprint ?? ''}.`,
        );
        return 0;
      }
      case 'status': {
        const s = await teamStatus(ctx.dataDir, store, vault);
        if (!s.team) {
          out(s, `Single desk: ${ctx.dataDir} is not joined to a team. Head: seq ${s.local.seq}, ${s.local.fingerprint}.`);
          return 0;
        }
        out(s, [
          `Vault ${s.vaultId} on ${s.servers.join(', ')}${s.user === null ? '' : ` as ${s.user}`}: ${s.connected ? 'connected' : `NOT connected (${s.error ?? ''})`}`,
          `local head: seq ${s.local.seq}, ${s.local.fingerprint}`,
          `stream: ${s.streamLastSeq === null ? 'unknown' : `last entry ${s.streamLastSeq}`}; consumed ${s.cursor}${s.lag === null ? '' : `; lag ${s.lag}`}`,
          `refused entries: ${s.refused}${s.refusals.map((r) => `\n  - entry ${r.streamSeq} (${r.seenAt}): ${r.reason}`).join('')}`,
        ].join('\n'));
        return s.connected ? 0 : 1;
      }
      case 'pull': {
        joined();
        const r = await vault.teamSync();
        out({ ...r, head: vault.logHead() }, `${r.adopted} records adopted, ${r.refused.length} entries refused${r.refused.map((x) => `\n  - entry ${x.at}: ${x.reason}`).join('')}; consumed up to entry ${r.cursor}.`);
        return 0;
      }
      case 'push': {
        joined();
        const r = await vault.teamPush();
        out({ ...r, head: vault.logHead() }, `${r.published} local records published; the stream is at entry ${r.cursor}.`);
        return 0;
      }
      case 'node': {
        // Without --node-dir it says which node is set; --clear forgets it.
        if (readTeamSettings(ctx.dataDir) === null) throw new CustosError('TEAM_STREAM', `${ctx.dataDir} is not joined to a team: run custos team join --server URL first.`);
        if (ctx.nodeDir !== undefined || ctx.clear === true) setCoordinatorNode(ctx.dataDir, vault, ctx.clear === true ? null : path.resolve(ctx.nodeDir!));
        const c = coordinatorView(ctx.dataDir, vault);
        out(c, c.problem === null ? `This console coordinates with ${c.user!.name}'s signer node ${c.nodeId} in ${c.nodeDir}.` : c.problem);
        return c.problem === null ? 0 : 1;
      }
      case 'export': {
        const after = Number(required(ctx.after, '--after', 'the seq the bundle starts after (-1 for the whole log)'));
        const file = required(ctx.outFile, '--out', 'the bundle file to write');
        const b = exportBundle(store, vault, after, file);
        out({ file, vaultId: b.vaultId, after: b.after, records: b.records.length, head: b.head }, `${b.records.length} records after seq ${b.after} written to ${file} (head ${b.head.count} records, ${b.head.fingerprint}).`);
        return 0;
      }
      case 'import': {
        const file = required(args[0] ?? ctx.file, '<file>', 'the bundle file');
        const r = await importBundle(vault, file, ctx.genesis === undefined ? null : { adminAddress: ctx.genesis });
        const text = `${r.adopted} records adopted, ${r.present} already held, ${r.refused.length} refused${r.refused.map((x) => `\n  - bundle record ${x.at}: ${x.reason}`).join('')}.`;
        out({ ...r, head: vault.logHead() }, text);
        return r.refused.length === 0 ? 0 : 1;
      }
      case 'server-config': {
        const users = teamServerUsers(vault.readState());
        const config = teamServerConfig({
          listen: '0.0.0.0:4222',
          storeDir: '/var/lib/nats/jetstream',
          tls: { certFile: '/etc/nats/tls/server.pem', keyFile: '/etc/nats/tls/server.key', caFile: '/etc/nats/tls/team-ca.pem', verify: false },
          users,
        });
        out({ config, users: users.map(({ user, role, userId, name, partyId }) => ({ user, role, userId, name, partyId })) }, config.trimEnd());
        return 0;
      }
      default:
        throw new CliUsageError(`Unknown command team ${command}.`);
    }
  } finally {
    await (team as TeamSession | null)?.close();
    store.close();
    await devices.close();
  }
}

function required(value: string | undefined, option: string, what: string): string {
  if (value === undefined || value === '') throw new CliUsageError(`${option}: ${what} is required.`);
  return value;
}

function readPassword(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new CliUsageError(`--password-file: ${file} cannot be read (${(err as Error).message}).`);
  }
}
