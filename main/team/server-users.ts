// The team server's users for a vault, from its replayed log: an administrator user for the stream, a console user per
// active member (coordinating as that member), a node user per registered signer node; `custos team server-config`.
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GovernanceState } from '../../crypto/governance';
import { consolePermissions, signerNodePermissions, teamAdminPermissions } from '../relay/permissions';
import type { TeamServerUser } from './server-config';

export interface TeamServerUserRow extends TeamServerUser {
  readonly role: 'admin' | 'console' | 'node';
  /** The vault member it is for (null for the administrator user). */
  readonly userId: string | null;
  readonly name: string | null;
  /** A node's party id (its relay subjects). */
  readonly partyId: string | null;
}

/** Placeholder passwords: IT sets each (nats-server accepts bcrypt hashes from `nats server passwd`). */
export const PASSWORD_PLACEHOLDER = (user: string): string => `CHANGE-ME-${user}`;

export function teamServerUsers(state: GovernanceState): TeamServerUserRow[] {
  const taken = new Set<string>();
  const nameOf = (prefix: string, name: string): string => {
    const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'user';
    let candidate = `${prefix}-${slug}`;
    for (let n = 2; taken.has(candidate); n++) candidate = `${prefix}-${slug}-${n}`;
    taken.add(candidate);
    return candidate;
  };
  const admin = nameOf('custos', 'admin');
  const rows: TeamServerUserRow[] = [{ role: 'admin', user: admin, password: PASSWORD_PLACEHOLDER(admin), permissions: teamAdminPermissions(), userId: null, name: null, partyId: null }];
  const active = state.users.filter((u) => u.status === 'active').sort((x, y) => x.name.localeCompare(y.name));
  for (const u of active) {
    const user = nameOf('console', u.name);
    rows.push({ role: 'console', user, password: PASSWORD_PLACEHOLDER(user), permissions: consolePermissions(state.vaultId, { coordinatorUserId: u.id }), userId: u.id, name: u.name, partyId: null });
  }
  for (const u of active.filter((x) => x.node !== undefined)) {
    const user = nameOf('node', u.name);
    const partyId = partyIdFor(u.id);
    rows.push({ role: 'node', user, password: PASSWORD_PLACEHOLDER(user), permissions: signerNodePermissions(state.vaultId, partyId), userId: u.id, name: u.name, partyId });
  }
  return rows;
}
