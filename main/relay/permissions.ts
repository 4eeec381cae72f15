// NATS permissions for relay parties: each may publish to any recipient of its vault and subscribe only to its own subjects.
import { partyPublishSubject, partySubscribeSubject } from './transport';

export type NatsPermissions = { publish: { allow: string[] }; subscribe: { allow: string[] } };

/**
 * One party's permissions. `_INBOX.>` lets the client use request/reply for its own needs (flush does not need it;
 * JetStream calls of the team log do). A party cannot read another's envelopes even though they are sealed: the
 * fewer bytes a party sees, the less a compromised one can store for later.
 */
export function relayPartyPermissions(vaultId: string, party: string): NatsPermissions {
  return {
    publish: { allow: [partyPublishSubject(vaultId)] },
    subscribe: { allow: [partySubscribeSubject(vaultId, party), '_INBOX.>'] },
  };
}

export type RelayUser = { user: string; password: string; vaultId: string; party: string };

/**
 * An `authorization` block for nats-server's config (its config syntax accepts JSON), one user per party. An example
 * for IT and tests: production servers use TLS and nkeys or JWT accounts with the same subject rules.
 */
export function relayAuthorizationConfig(users: readonly RelayUser[]): string {
  const block = {
    authorization: {
      users: users.map((u) => ({ user: u.user, password: u.password, permissions: relayPartyPermissions(u.vaultId, u.party) })),
    },
  };
  return JSON.stringify(block, null, 2) + '\n';
}
