// The users domain: the vault's members (users are their devices) and the proposals that add, revoke or re-role them.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { Role, UserView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useProposalsStore } from './proposals';

export const useUsersStore = defineStore('users', () => {
  const alerts = useAlertsStore();
  const proposals = useProposalsStore();

  const users = ref<UserView[]>([]);
  const loaded = ref(false);
  const loading = ref(false);

  let off: (() => void) | null = null;

  async function load(): Promise<void> {
    off ??= on('vault.changed', () => {
      void load();
    });
    loading.value = true;
    try {
      // In the order they joined the vault: the founder first.
      users.value = [...(await call('users.list'))].sort((a, b) => a.registeredAtSeq - b.registeredAtSeq);
    } catch (err) {
      alerts.report('Listing users', err);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }


  const register = (input: { name: string; roles: Role[]; newUserDeviceId: string }) =>
    proposals.propose(`Proposing to add ${input.name}`, (deviceId) => call('users.propose', { ...input, deviceId }));
  const revoke = (user: UserView) =>
    proposals.propose(`Proposing to revoke ${user.name}`, (deviceId) => call('users.proposeRevoke', { userId: user.id, deviceId }));
  const changeRoles = (user: UserView, roles: Role[]) =>
    proposals.propose(`Proposing new roles for ${user.name}`, (deviceId) => call('users.proposeRoles', { userId: user.id, roles, deviceId }));
  const setQuorum = (quorum: number) =>
    proposals.propose(`Proposing a quorum of ${quorum}`, (deviceId) => call('settings.proposeQuorum', { quorum, deviceId }));

  return { users, loaded, loading, load, register, revoke, changeRoles, setQuorum };
});
