// The connection to the team's NATS server, with errors in words: the server is down, or which credential it refused.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { CustosError } from '../errors';

export interface TeamConnectOptions {
  readonly servers: readonly string[];
  readonly user: string | null;
  readonly password: string | null;
  /** How long to wait for the server on connect (ms). */
  readonly timeoutMs?: number;
  /** Keep reconnecting after a loss (a console); off for a one-shot CLI command. */
  readonly reconnect?: boolean;
}

export type { NatsConnection } from '@nats-io/transport-node';

export async function connectTeam(options: TeamConnectOptions): Promise<NatsConnection> {
  const where = options.servers.join(', ');
  try {
    return await connect({
      servers: [...options.servers],
      ...(options.user === null ? {} : { user: options.user, pass: options.password ?? '' }),
      timeout: options.timeoutMs ?? 5_000,
      reconnect: options.reconnect ?? false,
      maxReconnectAttempts: -1,
      name: 'custos',
    });
  } catch (err) {
    throw teamError(err, where, options.user);
  }
}

/** A NATS client error as a CustosError a person acts on. */
export function teamError(err: unknown, where: string, user: string | null): CustosError {
  if (err instanceof CustosError) return err;
  const e = err as { name?: string; message?: string };
  const message = e.message ?? String(err);
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
