// The device layer's own types: what a Ledger connection offers, whatever carries it (USB or virtual).
import type Transport from '@ledgerhq/hw-transport';
import type { DeviceKind, DevicePrompt } from '../../preload/contract';

/** A Ledger the manager can talk to: a USB one found by node-hid, or a virtual one in this process. */
export interface LedgerEndpoint {
  id: string;
  kind: DeviceKind;
  model: string;
  label: string;
  secure: boolean;
  /** Opens a Ledger transport (hw-transport) to the device. Real framing runs in both cases. */
  open(): Promise<Transport>;
}

/** A screen a device shows, before the person acts (without ids: the manager assigns them). */
export type ScreenContent = Pick<DevicePrompt, 'operation' | 'title' | 'fields'>;
