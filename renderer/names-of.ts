// Names for the ids the audit log and main's sentences carry (users, groups, proposals, the vault), from what main listed.
import { computed } from 'vue';
import { useGroupsStore } from './stores/groups';
import { useProposalsStore } from './stores/proposals';
import { useUsersStore } from './stores/users';
import { useVaultStore } from './stores/vault';

/** A lookup from an id to what a person recognises; unknown ids show as they are. */
export function useNamesOf() {
  const users = useUsersStore();
  const groups = useGroupsStore();
  const proposals = useProposalsStore();
  const vault = useVaultStore();

  const names = computed(() => {
    const map = new Map<string, string>();
    for (const u of users.users) map.set(u.id, u.name);
    for (const g of groups.groups) map.set(g.id, `group ${g.name}`);
    for (const p of proposals.proposals) map.set(p.id, p.title);
    if (vault.vault) map.set(vault.vault.vaultId, `vault ${vault.vault.name}`);
    return map;
  });

  function load(): void {
    if (!users.loaded) void users.load();
    if (!groups.loaded) void groups.load();
    if (!proposals.loaded) void proposals.load();
  }

  /**
   * A sentence of main's with each user id it names ("rejected by u-1f2e…") replaced by that user's name, for
   * display. Ids this console does not know stay as they are.
   */
  function withNames(text: string): string {
    return text.replace(/\bu-[0-9A-Za-z]+\b/g, (id) => users.users.find((u) => u.id === id)?.name ?? id);
  }

  return { nameOf: (id: string) => names.value.get(id) ?? id, withNames, load };
}
