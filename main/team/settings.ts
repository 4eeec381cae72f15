// Team settings in the data folder (team.json, and the credential in its own 0600 file), so a console or the CLI
// reconnects to its team after a restart.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CustosError } from '../errors';

export const TEAM_FILE = 'team.json';
export const CREDENTIAL_FILE = 'team-credential';

/** Vault ids name a stream and a subject: letters, digits, '-' and '_' only. */
export const VAULT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface TeamSettings {
  readonly version: 1;
  /** nats:// (or tls://) URLs of the team's server(s). */
  readonly servers: readonly string[];
  /** The NATS user this console connects as; null for a server that takes anyone (a test, a lab). */
  readonly user: string | null;
  /** Where the user's password is, relative to the data folder (written 0600); null without a user. */
  readonly credentialFile: string | null;
  /** The vault this console follows and the genesis administrator it accepts (given out of band). */
  readonly vaultId: string;
  readonly genesisAddress: string;
  /**
   * The folder of this console's user's registered signer node (absolute), whose keys sign the session requests this
   * console sends when it coordinates a signing or a key ceremony; null until set (`custos team node`, the Team screen).
   * Older files without it read as null.
   */
  readonly nodeDir: string | null;
  /**
   * TLS beyond the system's CAs (absolute paths, read at each connection so IT can renew them in place): the private CA
   * that signed the server's certificate, and this console's client certificate and key when the server asks for one.
   * Absent or null: the system's CAs, no client certificate. Optional so the team.json files written before stay valid.
   */
  readonly tls?: TeamTls | null;
}

export interface TeamTls {
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

const TLS_FIELDS = ['caFile', 'certFile', 'keyFile'] as const;

export const teamFile = (dataDir: string): string => path.join(dataDir, TEAM_FILE);

/** The team settings, or null when this data folder is a single desk. */
export function readTeamSettings(dataDir: string): TeamSettings | null {
  const file = teamFile(dataDir);
  if (!existsSync(file)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw badSettings(file, 'it is not JSON');
  }
  const s = raw as Partial<Record<keyof TeamSettings, unknown>>;
  if (s.version !== 1) throw badSettings(file, 'its version is not 1');
  if (!Array.isArray(s.servers) || s.servers.length === 0 || !s.servers.every((u) => typeof u === 'string' && isServerUrl(u))) throw badSettings(file, '"servers" must list nats:// or tls:// URLs');
  if (s.user !== null && typeof s.user !== 'string') throw badSettings(file, '"user" must be a name or null');
  if (s.credentialFile !== null && typeof s.credentialFile !== 'string') throw badSettings(file, '"credentialFile" must be a file name or null');
  if (typeof s.vaultId !== 'string' || !VAULT_ID.test(s.vaultId)) throw badSettings(file, '"vaultId" is not a vault id');
  if (typeof s.genesisAddress !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(s.genesisAddress)) throw badSettings(file, '"genesisAddress" is not an address');
  const tls = s.tls === undefined || s.tls === null ? null : parseTls(s.tls, (why) => badSettings(file, why));
  const nodeDir = s.nodeDir ?? null;
  if (nodeDir !== null && (typeof nodeDir !== 'string' || !path.isAbsolute(nodeDir))) throw badSettings(file, '"nodeDir" must be an absolute folder path or null');
  return { version: 1, servers: s.servers as string[], user: s.user as string | null, credentialFile: s.credentialFile as string | null, vaultId: s.vaultId, genesisAddress: s.genesisAddress, nodeDir, ...(tls === null ? {} : { tls }) };
}

/**
 * TLS settings checked field by field: only caFile, certFile and keyFile, each a file path, a certificate with its key.
 * `refuse` turns the reason (which names the field) into the caller's error.
 */
export function parseTls(raw: unknown, refuse: (why: string) => Error): TeamTls | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw refuse('"tls" must be an object with caFile, certFile and keyFile (each optional), or null');
  const t = raw as Record<string, unknown>;
  const unknown = Object.keys(t).filter((k) => !(TLS_FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) throw refuse(`"tls" has unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')} (only caFile, certFile and keyFile)`);
  const out: { caFile?: string; certFile?: string; keyFile?: string } = {};
  for (const f of TLS_FIELDS) {
    const v = t[f];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || v.trim() === '') throw refuse(`"tls.${f}" must be a file path`);
    out[f] = v;
  }
  if ((out.certFile === undefined) !== (out.keyFile === undefined)) throw refuse('"tls.certFile" and "tls.keyFile" go together (a client certificate and its private key)');
  return Object.keys(out).length === 0 ? null : out;
}

/** Writes the settings, and the password (if any) to its own file readable by this user only. */
export function writeTeamSettings(dataDir: string, settings: Omit<TeamSettings, 'version' | 'credentialFile' | 'nodeDir'> & { nodeDir?: string | null }, password: string | null): TeamSettings {
  const { tls, ...rest } = settings;
  // Without TLS settings the file is what it was before the field existed.
  const full: TeamSettings = { version: 1, ...rest, nodeDir: settings.nodeDir ?? null, credentialFile: password === null ? null : CREDENTIAL_FILE, ...(tls === undefined || tls === null ? {} : { tls }) };
  if (password !== null) {
    const file = path.join(dataDir, CREDENTIAL_FILE);
    writeFileSync(file, password, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  writeFileSync(teamFile(dataDir), JSON.stringify(full, null, 2) + '\n');
  return full;
}

/** Sets (or clears, with null) the signer node folder this console coordinates with; the rest stays as it is. */
export function setTeamNodeDir(dataDir: string, nodeDir: string | null): TeamSettings {
  const settings = readTeamSettings(dataDir);
  if (settings === null) throw new CustosError('TEAM_STREAM', 'This vault is not shared with a team: join a team first (custos team join, or Team on the console).');
  const next: TeamSettings = { ...settings, nodeDir: nodeDir === null ? null : path.resolve(nodeDir) };
  writeFileSync(teamFile(dataDir), JSON.stringify(next, null, 2) + '\n');
  return next;
}

/** The password the settings point to, or null. */
export function readCredential(dataDir: string, settings: TeamSettings): string | null {
  if (settings.credentialFile === null) return null;
  const file = path.resolve(dataDir, settings.credentialFile);
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    throw new CustosError('TEAM_AUTH', `The team credential file ${file} cannot be read. Join again (custos team join) with the password file your server's administrator gave you.`);
  }
}

export const isServerUrl = (url: string): boolean => /^(nats|tls):\/\/[^\s/]+$/.test(url);

function badSettings(file: string, why: string): CustosError {
  return new CustosError('BAD_INPUT', `The team settings ${file} cannot be used: ${why}. Join again with custos team join, or delete the file to use this vault on one desk.`);
}
