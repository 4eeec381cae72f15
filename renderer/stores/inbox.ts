// The inbox: what waits for the person acting, as main answers it, with counts for the navigation's badges.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { InboxView } from '../../preload/contract';
import { call, on } from '../api';
import { useVaultStore } from './vault';

export const useInboxStore = defineStore('inbox', () => {
  const vault = useVaultStore();
  const inbox = ref<InboxView | null>(null);
  let subscribed = false;
  let latest = 0;

  /** Asks main again; an answer for a device no longer acting is dropped. */
  async function load(): Promise<void> {
    const deviceId = vault.actingDeviceId;
    const ticket = ++latest;
    if (!deviceId || !vault.exists) {
      inbox.value = null;
      return;
    }
    try {
      const answer = await call('inbox.get', { deviceId });
      if (ticket === latest) inbox.value = answer;
    } catch {
      // The acting device did not answer (unplugged, locked): its screens say so; the badges wait for the next change.
      if (ticket === latest) inbox.value = null;
    }
  }

  function start(): void {
    if (subscribed) return;
    subscribed = true;
    on('vault.changed', () => void load());
    watch(
      () => [vault.actingDeviceId, vault.exists] as const,
      () => void load(),
      { immediate: true },
    );
  }

  const counts = computed(() => inbox.value?.counts ?? { proposal: 0, approval: 0, signing: 0, ceremony: 0 });
  /** Per navigation entry: what waits behind it. */
  const badges = computed<Record<string, number>>(() => ({
    proposals: counts.value.proposal,
    transfers: counts.value.approval + counts.value.signing,
    wallets: counts.value.ceremony,
  }));
  const total = computed(() => inbox.value?.items.length ?? 0);

  return { inbox, counts, badges, total, load, start };
});
