// Users as the log made them: device keys, roles, status (a projection of the signed records).
import type Database from 'better-sqlite3';
import type { Role, UserState } from '../../../crypto/governance';
import { fromJson, toJson } from './json';

export interface UserRepository {
  list(): UserState[];
  save(user: UserState): void;
}

interface Row {
  id: string;
  name: string;
  roles: string;
  registered_roles: string;
  status: string;
  identity_address: string;
  identity_public_key: string;
  encryption_key: string;
  device_path: string;
  registration_signature: string;
  registered_at_seq: number;
  admin_since_seq: number | null;
  node: string | null;
}

function toUser(r: Row): UserState {
  return {
    id: r.id,
    name: r.name,
    roles: fromJson<Role[]>(r.roles, `roles of user ${r.id}`),
    identityAddress: r.identity_address,
    identityPublicKey: r.identity_public_key,
    encryptionKey: r.encryption_key,
    devicePath: r.device_path,
    registrationSignature: r.registration_signature,
    // A hand-edited status outside the two values still reads back, so the diff can name it.
    status: r.status as UserState['status'],
    registeredAtSeq: r.registered_at_seq,
    registeredRoles: fromJson<Role[]>(r.registered_roles, `registered roles of user ${r.id}`),
    adminSinceSeq: r.admin_since_seq,
    ...(r.node === null ? {} : { node: fromJson<NonNullable<UserState['node']>>(r.node, `signer node of user ${r.id}`) }),
  };
}

export function userRepository(db: Database.Database): UserRepository {
  const selectAll = db.prepare('SELECT * FROM users ORDER BY id');
  const upsert = db.prepare(`
    INSERT INTO users (id, name, roles, registered_roles, status, identity_address, identity_public_key, encryption_key,
      device_path, registration_signature, registered_at_seq, admin_since_seq, node)
    VALUES (@id, @name, @roles, @registeredRoles, @status, @identityAddress, @identityPublicKey, @encryptionKey,
      @devicePath, @registrationSignature, @registeredAtSeq, @adminSinceSeq, @node)
    ON CONFLICT (id) DO UPDATE SET name = excluded.name, roles = excluded.roles, registered_roles = excluded.registered_roles,
      status = excluded.status, identity_address = excluded.identity_address, identity_public_key = excluded.identity_public_key,
      encryption_key = excluded.encryption_key, device_path = excluded.device_path,
      registration_signature = excluded.registration_signature, registered_at_seq = excluded.registered_at_seq,
      admin_since_seq = excluded.admin_since_seq, node = excluded.node`);
  return {
    list: () => (selectAll.all() as Row[]).map(toUser),
    save(u) {
      upsert.run({
        id: u.id,
        name: u.name,
        roles: toJson(u.roles),
        registeredRoles: toJson(u.registeredRoles),
        status: u.status,
        identityAddress: u.identityAddress,
        identityPublicKey: u.identityPublicKey,
        encryptionKey: u.encryptionKey,
        devicePath: u.devicePath,
        registrationSignature: u.registrationSignature,
        registeredAtSeq: u.registeredAtSeq,
        adminSinceSeq: u.adminSinceSeq,
        node: u.node === undefined ? null : toJson(u.node),
      });
    },
  };
}
