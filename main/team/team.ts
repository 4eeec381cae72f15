// A console in its team: join (settings written once the stream and its genesis check out), attach on every start
// from the settings, and the status a person reads (server, connection, heads, lag, refused entries).
import path from 'node:path';
import type { ErrorCode } from '../../preload/contract';
import { CustosError } from '../errors';
import type { Logger } from '../log';
import type { Store } from '../store';
import { FINGERPRINT_START } from '../store/log-head';
import type { VaultService } from '../vault';
import type { AdoptReport, PushReport } from '../vault/log-writer';
import { connectTeam, type NatsConnection } from './connection';
import { Follower } from './follower';
import { readCredential, readTeamSettings, writeTeamSettings, type TeamSettings, type TeamTls, VAULT_ID } from './settings';
import { TeamStream } from './stream';

/**
 * A console attached to its team's stream: its writer publishes there first and adopts what others appended. The
 * connection is made at the first use (an append, a catch-up), so reads stay offline and fast; a server that cannot be
 * reached fails that append in words before any device is asked.
 */
export interface TeamSession {
  readonly settings: TeamSettings;
  /** The stream, connecting if needed. */
  stream(): Promise<TeamStream>;
  /** Calls `onEntry` on each new entry of the vault's subject (connecting if needed); returns how to stop. */
  watch(onEntry: () => void): Promise<() => void>;
  close(): Promise<void>;
}

export interface JoinInput {
  readonly servers: readonly string[];
  readonly user: string | null;
  readonly password: string | null;
  /** A private CA and a client certificate (kept as absolute paths in team.json; read at each connection). */
  readonly tls?: TeamTls | null;
  /** Needed for an empty data folder (given out of band by the inviting administrator); checked against a vault. */
  readonly vaultId?: string;
  readonly genesisAddress?: string;
  /** Make the stream when it is missing (a user allowed to). */
  readonly create?: boolean;
}

export interface JoinResult {
  readonly settings: TeamSettings;
  readonly adopted: AdoptReport;
  readonly pushed: PushReport;
}

/**
 * Joins the vault's team log: a console with a vault publishes its log into an empty stream (or finds it there), a
 * console with an empty data folder adopts the log from the pinned genesis on. Settings are written only on success.
 */
export async function joinTeam(dataDir: string, store: Store, vault: VaultService, input: JoinInput): Promise<JoinResult> {
  const local = localGenesis(store);
  const vaultId = input.vaultId ?? local?.vaultId;
  const genesisAddress = input.genesisAddress ?? local?.adminAddress;
  if (vaultId === undefined || genesisAddress === undefined) {
    throw new CustosError('BAD_INPUT', "This data folder holds no vault: join with the vault's id (--vault) and its genesis administrator's address (--genesis), from the administrator who invited you.");
  }
  if (!VAULT_ID.test(vaultId)) throw new CustosError('BAD_INPUT', `--vault: "${vaultId}" is not a vault id.`);
  if (!/^0x[0-9a-fA-F]{40}$/.test(genesisAddress)) throw new CustosError('BAD_INPUT', `--genesis: "${genesisAddress}" is not an address (0x and 40 hex digits).`);
  if (local !== null && (local.vaultId !== vaultId || local.adminAddress.toLowerCase() !== genesisAddress.toLowerCase())) {
    throw new CustosError('TEAM_STREAM', `This data folder holds vault ${local.vaultId} founded by ${local.adminAddress}, not vault ${vaultId} by ${genesisAddress}. Nothing was joined.`);
  }
  const tls = absoluteTls(input.tls ?? null);
  const settings: TeamSettings = { version: 1, servers: input.servers, user: input.user, credentialFile: null, vaultId, genesisAddress, nodeDir: null, tls };
  const session = attach(settings, () => input.password, vault, { create: input.create ?? false });
  try {
    // Connects now: a wrong credential or a stream that is not this vault's is said before anything is consumed.
    await session.stream();
    const adopted = await vault.teamSync();
    if (localGenesis(store) === null) {
      const refused = adopted.refused.slice(0, 3).map((r) => `entry ${r.at}: ${r.reason}`).join('; ');
      throw new CustosError('TEAM_STREAM', `The team log holds no genesis of vault ${vaultId} by ${genesisAddress}${refused === '' ? ' (it is empty)' : ` (${refused})`}. Check the vault id and address you were given; nothing was joined.`);
    }
    const pushed = await vault.teamPush();
    const written = writeTeamSettings(dataDir, { servers: input.servers, user: input.user, vaultId, genesisAddress, tls }, input.password);
    return { settings: written, adopted, pushed };
  } catch (err) {
    vault.replicate(null);
    throw err;
  } finally {
    await session.close();
  }
}

/**
 * A console following its team while it runs: attached from the settings, catching up on each new entry (and every few
 * seconds); null on a single desk. What it refuses or fails to reach is logged, never thrown. `onAdopted` is told after
 * each catch-up that adopted records (a signer node gives them to its gate).
 */
export function followTeam(dataDir: string, vault: VaultService, log: Logger, pollMs?: number, onAdopted?: () => void): { session: TeamSession; close(): Promise<void> } | null {
  let session: TeamSession | null;
  try {
    session = attachFromSettings(dataDir, vault, { reconnect: true });
  } catch (err) {
    // Settings that cannot be read must not turn a team's console into a single desk that records apart from the team.
    const refusal = err instanceof CustosError ? err : new CustosError('TEAM_STREAM', `The team settings cannot be read: ${(err as Error).message}.`);
    log.warn('the team settings cannot be used: this console records nothing until they are fixed', { error: refusal.message });
    vault.replicate({ genesis: { vaultId: '', adminAddress: '' }, entriesAfter: () => Promise.reject(refusal), append: () => Promise.reject(refusal) });
    return null;
  }
  if (session === null) return null;
  const joined = session;
  let lastError: string | null = null;
  const follower = new Follower({
    sync: () => vault.teamSync(),
    watch: (onEntry) => joined.watch(onEntry),
    ...(pollMs === undefined ? {} : { pollMs }),
    onReport: (r) => {
      // A server that stays down is said once, not at every poll.
      if ('error' in r) {
        if (r.error.message !== lastError) log.warn('the team log could not be followed', { error: r.error.message });
        lastError = r.error.message;
        return;
      }
      lastError = null;
      if (r.adopted > 0) onAdopted?.();
      if (r.adopted === 0 && r.refused.length === 0) return;
      if (r.refused.length > 0) log.warn('entries of the team log were refused', { adopted: r.adopted, refused: r.refused.map((x) => `entry ${x.at}: ${x.reason}`) });
      else log.info('records adopted from the team log', { adopted: r.adopted });
    },
  }).start();
  return {
    session: joined,
    close: async () => {
      await follower.stop();
      await joined.close();
    },
  };
}

/** Attaches the vault to its team from the data folder's settings; null on a single desk (no settings). */
export function attachFromSettings(dataDir: string, vault: VaultService, options: { reconnect?: boolean } = {}): TeamSession | null {
  const settings = readTeamSettings(dataDir);
  if (settings === null) return null;
  return attach(settings, () => readCredential(dataDir, settings), vault, { create: false, reconnect: options.reconnect });
}

function attach(settings: TeamSettings, password: () => string | null, vault: VaultService, options: { create: boolean; reconnect?: boolean }): TeamSession {
  let opened: Promise<{ nc: NatsConnection; stream: TeamStream }> | null = null;
  const open = async (): Promise<{ nc: NatsConnection; stream: TeamStream }> => {
    // A connection the server dropped (restarted, crashed) is made again at the next use.
    if (opened !== null && (await opened.catch(() => null))?.nc.isClosed() === true) opened = null;
    opened ??= (async () => {
      const nc = await connectTeam({ servers: settings.servers, user: settings.user, password: password(), reconnect: options.reconnect, tls: settings.tls });
      try {
        return { nc, stream: await TeamStream.open(nc, settings.vaultId, { create: options.create, user: settings.user }) };
      } catch (err) {
        await nc.close();
        throw err;
      }
    })();
    const attempt = opened;
    // A failed attempt is not kept: the next append tries again.
    attempt.catch(() => {
      if (opened === attempt) opened = null;
    });
    return attempt;
  };
  const stream = async () => (await open()).stream;
  vault.replicate({
    genesis: { vaultId: settings.vaultId, adminAddress: settings.genesisAddress },
    entriesAfter: async (streamSeq) => (await stream()).entriesAfter(streamSeq),
    append: async (body, expectedLast) => (await stream()).append(body, expectedLast),
  });
  return {
    settings,
    stream,
    watch: async (onEntry) => {
      const { nc, stream: s } = await open();
      const sub = nc.subscribe(s.subject, { callback: (err) => {
        if (err === null) onEntry();
      } });
      return () => sub.unsubscribe();
    },
    close: async () => {
      vault.replicate(null);
      const o = opened;
      opened = null;
      if (o !== null) await o.then(({ nc }) => nc.close(), () => undefined);
    },
  };
}

export interface TeamStatus {
  readonly team: boolean;
  readonly servers: readonly string[];
  readonly user: string | null;
  readonly vaultId: string | null;
  readonly connected: boolean;
  /** Why it is not connected, in words, and its code (TEAM_UNREACHABLE, TEAM_AUTH, TEAM_STREAM…). */
  readonly error: string | null;
  readonly errorCode: ErrorCode | null;
  /** This console's log: its last seq (-1 when empty) and head fingerprint (log-head.ts). */
  readonly local: { readonly seq: number; readonly fingerprint: string };
  /** The stream's last sequence, when connected. */
  readonly streamLastSeq: number | null;
  /** The last stream entry this console consumed. */
  readonly cursor: number;
  /** Stream entries not consumed yet, when connected. */
  readonly lag: number | null;
  readonly refused: number;
  readonly refusals: { readonly streamSeq: number; readonly reason: string; readonly seenAt: string; readonly excerpt: string | null }[];
}

/** The team's state as this console sees it; connects only to read the stream's head. */
export async function teamStatus(dataDir: string, store: Store, vault: VaultService): Promise<TeamStatus> {
  const settings = readTeamSettings(dataDir);
  const head = vault.logHead();
  const local = { seq: (head?.count ?? 0) - 1, fingerprint: head?.fingerprint ?? FINGERPRINT_START };
  const cursor = store.teamEntries.cursor();
  const refusals = store.teamEntries.refusals(20).map((r) => ({ streamSeq: r.streamSeq, reason: r.refused ?? '', seenAt: r.seenAt, excerpt: r.excerpt }));
  const base = { servers: settings?.servers ?? [], user: settings?.user ?? null, vaultId: settings?.vaultId ?? null, local, cursor, refused: store.teamEntries.refusedCount(), refusals };
  if (settings === null) return { team: false, connected: false, error: null, errorCode: null, streamLastSeq: null, lag: null, ...base };
  let nc: NatsConnection | null = null;
  try {
    nc = await connectTeam({ servers: settings.servers, user: settings.user, password: readCredential(dataDir, settings), timeoutMs: 3_000, tls: settings.tls });
    const stream = await TeamStream.open(nc, settings.vaultId, { create: false, user: settings.user });
    const d = await stream.describe();
    return { team: true, connected: true, error: null, errorCode: null, streamLastSeq: d.lastSeq, lag: d.lastSeq - cursor, ...base };
  } catch (err) {
    return { team: true, connected: false, error: (err as Error).message, errorCode: err instanceof CustosError ? err.code : null, streamLastSeq: null, lag: null, ...base };
  } finally {
    await nc?.close();
  }
}

/** TLS file paths as absolute paths: the settings are read later from another working directory (a node, the app). */
function absoluteTls(tls: TeamTls | null): TeamTls | null {
  if (tls === null) return null;
  return {
    ...(tls.caFile === undefined ? {} : { caFile: path.resolve(tls.caFile) }),
    ...(tls.certFile === undefined ? {} : { certFile: path.resolve(tls.certFile) }),
    ...(tls.keyFile === undefined ? {} : { keyFile: path.resolve(tls.keyFile) }),
  };
}

function localGenesis(store: Store): { vaultId: string; adminAddress: string } | null {
  const body = store.records.bodyAt(0);
  if (body === null) return null;
  const genesis = JSON.parse(body) as { vaultId: string; admin: { identityAddress: string } };
  return { vaultId: genesis.vaultId, adminAddress: genesis.admin.identityAddress };
}
