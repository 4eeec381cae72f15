// Groups and their members (a projection of the signed records).
import type Database from 'better-sqlite3';
import type { Group } from '../../../crypto/governance';

export interface GroupRepository {
  list(): Group[];
  /** Writes the group and replaces its member list. */
  save(group: Group): void;
}

export function groupRepository(db: Database.Database): GroupRepository {
  const selectGroups = db.prepare('SELECT id, name FROM groups ORDER BY id');
  const selectMembers = db.prepare('SELECT group_id, user_id FROM group_members ORDER BY group_id, position');
  const upsert = db.prepare('INSERT INTO groups (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name');
  const clearMembers = db.prepare('DELETE FROM group_members WHERE group_id = ?');
  const addMember = db.prepare('INSERT INTO group_members (group_id, user_id, position) VALUES (?, ?, ?)');
  return {
    list() {
      const members = new Map<string, string[]>();
      for (const m of selectMembers.all() as { group_id: string; user_id: string }[]) {
        const list = members.get(m.group_id) ?? [];
        list.push(m.user_id);
        members.set(m.group_id, list);
      }
      return (selectGroups.all() as { id: string; name: string }[]).map((g) => ({ id: g.id, name: g.name, members: members.get(g.id) ?? [] }));
    },
    save(g) {
      upsert.run(g.id, g.name);
      clearMembers.run(g.id);
      g.members.forEach((userId, i) => addMember.run(g.id, userId, i));
    },
  };
}
