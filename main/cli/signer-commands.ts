// `custos signer …`: a custodian's signer node folder (its keys), its registration in the vault's log on their device,
// its replica joining the team, its own sealed shares, and the node at work (`signer start`).
import { existsSync } from 'node:fs';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { consoleLogger } from '../log';
import { VaultService } from '../vault/service';
import { openNodeKeys, publicNodeKey, readNodePublic } from '../signer/node-keys';
import { replicaFolderOf, SignerNode } from '../signer/node';
import { importNodeShares } from '../signer/node-share';
import { Store } from '../store';
import { type CliContext, CliUsageError } from './context';
import { runTeamCommand } from './team-commands';
import { pingNodes } from '../signer/coordinator';
import { NatsRelayTransport } from '../relay';
import { connectTeam } from '../team/connection';
import { readCredential } from '../team/settings';
import { attachFromSettings } from '../team/team';
import { openVaultDevices } from './vault-devices';

export async function runSignerCommand(command: string | undefined, ctx: CliContext): Promise<number> {
  const nodeDir = ctx.nodeDir;
  if (nodeDir === undefined) throw new CliUsageError('--node-dir: give the signer node\'s folder.');
  switch (command) {
    case 'init': {
      const keys = publicNodeKey(openNodeKeys(nodeDir));
      if (ctx.json) ctx.out(JSON.stringify({ nodeDir, ...keys }));
      else {
        ctx.out(`Signer node ${keys.nodeId} in ${nodeDir}`);
        ctx.out(`Node keys fingerprint (your Ledger shows it when you register the node): ${keys.fingerprint}`);
      }
      return 0;
    }
    case 'register': {
      const node = readNodePublic(nodeDir);
      const devices = await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false });
      const store = Store.open(ctx.dataDir);
      const vault = new VaultService({ store, devices: devices.manager });
      try {
        const out = await vault.registerNode({ nodeId: node.nodeId, signingKey: node.signingKey, hpkeKey: node.hpkeKey, deviceId: devices.actor() });
        if (ctx.json) ctx.out(JSON.stringify(out));
        else ctx.out(`Signer node ${out.nodeId} registered for ${out.userId} at record ${out.seq}; keys ${out.keyFingerprint}`);
        return 0;
      } finally {
        vault.close();
        store.close();
        await devices.manager.close();
      }
    }
    case 'join':
      // Exactly `custos team join`, in the node's replica folder.
      openNodeKeys(nodeDir);
      return runTeamCommand('join', [], { ...ctx, dataDir: replicaFolderOf(nodeDir) });
    case 'import-share': {
      if (ctx.dataDirGiven !== true) throw new CliUsageError('--data-dir: give the folder of the console that ran the key ceremony.');
      const keys = openNodeKeys(nodeDir);
      const replicaDir = replicaFolderOf(nodeDir);
      if (!existsSync(replicaDir)) throw new CustosError('BAD_INPUT', `The node's replica is not joined yet: run custos signer join --node-dir ${nodeDir} first (the shares are checked against its own log).`);
      const replica = Store.open(replicaDir);
      const from = Store.open(ctx.dataDir);
      const vault = new VaultService({ store: replica, devices: new DeviceManager() });
      try {
        const copied = importNodeShares({ nodeDir, nodeId: keys.nodeId, state: vault.readState(), from });
        if (ctx.json) ctx.out(JSON.stringify({ nodeDir, copied }));
        else ctx.out(copied.map((c) => `Sealed share of party ${c.partyId} for wallet ${c.walletId} (key version ${c.keyVersion}) copied into ${nodeDir}`).join('\n'));
        return 0;
      } finally {
        vault.close();
        from.close();
        replica.close();
      }
    }
    case 'start':
      return startNode(nodeDir, ctx);
    case 'ping':
      return pingFromConsole(nodeDir, ctx);
    default:
      throw new CliUsageError(`Unknown signer command "${command ?? ''}": use init, register, join, import-share, start or ping.`);
  }
}

/** Runs the node until SIGTERM or SIGINT: one JSON line per event on stdout, device screens on stderr. */
async function startNode(nodeDir: string, ctx: CliContext): Promise<number> {
  const devices = await openVaultDevices(ctx, { allowNewPhrase: false, newUser: false });
  const log = consoleLogger('custos signer');
  let node: SignerNode;
  try {
    node = await SignerNode.start({ nodeDir, devices: devices.manager, deviceId: devices.actor(), identityPath: ctx.path, log, onEvent: (e) => ctx.out(JSON.stringify({ at: new Date().toISOString(), ...e })) });
  } catch (err) {
    await devices.manager.close();
    throw err;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await node.stop();
  await devices.manager.close();
  return 0;
}

/** From a console in a team: which registered signer nodes are online, ready, and at this console's head. */
async function pingFromConsole(nodeDir: string, ctx: CliContext): Promise<number> {
  const keys = openNodeKeys(nodeDir);
  const store = Store.open(ctx.dataDir);
  const devices = new DeviceManager();
  const vault = new VaultService({ store, devices });
  const team = attachFromSettings(ctx.dataDir, vault);
  try {
    if (team === null) throw new CustosError('TEAM_STREAM', `${ctx.dataDir} is not joined to a team: signer nodes are reached through the team's server.`);
    await vault.teamSync();
    const nc = await connectTeam({ servers: team.settings.servers, user: team.settings.user, password: readCredential(ctx.dataDir, team.settings), tls: team.settings.tls });
    try {
      const rows = await pingNodes({ vault, keys, transport: new NatsRelayTransport(nc) });
      if (ctx.json) ctx.out(JSON.stringify({ nodes: rows }));
      else ctx.out(rows.map((r) => `${r.name}: ${r.problem === null ? `online, ready at record ${r.head?.seq ?? '?'}` : r.problem}`).join('\n') || 'No signer node is registered in this vault.');
      return rows.every((r) => r.problem === null) ? 0 : 1;
    } finally {
      await nc.drain().catch(() => undefined);
    }
  } finally {
    await team?.close();
    vault.close();
    store.close();
    await devices.close();
  }
}
