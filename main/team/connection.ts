// The connection to the team's NATS server, with errors in words: the server is down, which credential it refused, or
// which side of TLS failed (the server's certificate, this console's).
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection, type TlsOptions } from '@nats-io/transport-node';
import { CustosError } from '../errors';
import type { TeamTls } from './settings';

export interface TeamConnectOptions {
  readonly servers: readonly string[];
  readonly user: string | null;
  readonly password: string | null;
  /** How long to wait for the server on connect (ms). */
  readonly timeoutMs?: number;
  /** Keep reconnecting after a loss (a console); off for a one-shot CLI command. */
  readonly reconnect?: boolean;
  /** A private CA and a client certificate (team.json's `tls`); null or absent: the system's CAs, no certificate. */
  readonly tls?: TeamTls | null;
}

export type { NatsConnection } from '@nats-io/transport-node';

export async function connectTeam(options: TeamConnectOptions): Promise<NatsConnection> {
  const where = options.servers.join(', ');
  const tls = tlsOptions(options.servers, options.tls ?? null);
  try {
    return await connect({
      servers: [...options.servers],
      ...(options.user === null ? {} : { user: options.user, pass: options.password ?? '' }),
      ...(tls === undefined ? {} : { tls }),
      timeout: options.timeoutMs ?? 5_000,
      reconnect: options.reconnect ?? false,
      maxReconnectAttempts: -1,
      name: 'custos',
    });
  } catch (err) {
    throw tls === undefined ? teamError(err, where, options.user, options.tls ?? null) : (handshakeReset(err, where, options.tls ?? null) ?? teamError(err, where, options.user, options.tls ?? null));
  }
}

/**
 * A server that wants a client certificate may close the socket before its TLS alert is read (TLS 1.3 finishes the
 * client's side of the handshake first): the client then sees a reset, not the alert. Said as the likely cause.
 */
function handshakeReset(err: unknown, where: string, tls: TeamTls | null): CustosError | null {
  const e = err as { code?: unknown; message?: string };
  if (e.code !== 'ECONNRESET' && !/ECONNRESET|socket hang up|before secure TLS connection/i.test(e.message ?? '')) return null;
  return tls?.certFile === undefined
    ? new CustosError('TEAM_TLS', `The team server ${where} closed the connection during the TLS handshake: it most likely asks for a client certificate and this console has none. Ask the server's administrator for one and join with --cert FILE --key FILE.`, undefined, 'certFile')
    : new CustosError('TEAM_TLS', `The team server ${where} closed the connection during the TLS handshake: it most likely refused this console's client certificate ${tls.certFile} (not signed by the CA it trusts, expired or revoked). Check it with the server's administrator.`, undefined, 'certFile');
}

/**
 * The NATS client's `tls` option. A tls:// URL or TLS settings make it an object, which makes the client refuse a
 * server that does not offer TLS (the client does not enforce the tls:// scheme by itself: a server, or someone
 * between, could otherwise answer in plain text). A nats:// URL without settings still upgrades when the server asks.
 * The files are read here, at every connection, so an unreadable one is named instead of a handshake failure.
 */
export function tlsOptions(servers: readonly string[], tls: TeamTls | null): TlsOptions | undefined {
  if (tls === null && !servers.some((u) => u.startsWith('tls://'))) return undefined;
  const out: TlsOptions = {};
  if (tls?.caFile !== undefined) out.ca = readPem(tls.caFile, 'CA certificate', 'caFile', /-----BEGIN CERTIFICATE-----/);
  if (tls?.certFile !== undefined) out.cert = readPem(tls.certFile, 'client certificate', 'certFile', /-----BEGIN CERTIFICATE-----/);
  if (tls?.keyFile !== undefined) out.key = readPem(tls.keyFile, "client certificate's private key", 'keyFile', /-----BEGIN [A-Z ]*PRIVATE KEY-----/);
  return out;
}

const TLS_OPTION: Record<keyof TeamTls, string> = { caFile: '--ca', certFile: '--cert', keyFile: '--key' };

function readPem(file: string, what: string, field: keyof TeamTls, begins: RegExp): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (err as Error).message;
    throw new CustosError('TEAM_TLS', `The ${what} file ${file} (${TLS_OPTION[field]}, team.json tls.${field}) cannot be read: ${why}. Check the path and that this account may read it.`, undefined, field);
  }
  if (!begins.test(text)) throw new CustosError('TEAM_TLS', `The ${what} file ${file} (${TLS_OPTION[field]}, team.json tls.${field}) is not a PEM ${what}: it should contain a "-----BEGIN ...-----" block. Ask the server's administrator for the right file.`, undefined, field);
  return text;
}

/** Node's codes for a server certificate that no trusted CA signed. */
const UNTRUSTED = new Set(['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE']);

/** A TLS failure in words (which side, and what to ask for), or null when the error is not about TLS. */
function tlsError(code: string, message: string, where: string, tls: TeamTls | null): CustosError | null {
  if (UNTRUSTED.has(code)) {
    const ca = tls?.caFile === undefined
      ? "no CA file was given (--ca) and this computer's CAs do not vouch for it"
      : `the CA in ${tls.caFile} did not sign it`;
    return new CustosError('TEAM_TLS', `The team server ${where} presented a certificate that is not trusted: ${ca}. Ask the server's administrator for the team's CA certificate and join with --ca FILE; nothing was sent to this server.`, undefined, 'caFile');
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new CustosError('TEAM_TLS', `The team server ${where} presented a certificate that is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'} (or this computer's clock is wrong). Tell the server's administrator; nothing was sent to this server.`);
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new CustosError('TEAM_TLS', `The team server ${where} presented a certificate for another name (${message}). Use the address its certificate names, or tell the server's administrator; nothing was sent to this server.`, undefined, 'server');
  }
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED)/.test(code) || /alert (bad certificate|certificate required|unknown ca)/i.test(message)) {
    return tls?.certFile === undefined
      ? new CustosError('TEAM_TLS', `The team server ${where} asks for a client certificate and this console has none: ask the server's administrator for one and join with --cert FILE --key FILE.`, undefined, 'certFile')
      : new CustosError('TEAM_TLS', `The team server ${where} refused this console's client certificate ${tls.certFile} (not signed by the CA it trusts, expired or revoked). Check it with the server's administrator.`, undefined, 'certFile');
  }
  if (/does not support 'tls'|tls.*is not available on this server/i.test(message)) {
    return new CustosError('TEAM_TLS', `The team server ${where} does not offer TLS, but this console asks for it (a tls:// address or TLS files). Check the address with the server's administrator: use a nats:// address only for a server they say runs without TLS.`, undefined, 'server');
  }
  return null;
}

/** A NATS client error as a CustosError a person acts on. */
export function teamError(err: unknown, where: string, user: string | null, tls: TeamTls | null = null): CustosError {
  if (err instanceof CustosError) return err;
  const e = err as { name?: string; message?: string; code?: unknown };
  const message = e.message ?? String(err);
  const tlsRefusal = tlsError(typeof e.code === 'string' ? e.code : '', message, where, tls);
  if (tlsRefusal !== null) return tlsRefusal;
  if (e.name === 'AuthorizationError' || /authorization violation|authentication/i.test(message)) {
    return new CustosError('TEAM_AUTH', user === null
      ? `The team server ${where} asks for a user and password: join with --user and --password-file.`
      : `The team server ${where} refused the credential of user "${user}" (wrong password, or no such user). Check it with the server's administrator; nothing was changed.`);
  }
  if (e.name === 'PermissionViolationError' || /permissions violation/i.test(message)) {
    return new CustosError('TEAM_AUTH', `The team server ${where} does not let user "${user ?? '(none)'}" do this: ${message}. Ask the server's administrator for a console's permissions on this vault.`);
  }
  if (e.name === 'ConnectionError' || e.name === 'TimeoutError' || e.name === 'ClosedConnectionError' || /connection refused|timeout|closed|ECONNREFUSED|disconnect/i.test(message)) {
    return new CustosError('TEAM_UNREACHABLE', `The team server ${where} cannot be reached (${message}). Check that it runs and that this computer can reach it; reads work offline, nothing new can be recorded until it answers.`);
  }
  return new CustosError('TEAM_STREAM', `The team server ${where} answered with an error: ${message}.`);
}
