// What the acting person may do, as main answers it: each button shows main's reason when it is disabled.
import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import type { AccessView, Permission } from '../../preload/contract';
import { call, on } from '../api';
import { useVaultStore } from './vault';

const CHOOSE: Permission = { allowed: false, reason: 'Choose your device under "Acting as" first.' };
const ASKING: Permission = { allowed: false, reason: 'Asking Custos what the acting device may do…' };

export const useAccessStore = defineStore('access', () => {
  const vault = useVaultStore();
  const access = ref<AccessView | null>(null);
  /** Why there is no answer (the acting device did not answer), or null. */
  const problem = ref<string | null>(null);
  let subscribed = false;
  let latest = 0;

  /** Asks main again; an answer for a device no longer acting is dropped. */
  async function load(): Promise<void> {
    const deviceId = vault.actingDeviceId;
    const ticket = ++latest;
    if (!deviceId || !vault.exists) {
      access.value = null;
      problem.value = null;
      return;
    }
    try {
      const answer = await call('access.get', { deviceId });
      if (ticket !== latest) return;
      access.value = answer;
      problem.value = null;
    } catch (err) {
      if (ticket !== latest) return;
      access.value = null;
      problem.value = err instanceof Error ? err.message : 'The acting device did not answer.';
    }
  }

  function start(): void {
    if (subscribed) return;
    subscribed = true;
    on('vault.changed', () => void load());
    watch(() => [vault.actingDeviceId, vault.exists] as const, () => void load(), { immediate: true });
  }

  /** The answer for one action, picked from main's view; before it arrives, why there is none yet. */
  function may(pick: (view: AccessView) => Permission | undefined): Permission {
    if (!vault.actingDeviceId) return CHOOSE;
    if (access.value === null) return problem.value ? { allowed: false, reason: problem.value } : ASKING;
    return pick(access.value) ?? { allowed: false, reason: 'This is no longer waiting for a decision.' };
  }

  /** The reason to show beside a disabled button, or null when the person may act. */
  const why = (pick: (view: AccessView) => Permission | undefined): string | null => {
    const p = may(pick);
    return p.allowed ? null : p.reason;
  };

  // The first view that asks starts the store: it follows the acting device and the vault from then on.
  start();
  return { access, problem, load, start, may, why };
});
