// The vault domain: whether a vault exists, its summary and integrity, and who the acting device is in it.
import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import type { DeviceMember, IntegrityReport, VaultSettingsView, VaultSummary, VerifyProgress } from '../../preload/contract';
import { call, on } from '../api';
import { useAlertsStore } from './alerts';
import { useDevicesStore } from './devices';

/** True while the vault is still being founded (the founder's signature counts alone until the quorum is set). */
export function isFounding(settings: VaultSettingsView | undefined): boolean {
  return settings?.founding === true;
}

const ACTING_KEY = 'custos.acting-address';

export const useVaultStore = defineStore('vault', () => {
  const alerts = useAlertsStore();
  const devices = useDevicesStore();

  const vault = ref<VaultSummary | null>(null);
  /** False until vault.status answered once: the router waits on it to choose Onboarding or the Dashboard. */
  const loaded = ref(false);
  /** Set when vault.status failed: the console can't tell whether a vault exists. */
  const unavailable = ref(false);
  const verifying = ref(false);
  /** How far the running Verify is (a replay from genesis), null when none runs. */
  const verifyProgress = ref<VerifyProgress | null>(null);
  let offProgress: (() => void) | null = null;

  /** The device of the person at the console: every proposal, approval and rejection is signed with it. */
  const actingDeviceId = ref<string | null>(null);
  /**
   * Who acted last, remembered across restarts by their device's identity address (device ids change when a device is
   * plugged in again; a person's address does not). Only an address is kept: it is public, and names nobody's secret.
   */
  const remembered = (): string | null => {
    try {
      return localStorage.getItem(ACTING_KEY);
    } catch {
      return null;
    }
  };
  const remember = (address: string): void => {
    try {
      localStorage.setItem(ACTING_KEY, address);
    } catch {
      // A console without storage simply asks again next time.
    }
  };
  /** Who each connected device is in this vault (users are their devices), as main answers. */
  const members = ref<Record<string, DeviceMember>>({});
  const memberLoading = ref(false);

  const exists = computed(() => vault.value !== null);
  const founding = computed(() => isFounding(vault.value?.settings));
  const tampered = computed(() => vault.value?.integrity.status === 'tampered');
  const acting = computed<DeviceMember | null>(() => (actingDeviceId.value ? members.value[actingDeviceId.value] ?? null : null));
  const actingLabel = computed(() => (actingDeviceId.value ? devices.labelOf(actingDeviceId.value) : null));

  let off: (() => void) | null = null;
  let pending: Promise<void> | null = null;

  async function load(): Promise<void> {
    if (!off) {
      off = on('vault.changed', () => {
        void load();
      });
    }
    // Loads overlap when several events arrive together: one request at a time is enough.
    pending ??= (async () => {
      try {
        vault.value = (await call('vault.status')).vault;
        unavailable.value = false;
        await loadMembers();
      } catch (err) {
        unavailable.value = true;
        alerts.report('Opening the vault', err);
      } finally {
        loaded.value = true;
        pending = null;
      }
    })();
    return pending;
  }

  /** Asks main who each connected device is; the acting device's failure is reported, the others' stay quiet. */
  async function loadMembers(): Promise<void> {
    if (!vault.value) {
      members.value = {};
      return;
    }
    const usable = devices.devices.filter((d) => d.state !== 'disconnected');
    memberLoading.value = true;
    try {
      const answers = await Promise.all(
        usable.map(async (d) => {
          // A device showing a screen is busy with the person; what it was known as still holds.
          if (d.state === 'busy') return members.value[d.id] ?? null;
          try {
            return await call('vault.whoIs', { deviceId: d.id });
          } catch (err) {
            if (d.id === actingDeviceId.value) alerts.report(`Finding who ${d.label} is`, err);
            return null;
          }
        }),
      );
      const next: Record<string, DeviceMember> = {};
      for (const member of answers) if (member) next[member.deviceId] = member;
      members.value = next;
      chooseActing();
    } finally {
      memberLoading.value = false;
    }
  }

  async function create(input: { name: string; adminName: string; deviceId: string }): Promise<VaultSummary> {
    const created = await call('vault.create', input);
    vault.value = created;
    actingDeviceId.value = input.deviceId;
    await loadMembers();
    return created;
  }

  async function verify(): Promise<IntegrityReport | null> {
    verifying.value = true;
    verifyProgress.value = null;
    offProgress ??= on('vault.verifyProgress', (p) => {
      if (verifying.value) verifyProgress.value = p;
    });
    try {
      const report = await call('vault.verify');
      if (vault.value) vault.value = { ...vault.value, integrity: report };
      return report;
    } catch (err) {
      alerts.report('Checking the vault', err);
      return null;
    } finally {
      verifying.value = false;
      verifyProgress.value = null;
    }
  }

  function setActing(deviceId: string | null): void {
    actingDeviceId.value = deviceId;
    const address = deviceId ? members.value[deviceId]?.address : undefined;
    if (address) remember(address);
  }

  /** With nobody acting yet: the person who acted last, if their device is here; else the only member's device. */
  function chooseActing(): void {
    if (actingDeviceId.value !== null) {
      const address = members.value[actingDeviceId.value]?.address;
      if (address) remember(address);
      return;
    }
    const known = Object.values(members.value).filter((m) => m.user !== null && m.user.status === 'active');
    const last = remembered();
    const again = last === null ? undefined : known.find((m) => m.address.toLowerCase() === last.toLowerCase());
    if (again) actingDeviceId.value = again.deviceId;
    else if (known.length === 1 && devices.devices.filter((d) => d.state !== 'disconnected').length === 1) actingDeviceId.value = known[0]!.deviceId;
  }

  // A device that went away can't act; a device that arrives may be a member: ask again.
  watch(
    () => devices.devices.map((d) => `${d.id}:${d.state}`).join(','),
    () => {
      if (actingDeviceId.value && !devices.devices.some((d) => d.id === actingDeviceId.value)) actingDeviceId.value = null;
      if (loaded.value) void loadMembers();
    },
  );

  return {
    vault,
    loaded,
    unavailable,
    verifying,
    verifyProgress,
    actingDeviceId,
    members,
    memberLoading,
    exists,
    founding,
    tampered,
    acting,
    actingLabel,
    load,
    loadMembers,
    create,
    verify,
    setActing,
  };
});
