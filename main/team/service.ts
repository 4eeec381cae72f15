// The team as the console shows and drives it: its status (with the signer nodes the log registers), a catch-up on
// demand, joining from the console, and following the log once joined. The team logic itself stays in team.ts.
import { nodeKeyFingerprint } from '../../crypto/governance';
import type { SignerNodeView, TeamConnectionState, TeamPingView, TeamPullView, TeamPushView, TeamStatusView } from '../../preload/contract';
import { CustosError } from '../errors';
import { coordinatorView, setCoordinatorNode, TeamNodes } from '../signer/team-nodes';
import type { Logger } from '../log';
import type { Store } from '../store';
import type { VaultService } from '../vault';
import { readTeamSettings } from './settings';
import { followTeam, joinTeam, teamStatus, type TeamStatus } from './team';

export interface TeamServiceOptions {
  readonly dataDir: string;
  readonly store: Store;
  readonly vault: VaultService;
  readonly log: Logger;
  /** How often the follower polls besides the server's notifications (ms). */
  readonly pollMs?: number;
}

export interface TeamJoinInput {
  /** One or more nats:// or tls:// URLs, comma-separated. */
  readonly server: string;
  readonly user?: string;
  readonly password?: string;
  readonly vaultId?: string;
  readonly genesisAddress?: string;
  readonly create?: boolean;
  /** TLS files (paths): the team's private CA; this console's client certificate and its key. */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

export class TeamService {
  private following: { close(): Promise<void> } | null = null;
  private joining = false;

  constructor(private readonly options: TeamServiceOptions) {}

  /** Follows the team's log when the data folder is joined (at start, and after a join); nothing on a single desk. */
  start(): void {
    if (this.following !== null) return;
    this.following = followTeam(this.options.dataDir, this.options.vault, this.options.log, this.options.pollMs);
  }

  async status(): Promise<TeamStatusView> {
    const { dataDir, store, vault } = this.options;
    return this.view(await teamStatus(dataDir, store, vault));
  }

  /** Catches up now: adopts what the team appended, refuses (and keeps) what does not check out. */
  async pull(): Promise<TeamPullView> {
    if (readTeamSettings(this.options.dataDir) === null) throw notShared();
    const report = await this.options.vault.teamSync();
    return { adopted: report.adopted, refused: report.refused.length, status: await this.status() };
  }

  /**
   * Joins through joinTeam (which writes the settings only once the server, the credential and the genesis check out),
   * then follows the log from now on. Each refusal names the field it is about, for the form to show beside it.
   */
  async join(input: TeamJoinInput): Promise<TeamStatusView> {
    const { dataDir, store, vault } = this.options;
    if (this.joining) throw new CustosError('BAD_INPUT', 'A join is already under way: wait for its answer.');
    const settings = readTeamSettings(dataDir);
    if (settings !== null) {
      throw new CustosError('BAD_INPUT', `This console already follows the team log of vault ${settings.vaultId} on ${settings.servers.join(', ')}. Nothing was changed.`);
    }
    const hasVault = store.records.lastSeq() !== null;
    if (!hasVault && input.vaultId === undefined) {
      throw new CustosError('BAD_INPUT', "There is no vault here yet: enter the vault id and its genesis administrator's address that the administrator who invited you gave you.", undefined, 'vaultId');
    }
    const servers = input.server.split(',').map((s) => s.trim()).filter((s) => s !== '');
    this.joining = true;
    try {
      await joinTeam(dataDir, store, vault, {
        servers,
        user: input.user ?? null,
        password: input.user === undefined ? null : (input.password ?? null),
        ...(input.vaultId === undefined ? {} : { vaultId: input.vaultId }),
        ...(input.genesisAddress === undefined ? {} : { genesisAddress: input.genesisAddress }),
        create: input.create ?? false,
        tls: input.caFile === undefined && input.certFile === undefined ? null : {
          ...(input.caFile === undefined ? {} : { caFile: input.caFile }),
          ...(input.certFile === undefined || input.keyFile === undefined ? {} : { certFile: input.certFile, keyFile: input.keyFile }),
        },
      });
    } catch (err) {
      throw joinRefusal(err, input);
    } finally {
      this.joining = false;
    }
    this.start();
    return this.status();
  }

  /** Sets (null: clears) the folder of this console's user's registered signer node, once it checks out. */
  async setNode(nodeDir: string | null): Promise<TeamStatusView> {
    if (readTeamSettings(this.options.dataDir) === null) throw notShared();
    setCoordinatorNode(this.options.dataDir, this.options.vault, nodeDir);
    return this.status();
  }

  /** Which registered signer nodes answer now, ready and at this console's head. */
  async ping(): Promise<TeamPingView> {
    if (readTeamSettings(this.options.dataDir) === null) throw notShared();
    const rows = await new TeamNodes({ dataDir: this.options.dataDir, vault: this.options.vault }).ping();
    return {
      nodes: rows.map((r) => ({ user: { id: r.user, name: r.name }, nodeId: r.nodeId, online: r.online, head: r.head, problem: r.problem })),
      checkedAt: new Date().toISOString(),
    };
  }

  /** Publishes the records this console holds that the team log lacks. */
  async push(): Promise<TeamPushView> {
    if (readTeamSettings(this.options.dataDir) === null) throw notShared();
    const report = await this.options.vault.teamPush();
    return { published: report.published, status: await this.status() };
  }

  async close(): Promise<void> {
    const following = this.following;
    this.following = null;
    await following?.close();
  }

  private view(s: TeamStatus): TeamStatusView {
    const { store } = this.options;
    const { nodes, genesis } = this.fromLog();
    return {
      joined: s.team,
      hasVault: store.records.lastSeq() !== null,
      servers: [...s.servers],
      user: s.user,
      vaultId: s.vaultId ?? genesis?.vaultId ?? null,
      genesisAddress: (s.team ? readTeamSettings(this.options.dataDir)?.genesisAddress : undefined) ?? genesis?.adminAddress ?? null,
      connection: { state: connectionState(s), message: s.error },
      head: { seq: s.local.seq, fingerprint: s.local.fingerprint },
      streamLastSeq: s.streamLastSeq,
      cursor: s.cursor,
      lag: s.lag,
      refusedCount: s.refused,
      refused: s.refusals.map((r) => ({ ...r })),
      nodes,
      coordinator: s.team ? coordinatorView(this.options.dataDir, this.options.vault) : { nodeDir: null, nodeId: null, user: null, problem: null },
      checkedAt: new Date().toISOString(),
    };
  }

  /** The signer nodes and the genesis from the replayed log; none when there is no vault or it does not verify. */
  private fromLog(): { nodes: SignerNodeView[]; genesis: { vaultId: string; adminAddress: string } | null } {
    if (this.options.store.records.lastSeq() === null) return { nodes: [], genesis: null };
    try {
      const state = this.options.vault.readState();
      const founder = state.users.find((u) => u.registeredAtSeq === 0);
      const nodes = state.users.flatMap((u): SignerNodeView[] =>
        u.node === undefined ? [] : [{ user: { id: u.id, name: u.name, status: u.status }, nodeId: u.node.nodeId, keyFingerprint: nodeKeyFingerprint(u.node), seq: u.node.seq }],
      );
      return { nodes, genesis: founder === undefined ? null : { vaultId: state.vaultId, adminAddress: founder.identityAddress } };
    } catch {
      // A vault that does not verify says so on every other screen; the team screen still shows the connection.
      return { nodes: [], genesis: null };
    }
  }
}

function connectionState(s: TeamStatus): TeamConnectionState {
  if (!s.team) return 'single-desk';
  if (s.connected) return 'connected';
  if (s.errorCode === 'TEAM_UNREACHABLE') return 'unreachable';
  if (s.errorCode === 'TEAM_AUTH') return 'wrong-credential';
  if (s.errorCode === 'TEAM_TLS') return 'tls-problem';
  return 'stream-problem';
}

const notShared = () => new CustosError('TEAM_STREAM', 'This vault is not shared with a team: join a team first (Team, "Join a team").');

/** A join's refusal, in the console's words, with the field it concerns. */
function joinRefusal(err: unknown, input: TeamJoinInput): unknown {
  if (!(err instanceof CustosError)) return err;
  switch (err.code) {
    case 'TEAM_UNREACHABLE':
      return new CustosError(err.code, err.message, err.details, 'server');
    case 'TEAM_AUTH':
      if (input.user === undefined) {
        return new CustosError(err.code, `The team server ${input.server} asks for a user and password: enter the ones its administrator gave you. Nothing was joined.`, err.details, 'user');
      }
      return new CustosError(err.code, err.message, err.details, 'password');
    case 'TEAM_STREAM':
      // A stream that is missing or refused concerns the server; a log that is not this vault's concerns the genesis.
      if (/genesis|holds vault|founded by/i.test(err.message)) return new CustosError(err.code, err.message, err.details, input.vaultId === undefined ? 'server' : 'genesisAddress');
      return new CustosError(err.code, err.message, err.details, 'server');
    default:
      return err;
  }
}
