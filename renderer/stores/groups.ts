// The groups domain: named sets of users (the approval steps of policies name them) and the proposals that shape them.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { GroupView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useProposalsStore } from './proposals';

export const useGroupsStore = defineStore('groups', () => {
  const alerts = useAlertsStore();
  const proposals = useProposalsStore();

  const groups = ref<GroupView[]>([]);
  const loaded = ref(false);
  const loading = ref(false);

  let off: (() => void) | null = null;

  async function load(): Promise<void> {
    off ??= on('vault.changed', () => {
      void load();
    });
    loading.value = true;
    try {
      groups.value = await call('groups.list');
    } catch (err) {
      alerts.report('Listing groups', err);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }


  const create = (name: string, memberIds: string[]) =>
    proposals.propose(`Proposing group ${name}`, (deviceId) => call('groups.proposeCreate', { name, memberIds, deviceId }));

  /** Proposes only what changed: a rename, a new member list, or both. */
  const edit = (group: GroupView, change: { name?: string; memberIds?: string[] }) =>
    proposals.propose(`Proposing changes to ${group.name}`, (deviceId) => call('groups.proposeEdit', { groupId: group.id, ...change, deviceId }));

  return { groups, loaded, loading, load, create, edit };
});
