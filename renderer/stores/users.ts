// The users domain: the vault's members (users are their devices) and the proposals that add, revoke or re-role them.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ProposalView, Role, UserView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useProposalsStore } from './proposals';
import { useVaultStore } from './vault';

export const useUsersStore = defineStore('users', () => {
  const alerts = useAlertsStore();
  const vault = useVaultStore();
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

  /** Runs a proposal with the acting device; answers it, or null after reporting why it failed. */
  async function propose(context: string, work: (deviceId: string) => Promise<ProposalView>): Promise<ProposalView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    try {
      const proposal = await work(deviceId);
      proposals.record('created', proposal);
      return proposal;
    } catch (err) {
      alerts.report(context, err);
      return null;
    }
  }

  const register = (input: { name: string; roles: Role[]; newUserDeviceId: string }) =>
    propose(`Proposing to add ${input.name}`, (deviceId) => call('users.propose', { ...input, deviceId }));
  const revoke = (user: UserView) =>
    propose(`Proposing to revoke ${user.name}`, (deviceId) => call('users.proposeRevoke', { userId: user.id, deviceId }));
  const changeRoles = (user: UserView, roles: Role[]) =>
    propose(`Proposing new roles for ${user.name}`, (deviceId) => call('users.proposeRoles', { userId: user.id, roles, deviceId }));
  const setQuorum = (quorum: number) =>
    propose(`Proposing a quorum of ${quorum}`, (deviceId) => call('settings.proposeQuorum', { quorum, deviceId }));

  return { users, loaded, loading, load, register, revoke, changeRoles, setQuorum };
});
