// What main says about itself: version, shell (desktop app or browser host), platform checks.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { AppInfo } from '../../preload/contract';
import { call } from '../api';
import { useAlertsStore } from './alerts';

export const useAppStore = defineStore('app', () => {
  const info = ref<AppInfo | null>(null);

  async function load(): Promise<void> {
    try {
      info.value = await call('app.info');
    } catch (err) {
      useAlertsStore().report('Reading the app information', err);
    }
  }

  return { info, load };
});
