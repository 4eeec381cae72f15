// The devices domain: the Ledgers main knows (USB and virtual), the screens they are showing, and what was read from them.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { DeviceIdentity, DevicePrompt, DeviceStep, DeviceSummary, SignedStatement } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';

export type DeviceTask = 'identity' | 'sign' | 'remove';

export const DEFAULT_PATH = "m/44'/60'/0'/0/0";

export const useDevicesStore = defineStore('devices', () => {
  const alerts = useAlertsStore();

  const devices = ref<DeviceSummary[]>([]);
  const loaded = ref(false);
  const refreshing = ref(false);
  /** Screens devices are showing now, oldest first; the prompt dialog shows the first. */
  const prompts = ref<DevicePrompt[]>([]);
  /** Prompts answered from this console, until main confirms they ended. */
  const answering = ref<Set<string>>(new Set());
  const identities = ref<Record<string, DeviceIdentity>>({});
  const statements = ref<Record<string, SignedStatement>>({});
  const tasks = ref<Record<string, DeviceTask | undefined>>({});
  /** The screens the console told the person to expect (the running dialog's preview): the prompt panel shows them beside the device's. */
  const expected = ref<DeviceStep[]>([]);

  const currentPrompt = computed<DevicePrompt | null>(() => prompts.value[0] ?? null);
  const labelOf = (deviceId: string) => devices.value.find((d) => d.id === deviceId)?.label ?? 'the device';

  let unsubscribe: (() => void)[] = [];

  function setDevices(list: DeviceSummary[]): void {
    devices.value = list;
    const present = new Set(list.map((d) => d.id));
    // What was read from a device that is gone no longer describes anything on screen.
    for (const id of Object.keys(identities.value)) if (!present.has(id)) delete identities.value[id];
    for (const id of Object.keys(statements.value)) if (!present.has(id)) delete statements.value[id];
  }

  function addPrompt(prompt: DevicePrompt): void {
    if (!prompts.value.some((p) => p.promptId === prompt.promptId)) prompts.value = [...prompts.value, prompt];
  }

  function endPrompt(promptId: string): void {
    prompts.value = prompts.value.filter((p) => p.promptId !== promptId);
    answering.value.delete(promptId);
  }

  /** Subscribes to main's device events, then loads the list and any screen already waiting. */
  async function start(): Promise<void> {
    if (unsubscribe.length) return;
    unsubscribe = [
      on('devices.changed', setDevices),
      on('devices.prompt', addPrompt),
      on('devices.promptEnded', ({ promptId }) => endPrompt(promptId)),
    ];
    try {
      const [list, waiting] = await Promise.all([call('devices.list'), call('devices.prompts')]);
      setDevices(list);
      for (const prompt of waiting) addPrompt(prompt);
    } catch (err) {
      alerts.report('Listing devices', err);
    } finally {
      loaded.value = true;
    }
  }

  function stop(): void {
    for (const off of unsubscribe) off();
    unsubscribe = [];
  }

  async function refresh(): Promise<void> {
    refreshing.value = true;
    try {
      setDevices(await call('devices.refresh'));
    } catch (err) {
      alerts.report('Checking devices', err);
    } finally {
      refreshing.value = false;
    }
  }

  /** Adds a virtual Ledger; answers the generated mnemonic (shown once), or null when one was given. */
  async function addVirtual(input: { label?: string; mnemonic?: string }): Promise<{ device: DeviceSummary; mnemonic: string | null }> {
    const { mnemonic, ...device } = await call('devices.addVirtual', input);
    if (!devices.value.some((d) => d.id === device.id)) devices.value = [...devices.value, device];
    // Asks the new device which app it runs, so its state and app version show at once.
    void call('devices.refresh').then(setDevices, () => undefined);
    return { device, mnemonic };
  }

  async function run<T>(deviceId: string, task: DeviceTask, context: string, work: () => Promise<T>): Promise<T | null> {
    tasks.value[deviceId] = task;
    try {
      return await work();
    } catch (err) {
      alerts.report(`${context} (${labelOf(deviceId)})`, err);
      return null;
    } finally {
      tasks.value[deviceId] = undefined;
    }
  }

  async function readIdentity(deviceId: string, path: string, showOnDevice: boolean): Promise<void> {
    delete identities.value[deviceId];
    const identity = await run(deviceId, 'identity', 'Reading the address', () => call('devices.identity', { deviceId, path, showOnDevice }));
    if (identity) identities.value[deviceId] = identity;
  }

  async function signStatement(deviceId: string, path: string, text: string): Promise<void> {
    delete statements.value[deviceId];
    const signed = await run(deviceId, 'sign', 'Signing the test statement', () => call('devices.signStatement', { deviceId, path, text }));
    if (signed) statements.value[deviceId] = signed;
  }

  async function remove(deviceId: string): Promise<void> {
    const label = labelOf(deviceId);
    const done = await run(deviceId, 'remove', `Removing ${label}`, () => call('devices.remove', { deviceId }));
    if (done) setDevices(devices.value.filter((d) => d.id !== deviceId));
  }

  /** Answers a virtual device's screen. The dialog closes when main reports the prompt ended. */
  async function respond(promptId: string, decision: 'approve' | 'reject'): Promise<void> {
    answering.value.add(promptId);
    try {
      await call('devices.respond', { promptId, decision });
    } catch (err) {
      alerts.report(decision === 'approve' ? 'Approving on the virtual device' : 'Rejecting on the virtual device', err);
      // The prompt is not waiting any more (answered elsewhere or timed out): stop showing it.
      endPrompt(promptId);
    }
  }

  return {
    devices,
    loaded,
    refreshing,
    prompts,
    answering,
    currentPrompt,
    identities,
    statements,
    tasks,
    expected,
    labelOf,
    start,
    stop,
    refresh,
    addVirtual,
    readIdentity,
    signStatement,
    remove,
    respond,
  };
});
