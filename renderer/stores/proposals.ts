// The proposals domain: every change to the vault's configuration waiting on, or decided by, the administrators' quorum.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ProposalView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useVaultStore } from './vault';

export const useProposalsStore = defineStore('proposals', () => {
  const alerts = useAlertsStore();
  const vault = useVaultStore();

  const proposals = ref<ProposalView[]>([]);
  const loaded = ref(false);
  const loading = ref(false);
  /** The proposal this console created or decided last, to say what happens next. */
  const outcome = ref<{ verb: 'created' | 'approved' | 'rejected'; proposal: ProposalView } | null>(null);
  /** The proposal being decided with the acting device, and how. */
  const deciding = ref<{ proposalId: string; decision: 'approve' | 'reject' } | null>(null);

  const pending = computed(() => proposals.value.filter((p) => p.status === 'pending'));
  /** Pending proposals on which main says the acting user may still decide. */
  const waitingForMe = computed(() => {
    const me = vault.acting?.user;
    if (!me || me.status !== 'active') return [];
    return pending.value.filter((p) => p.waitingFor.some((u) => u.id === me.id));
  });

  let off: (() => void) | null = null;

  async function load(): Promise<void> {
    off ??= on('vault.changed', () => {
      void load();
    });
    loading.value = true;
    try {
      const list = await call('proposals.list', {});
      proposals.value = [...list].sort((a, b) => b.seq - a.seq);
    } catch (err) {
      alerts.report('Listing proposals', err);
    } finally {
      loading.value = false;
      loaded.value = true;
    }
  }

  /** Records a proposal main just answered with (created or decided) and shows it at once. */
  function record(verb: 'created' | 'approved' | 'rejected', proposal: ProposalView): void {
    outcome.value = { verb, proposal };
    const others = proposals.value.filter((p) => p.id !== proposal.id);
    proposals.value = [proposal, ...others].sort((a, b) => b.seq - a.seq);
  }

  /** Creates a proposal with the acting device; answers it, or null after reporting why it failed. */
  async function propose(context: string, work: (deviceId: string) => Promise<ProposalView>): Promise<ProposalView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    try {
      const proposal = await work(deviceId);
      record('created', proposal);
      return proposal;
    } catch (err) {
      alerts.report(context, err);
      return null;
    }
  }

  async function decide(proposalId: string, decision: 'approve' | 'reject'): Promise<ProposalView | null> {
    const deviceId = vault.actingDeviceId;
    if (!deviceId) return null;
    deciding.value = { proposalId, decision };
    try {
      const answer = await call(decision === 'approve' ? 'proposals.approve' : 'proposals.reject', { proposalId, deviceId });
      record(decision === 'approve' ? 'approved' : 'rejected', answer);
      return answer;
    } catch (err) {
      alerts.report(decision === 'approve' ? 'Approving the proposal' : 'Rejecting the proposal', err);
      return null;
    } finally {
      deciding.value = null;
    }
  }

  function clearOutcome(): void {
    outcome.value = null;
  }

  return { proposals, loaded, loading, outcome, deciding, pending, waitingForMe, load, record, propose, decide, clearOutcome };
});
