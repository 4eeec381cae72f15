// Errors the console shows in its one global alert area: what failed, main's plain message, and what to do.
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ErrorCode } from '../../preload/contract';
import { adviceFor, errorData, type AdviceTopic } from '../errors';

export interface Alert {
  id: number;
  /** What the person was doing ("Signing with Virtual Ledger 1"). */
  context: string;
  code: ErrorCode;
  message: string;
  action: string;
  severity: 'warning' | 'error';
}

const MAX_ALERTS = 5;

export const useAlertsStore = defineStore('alerts', () => {
  const alerts = ref<Alert[]>([]);
  let nextId = 1;

  /** Records a failure of `context` (advice worded for `topic` when given); returns its id. Older alerts beyond a handful are dropped. */
  function report(context: string, err: unknown, topic?: AdviceTopic): number {
    const data = errorData(err);
    const advice = adviceFor(data.code, topic);
    const alert: Alert = { id: nextId++, context, code: data.code, message: data.message, ...advice };
    alerts.value = [alert, ...alerts.value].slice(0, MAX_ALERTS);
    return alert.id;
  }

  function dismiss(id: number): void {
    alerts.value = alerts.value.filter((a) => a.id !== id);
  }

  function clear(): void {
    alerts.value = [];
  }

  return { alerts, report, dismiss, clear };
});
