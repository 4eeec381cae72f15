// What each device will show for an action, as main renders it: the renderer asks and shows, it renders no statement.
import { onBeforeUnmount, ref, watch, type Ref } from 'vue';
import type { DeviceStep, PreviewAction } from '../preload/contract';
import { call, CustosFailure, on } from './api';

export interface DevicePreview {
  steps: Ref<DeviceStep[]>;
  /** Why main shows no screen yet ("…once the form is complete: name: a name is required"), or null. */
  problem: Ref<string | null>;
}

/**
 * Asks main again whenever the input changes (a short pause while typing) or the vault changes. `input` answers null
 * while there is nothing to preview (the dialog is closed): then there are no steps.
 */
export function useDevicePreview(action: () => PreviewAction | null, input: () => Record<string, unknown> | null): DevicePreview {
  const steps = ref<DeviceStep[]>([]);
  const problem = ref<string | null>(null);
  let asked = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    const a = action();
    const i = input();
    const mine = ++asked;
    if (a === null || i === null) {
      steps.value = [];
      problem.value = null;
      return;
    }
    try {
      const answer = await call('statements.preview', { action: a, input: i });
      if (mine !== asked) return;
      steps.value = answer;
      problem.value = null;
    } catch (err) {
      if (mine !== asked) return;
      steps.value = [];
      problem.value = err instanceof CustosFailure ? err.message : 'The device screens cannot be shown now.';
    }
  }

  function soon(): void {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => void load(), 150);
  }

  watch([action, input], soon, { deep: true, immediate: true });
  const off = on('vault.changed', soon);
  onBeforeUnmount(() => {
    off();
    if (timer !== null) clearTimeout(timer);
  });
  return { steps, problem };
}
