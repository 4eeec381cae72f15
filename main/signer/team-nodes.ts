// How a console in a team reaches the custodians' signer nodes: the team's server from its settings, and the keys of
// its own user's registered node, which sign the session requests it sends. In a team, every signing and every key
// ceremony a console starts (its buttons, the CLI, the demo) goes through here; the console's MPC host takes no part.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { GovernanceState, NodeKey, UserState, WalletState } from '../../crypto/governance';
import type { NodeProgressView, TeamStatusView, TransferView } from '../../preload/contract';
import { CustosError } from '../errors';
import { NatsRelayTransport, type RelayTransport } from '../relay';
import { connectTeam } from '../team/connection';
import { readCredential, readTeamSettings, setTeamNodeDir } from '../team/settings';
import type { TransferService } from '../transfers/service';
import type { VaultService } from '../vault/service';
import { pingNodes, signWithNodes, type CoordinatorEvent, type NodeStatusRow } from './coordinator';
import { ceremonyWithNodes } from './ceremony-coordinator';
import type { KeygenEvent } from './coordination';
import { coordinatorKeys, NODE_KEYS_FILE, readNodePublic, type NodeKeys } from './node-keys';
import { nodeOwner } from './node-share';

export interface TeamNodesOptions {
  dataDir: string;
  vault: VaultService;
  /** A node folder for this run (the CLI's --node-dir); otherwise the one the team settings name. */
  nodeDir?: string;
  /** Only these custodians (ids or names) may be picked to sign. */
  only?: readonly string[];
  /** How long a signing, or a DKG and then its attestations, may take (ms). */
  sessionMs?: number;
  pingMs?: number;
}

/** A node's part in words and as a row for the screen; `null` for events a person need not see. */
export interface NodeNews {
  message: string;
  node: NodeProgressView | null;
}

export class TeamNodes {
  constructor(private readonly o: TeamNodesOptions) {}

  /**
   * Signs an allowed request with t custodians' signer nodes after catching up with the team log; the request is
   * recorded through the transfer service's one recording step.
   */
  sign(requestId: string, transfers: TransferService, tell: (news: NodeNews) => void): Promise<TransferView> {
    return this.withRelay((keys, transport) =>
      signWithNodes(requestId, {
        vault: this.o.vault,
        transfers,
        keys,
        transport,
        ...(this.o.only === undefined ? {} : { only: this.o.only }),
        ...(this.o.sessionMs === undefined ? {} : { sessionMs: this.o.sessionMs }),
        ...(this.o.pingMs === undefined ? {} : { pingMs: this.o.pingMs }),
        onEvent: (e) => tellNews(e, tell),
      }),
    );
  }

  /** Runs the key ceremony `walletId` owes with its custodians' signer nodes, and records the key they attest. */
  ceremony(walletId: string, tell: (news: NodeNews) => void): Promise<WalletState> {
    return this.withRelay((keys, transport) =>
      ceremonyWithNodes(walletId, {
        vault: this.o.vault,
        keys,
        transport,
        ...(this.o.sessionMs === undefined ? {} : { sessionMs: this.o.sessionMs }),
        ...(this.o.pingMs === undefined ? {} : { pingMs: this.o.pingMs }),
        onEvent: (e) => tellNews(e, tell),
      }),
    );
  }

  /** Which registered signer nodes answer now, ready and at this console's head. */
  ping(): Promise<NodeStatusRow[]> {
    return this.withRelay((keys, transport) => pingNodes({ vault: this.o.vault, keys, transport, ...(this.o.pingMs === undefined ? {} : { pingMs: this.o.pingMs }) }));
  }

  /** The coordinating node's keys, refused in words when no folder is set, it holds no keys, or the log does not register it. */
  keys(): NodeKeys {
    const nodeDir = this.nodeDir();
    if (nodeDir === null) {
      throw new CustosError(
        'RULE_VIOLATION',
        "This console is in a team: its signings and key ceremonies go through the custodians' signer nodes, and it coordinates them with your own registered node's keys. Set your signer node's folder (Team, \"Your signer node\"; or custos team node --node-dir <folder>). Nothing was signed.",
        undefined,
        'nodeDir',
      );
    }
    if (!existsSync(path.join(nodeDir, NODE_KEYS_FILE))) {
      throw new CustosError('BAD_INPUT', `The folder ${nodeDir} holds no signer node keys (${NODE_KEYS_FILE}): give the folder of your node (custos signer init made it). Nothing was signed.`, undefined, 'nodeDir');
    }
    const keys = coordinatorKeys(nodeDir);
    registeredAs(this.o.vault.readState(), keys, nodeDir);
    return keys;
  }

  private nodeDir(): string | null {
    if (this.o.nodeDir !== undefined) return path.resolve(this.o.nodeDir);
    return readTeamSettings(this.o.dataDir)?.nodeDir ?? null;
  }

  private async withRelay<T>(work: (keys: NodeKeys, transport: RelayTransport) => Promise<T>): Promise<T> {
    const settings = readTeamSettings(this.o.dataDir);
    if (settings === null) throw new CustosError('TEAM_STREAM', 'This vault is not shared with a team: there are no signer nodes to ask. Nothing was signed.');
    const keys = this.keys();
    // The nodes answer only at the head they hold: the coordinator asks at the team's head, not at an older one.
    await this.o.vault.teamSync();
    const nc = await connectTeam({ servers: settings.servers, user: settings.user, password: readCredential(this.o.dataDir, settings), tls: settings.tls ?? null });
    try {
      return await work(keys, new NatsRelayTransport(nc));
    } finally {
      await nc.drain().catch(() => undefined);
    }
  }
}

/** The active user whose device registered exactly these node keys in the log, or a refusal in words. */
function registeredAs(state: GovernanceState, keys: NodeKey, nodeDir: string): UserState {
  const { userId } = nodeOwner(state, keys.nodeId);
  const user = state.users.find((u) => u.id === userId)!;
  if (user.node?.signingKey !== keys.signingKey || user.node.hpkeKey !== keys.hpkeKey) {
    throw new CustosError('RULE_VIOLATION', `The signer node in ${nodeDir} (node ${keys.nodeId}) has other keys than the ones ${user.name}'s device registered in the log: register this node again (custos signer register), or give the folder of the registered one.`, undefined, 'nodeDir');
  }
  return user;
}

/** The node this console coordinates with, as the Team screen shows it (read from its public file: nothing secret opened). */
export function coordinatorView(dataDir: string, vault: VaultService): TeamStatusView['coordinator'] {
  const nodeDir = readTeamSettings(dataDir)?.nodeDir ?? null;
  if (nodeDir === null) return { nodeDir: null, nodeId: null, user: null, problem: "No signer node is set: this console cannot start a signing or a key ceremony until you set your registered node's folder." };
  let nodeId: string | null = null;
  try {
    const key = readNodePublic(nodeDir);
    nodeId = key.nodeId;
    const user = registeredAs(vault.readState(), key, nodeDir);
    return { nodeDir, nodeId, user: { id: user.id, name: user.name }, problem: null };
  } catch (err) {
    return { nodeDir, nodeId, user: null, problem: err instanceof CustosError ? err.message : String(err) };
  }
}

/** Sets the folder of the node this console coordinates with, once it checks out (keys there, registered in the log). */
export function setCoordinatorNode(dataDir: string, vault: VaultService, nodeDir: string | null): void {
  if (nodeDir !== null) {
    if (!path.isAbsolute(nodeDir)) throw new CustosError('BAD_INPUT', `${nodeDir} is not an absolute folder path: give the whole path of your signer node's folder.`, undefined, 'nodeDir');
    new TeamNodes({ dataDir, vault, nodeDir }).keys();
  }
  setTeamNodeDir(dataDir, nodeDir);
}

/** A coordinator's event as a line for a person and a row for the screen. */
export function tellNews(e: CoordinatorEvent | KeygenEvent, tell: (news: NodeNews) => void): void {
  const row = (custodian: string, state: NodeProgressView['state'], detail: string | null = null, round: number | null = null): NodeProgressView => ({ custodian, state, round, detail });
  switch (e.type) {
    case 'status':
      if (e.head === null) return tell({ message: `${e.custodian}'s signer node: no answer`, node: row(e.custodian, 'not-ready', 'no answer') });
      if (!e.ready) return tell({ message: `${e.custodian}'s signer node: not ready (${e.problem ?? ''})`, node: row(e.custodian, 'not-ready', e.problem) });
      return tell({ message: `${e.custodian}'s signer node: ready at record ${e.head.seq}`, node: row(e.custodian, 'ready', `at record ${e.head.seq}`) });
    case 'picked':
      tell({ message: `ceremony ${e.ceremonyId}: with ${e.custodians.join(', ')}'s signer nodes`, node: null });
      for (const c of e.custodians) tell({ message: `${c}'s signer node takes part`, node: row(c, 'picked') });
      return;
    case 'answer':
      return e.accepted
        ? tell({ message: `${e.custodian}'s signer node accepted (its custodian approved on their device)`, node: row(e.custodian, 'accepted') })
        : tell({ message: `${e.custodian}'s signer node refused: ${e.reason ?? 'no reason given'}`, node: row(e.custodian, 'refused', e.reason) });
    case 'round':
      return tell({ message: `${e.custodian}'s signer node answered round ${e.round}`, node: row(e.custodian, 'round', null, e.round) });
    case 'keygen':
      return tell({ message: `${e.custodian}'s signer node made its share of key ${e.outputKey}`, node: row(e.custodian, 'key', e.outputKey) });
    case 'attested':
      return tell({ message: `${e.custodian} attested the key on their device`, node: row(e.custodian, 'attested') });
    case 'session':
      return;
  }
}
