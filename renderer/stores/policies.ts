// The policies domain: each wallet's policy in force, drafts replayed by the simulator, and whitelists; all changed by proposal.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { PolicyView, SimulationView, WhitelistView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useProposalsStore } from './proposals';

export const usePoliciesStore = defineStore('policies', () => {
  const alerts = useAlertsStore();
  const proposals = useProposalsStore();

  /** The policy in force of each wallet read so far, by wallet id; null: the wallet has none yet. */
  const policies = ref<Record<string, PolicyView | null>>({});
  const whitelists = ref<WhitelistView[]>([]);
  const whitelistsLoaded = ref(false);
  const simulating = ref(false);

  let off: (() => void) | null = null;
  function subscribe(): void {
    // An adopted policy or whitelist is a record of the vault's log: read again what this console shows.
    off ??= on('vault.changed', () => {
      for (const walletId of Object.keys(policies.value)) void get(walletId, true);
      if (whitelistsLoaded.value) void loadWhitelists();
    });
  }

  /** Reads the wallet's policy in force (null when none was adopted); `quiet` for background refreshes. */
  async function get(walletId: string, quiet = false): Promise<PolicyView | null> {
    subscribe();
    try {
      const policy = await call('policies.get', { walletId });
      policies.value[walletId] = policy;
      return policy;
    } catch (err) {
      if (!quiet) alerts.report('Reading the policy', err);
      return null;
    }
  }

  /** Replays the wallet's past requests under a draft; null after reporting why the draft can't be used. */
  async function simulate(walletId: string, document: string): Promise<SimulationView | null> {
    simulating.value = true;
    try {
      return await call('policies.simulate', { walletId, document });
    } catch (err) {
      alerts.report('Simulating the draft policy', err);
      return null;
    } finally {
      simulating.value = false;
    }
  }

  const propose = (document: string) => proposals.propose('Proposing the policy', (deviceId) => call('policies.propose', { document, deviceId }));

  async function loadWhitelists(): Promise<void> {
    subscribe();
    try {
      whitelists.value = [...(await call('whitelists.list'))].sort((a, b) => a.name.localeCompare(b.name));
    } catch (err) {
      alerts.report('Listing whitelists', err);
    } finally {
      whitelistsLoaded.value = true;
    }
  }

  const proposeWhitelist = (name: string, document: string) =>
    proposals.propose(`Proposing whitelist ${name}`, (deviceId) => call('whitelists.propose', { document, deviceId }));

  return { policies, whitelists, whitelistsLoaded, simulating, get, simulate, propose, loadWhitelists, proposeWhitelist };
});
