// Test parts for the vault: a real SQLite file in a temp folder, a device manager with virtual Ledgers that answer as told.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ScreenContent } from '../../main/devices/types';
import { DeviceManager } from '../../main/devices/manager';
import { CustosError } from '../../main/errors';
import { Store } from '../../main/store';
import { VaultService } from '../../main/vault';
import { previewStatements } from '../../main/previews';
import type { TransferService } from '../../main/transfers/service';
import type { DeviceStep, PreviewAction } from '../../preload/contract';
import { expect } from 'vitest';
import { PHRASES } from './phrases';

export { PHRASES } from './phrases';

export type Person = keyof typeof PHRASES;

export interface Harness {
  dir: string;
  store: Store;
  devices: DeviceManager;
  vault: VaultService;
  /** Device id of each person's virtual Ledger. */
  device: Record<Person, string>;
  /** What each device's screen showed, in order. */
  screens: Record<Person, ScreenContent[]>;
  /** How each device answers its next screens. */
  answer: Record<Person, 'approve' | 'reject'>;
  reopen(): void;
  close(): Promise<void>;
}

export function tempDir(prefix = 'custos-vault-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function harness(dir = tempDir()): Harness {
  const devices = new DeviceManager();
  const device = {} as Record<Person, string>;
  const screens = {} as Record<Person, ScreenContent[]>;
  const answer = {} as Record<Person, 'approve' | 'reject'>;
  for (const person of Object.keys(PHRASES) as Person[]) {
    const { device: d, ledger } = devices.addVirtual({ label: person, mnemonic: PHRASES[person] });
    device[person] = d.id;
    screens[person] = [];
    answer[person] = 'approve';
    ledger.screen.setResponder((content) => {
      screens[person].push(content);
      return answer[person];
    });
  }
  const h: Harness = {
    dir,
    store: Store.open(dir),
    devices,
    vault: null as unknown as VaultService,
    device,
    screens,
    answer,
    reopen() {
      h.vault.close();
      h.store.close();
      h.store = Store.open(dir);
      h.vault = new VaultService({ store: h.store, devices });
    },
    async close() {
      h.vault.close();
      h.store.close();
      await devices.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  h.vault = new VaultService({ store: h.store, devices });
  return h;
}

/** The founding: Alice creates "Treasury"; Bob and Carol join as administrators; the quorum becomes 2. */
export async function foundedVault(h: Harness): Promise<{ alice: string; bob: string; carol: string }> {
  await h.vault.create({ name: 'Treasury', adminName: 'Alice', deviceId: h.device.alice });
  await h.vault.proposeUser({ name: 'Bob', roles: ['administrator'], newUserDeviceId: h.device.bob, deviceId: h.device.alice });
  await h.vault.proposeUser({ name: 'Carol', roles: ['administrator'], newUserDeviceId: h.device.carol, deviceId: h.device.alice });
  await h.vault.proposeQuorum({ quorum: 2, deviceId: h.device.alice });
  return { alice: userId(h, 'Alice'), bob: userId(h, 'Bob'), carol: userId(h, 'Carol') };
}

export function userId(h: Harness, name: string): string {
  const u = h.vault.listUsers().find((x) => x.name === name);
  if (u === undefined) throw new Error(`no user ${name}`);
  return u.id;
}

export async function expectError(promise: Promise<unknown> | (() => unknown), code: CustosError['code'], message?: RegExp): Promise<CustosError> {
  let error: unknown = null;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error, `expected ${code}`).toBeInstanceOf(CustosError);
  expect((error as CustosError).code).toBe(code);
  if (message) expect((error as CustosError).message).toMatch(message);
  return error as CustosError;
}

/** The steps main previews for `action`, read with the harness's own services. */
export function preview(h: Harness, action: PreviewAction, input: Record<string, unknown>, transfers?: () => TransferService): DeviceStep[] {
  return previewStatements({ vault: h.vault, devices: h.devices, transfers: transfers ?? (() => { throw new Error('no transfer service in this harness'); }) }, action, input);
}

/**
 * Whether `shown` (a device's screen, where the Nano shows each line break as a space) is `preview` with each of its
 * placeholders ("(assigned now)", "(read from this device)", "(of the proposal)"…) filled in by something.
 */
export function fillsPreview(preview: string, shown: string): boolean {
  const pieces = preview.split(/\((?:assigned now|read from this device|of [a-z ]+)\)/);
  const escape = (s: string) => s.replaceAll('\n', ' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${pieces.map(escape).join('.+?')}$`, 's').test(shown);
}

/** A screen's text as the device showed it. */
export const shownText = (screen: ScreenContent): string => screen.fields.map((f) => f.value).join('\n');
