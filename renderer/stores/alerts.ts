// Where the console shows what failed: inside the dialog whose action failed (next to its field when main names one),
// else in the one global alert area; main's plain message and what to do, once.
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

/** A failure of an action started from a dialog: shown in that dialog, beside `field` when main named the input. */
export interface DialogError extends Alert {
  field: string | null;
}

const MAX_ALERTS = 5;

/** The id of the message shown beside a dialog's field (its input's aria-describedby). */
export const fieldErrorId = (dialogId: string, field: string) => `${dialogId}-${field.replace(/[^A-Za-z0-9_-]/g, '-')}-error`;

export const useAlertsStore = defineStore('alerts', () => {
  const alerts = ref<Alert[]>([]);
  /** The failure each open dialog shows, by dialog id. */
  const dialogErrors = ref<Record<string, DialogError>>({});
  /** Dialogs whose action runs now, innermost last: what fails meanwhile is theirs to show. */
  const running: string[] = [];
  let nextId = 1;

  /**
   * Records a failure of `context` (advice worded for `topic` when given); returns its id. While a dialog's action runs
   * it goes to that dialog, replacing what it showed; otherwise to the global list, of which only a handful stay.
   */
  function report(context: string, err: unknown, topic?: AdviceTopic): number {
    const data = errorData(err);
    const advice = adviceFor(data.code, topic);
    const alert: Alert = { id: nextId++, context, code: data.code, message: data.message, ...advice };
    const dialogId = running.at(-1);
    if (dialogId !== undefined) {
      dialogErrors.value[dialogId] = { ...alert, field: data.field ?? null };
      return alert.id;
    }
    alerts.value = [alert, ...alerts.value].slice(0, MAX_ALERTS);
    return alert.id;
  }

  /** Runs the action a dialog started: what it reports shows in that dialog (its earlier error goes first). */
  async function within<T>(dialogId: string, work: () => T | Promise<T>): Promise<T> {
    clearDialog(dialogId);
    running.push(dialogId);
    try {
      return await work();
    } finally {
      running.splice(running.lastIndexOf(dialogId), 1);
    }
  }

  function dialogError(dialogId: string): DialogError | null {
    return dialogErrors.value[dialogId] ?? null;
  }

  /** The message to show beside `field` of the dialog, or null. */
  function fieldError(dialogId: string, field: string): string | null {
    const error = dialogErrors.value[dialogId];
    return error && error.field === field ? error.message : null;
  }

  /** What the field's input carries while it is in error: marked invalid and described by the message beside it. */
  function fieldAttrs(dialogId: string, field: string): Record<string, string> {
    return fieldError(dialogId, field) === null ? {} : { 'aria-invalid': 'true', 'aria-describedby': fieldErrorId(dialogId, field) };
  }

  /** The person edited `field`: its error has done its job. */
  function clearField(dialogId: string, field: string): void {
    if (dialogErrors.value[dialogId]?.field === field) delete dialogErrors.value[dialogId];
  }

  function clearDialog(dialogId: string): void {
    delete dialogErrors.value[dialogId];
  }

  function dismiss(id: number): void {
    alerts.value = alerts.value.filter((a) => a.id !== id);
  }

  function clear(): void {
    alerts.value = [];
  }

  return { alerts, dialogErrors, report, within, dialogError, fieldError, fieldAttrs, clearField, clearDialog, dismiss, clear };
});
