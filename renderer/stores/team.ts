// The team domain: this console's view of the vault's shared log (server, connection, heads, lag, refused entries,
// registered signer nodes), a catch-up on demand, joining a team, and the signer node this console coordinates with
// (setting it, pinging the nodes, publishing local records). Main decides; this store shows what it answers.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ChannelInput, TeamPingView, TeamStatusView } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';

export type TeamJoinInput = ChannelInput<'team.join'>;

export const useTeamStore = defineStore('team', () => {
  const alerts = useAlertsStore();

  const status = ref<TeamStatusView | null>(null);
  const loaded = ref(false);
  const loading = ref(false);
  const pulling = ref(false);
  const joining = ref(false);
  /** What the last "Catch up now" did, in words, until the next one. */
  const pullOutcome = ref<string | null>(null);
  const settingNode = ref(false);
  const pinging = ref(false);
  const pushing = ref(false);
  /** The registered signer nodes' answers to the last "Check signer nodes", until the next one. */
  const ping = ref<TeamPingView | null>(null);
  /** What the last "Publish local records" did, in words, until the next one. */
  const pushOutcome = ref<string | null>(null);

  let off: (() => void) | null = null;
  let pending: Promise<void> | null = null;
  let again = false;

  /** Reads the status again (each read asks the server for its head); reads that pile up become one more. */
  async function load(): Promise<void> {
    // Records adopted from the team (or made here) change the head: the screen follows them.
    off ??= on('vault.changed', () => {
      void load();
    });
    if (pending !== null) {
      again = true;
      return pending;
    }
    pending = (async () => {
      loading.value = true;
      try {
        do {
          again = false;
          status.value = await call('team.status');
        } while (again);
      } catch (err) {
        alerts.report('Reading the team status', err);
      } finally {
        loading.value = false;
        loaded.value = true;
        pending = null;
      }
    })();
    return pending;
  }

  async function pull(): Promise<void> {
    pulling.value = true;
    pullOutcome.value = null;
    try {
      const r = await call('team.pull');
      status.value = r.status;
      const records = r.adopted === 1 ? '1 record' : `${r.adopted} records`;
      pullOutcome.value = r.refused === 0 ? `Caught up: ${records} adopted.` : `Caught up: ${records} adopted, ${r.refused} ${r.refused === 1 ? 'entry' : 'entries'} refused (listed below).`;
    } catch (err) {
      alerts.report('Catching up with the team log', err);
    } finally {
      pulling.value = false;
    }
  }

  /** Joins; a refusal is thrown for the form to show beside its field. */
  async function join(input: TeamJoinInput): Promise<TeamStatusView> {
    joining.value = true;
    try {
      status.value = await call('team.join', input);
      return status.value;
    } finally {
      joining.value = false;
    }
  }

  /** Sets (null: clears) this console's signer node folder; a refusal is thrown for the field to show. */
  async function setNode(nodeDir: string | null): Promise<TeamStatusView> {
    settingNode.value = true;
    try {
      status.value = await call('team.setNode', { nodeDir });
      return status.value;
    } finally {
      settingNode.value = false;
    }
  }

  /** Asks which registered signer nodes answer now; a refusal (no node set, say) is thrown for the section to show. */
  async function pingNodes(): Promise<TeamPingView> {
    pinging.value = true;
    try {
      ping.value = await call('team.ping');
      return ping.value;
    } finally {
      pinging.value = false;
    }
  }

  async function push(): Promise<void> {
    pushing.value = true;
    pushOutcome.value = null;
    try {
      const r = await call('team.push');
      status.value = r.status;
      pushOutcome.value = r.published === 0 ? 'Published 0 records: the team log already holds every record this console has.' : `Published ${r.published === 1 ? '1 record' : `${r.published} records`} the team log lacked.`;
    } catch (err) {
      alerts.report('Publishing local records to the team log', err);
    } finally {
      pushing.value = false;
    }
  }

  function stop(): void {
    off?.();
    off = null;
  }

  return { status, loaded, loading, pulling, joining, pullOutcome, settingNode, pinging, pushing, ping, pushOutcome, load, pull, join, setNode, pingNodes, push, stop };
});
