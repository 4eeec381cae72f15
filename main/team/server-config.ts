// A team server's nats-server config: where it listens, its JetStream store, TLS, and its users, each with the
// permission set of its role (main/relay/permissions.ts). The tests and the demo run it; docs/team.md shows its output.
import type { NatsPermissions } from '../relay/permissions';

export interface TeamServerTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA that signed the clients' certificates (needed with `verify`). */
  readonly caFile?: string;
  /** Require a client certificate signed by `caFile` (mutual TLS). */
  readonly verify?: boolean;
}

export interface TeamServerUser {
  readonly user: string;
  readonly password: string;
  readonly permissions: NatsPermissions;
}

export interface TeamServerConfig {
  /** host:port */
  readonly listen: string;
  /** The JetStream store; null for a relay-only server. */
  readonly storeDir: string | null;
  readonly tls?: TeamServerTls;
  /** The users, all in one JetStream account; none: a server that takes anyone (a test, a lab). */
  readonly users: readonly TeamServerUser[];
  /** More config text, appended as is. */
  readonly extra?: string;
}

const quote = (s: string) => JSON.stringify(s);

/** The config text (nats-server's syntax accepts the JSON written for strings and permission blocks). */
export function teamServerConfig(c: TeamServerConfig): string {
  const lines = [`listen: ${quote(c.listen)}`];
  if (c.storeDir !== null) lines.push(`jetstream { store_dir: ${quote(c.storeDir)} }`);
  if (c.tls !== undefined) {
    const t = c.tls;
    // timeout: seconds a client has for the handshake (nats-server's default, 0.5 s, is short for a loaded machine).
    lines.push(`tls {\n  cert_file: ${quote(t.certFile)}\n  key_file: ${quote(t.keyFile)}${t.caFile === undefined ? '' : `\n  ca_file: ${quote(t.caFile)}`}\n  verify: ${t.verify === true}\n  timeout: 2\n}`);
  }
  if (c.extra !== undefined) lines.push(c.extra);
  if (c.users.length > 0) {
    const entries = c.users.map((u) => `    ${JSON.stringify({ user: u.user, password: u.password, permissions: u.permissions })}`);
    lines.push(`accounts {\n  CUSTOS {\n    jetstream: enabled\n    users: [\n${entries.join(',\n')}\n    ]\n  }\n}`);
  }
  return lines.join('\n') + '\n';
}
