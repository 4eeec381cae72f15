// The virtual Ledger as a device endpoint: Ledger's real node-hid transport over a software HID device.
import type Transport from '@ledgerhq/hw-transport';
import * as transportModule from '@ledgerhq/hw-transport-node-hid-noevents';
import type { LedgerEndpoint } from '../types';
import type { VirtualLedger } from './ethereum-app';
import { VirtualHidDevice } from './hid-device';
import type { VirtualHidDeviceOptions } from './hid-device';

export { VirtualLedger, SW, DASHBOARD, ETHEREUM_APP, checksumAddress, displayedMessage } from './ethereum-app';
export type { VirtualLedgerOptions } from './ethereum-app';
export { VirtualScreen } from './screen';
export type { ScreenAnswer, ScreenOutcome, ScreenRecord, ScreenResponder } from './screen';
export { VirtualHidDevice, frameResponse } from './hid-device';
export type { HidDeviceInfo, ReadCallback, VirtualHidDeviceOptions, VirtualHidFaults } from './hid-device';

type TransportClass = typeof transportModule.default;

/**
 * The transport class whichever way the CommonJS module was loaded: Node's ESM loader gives module.exports as the
 * default export (the class is then its `default`), bundlers give the class itself.
 */
export const TransportNodeHidNoEvents: TransportClass =
  (transportModule.default as unknown as { default?: TransportClass }).default ?? transportModule.default;

export interface VirtualEndpointOptions extends VirtualHidDeviceOptions {
  /** Sees each HID device object as it is opened (tests use it to inject faults). */
  onOpen?: (device: VirtualHidDevice) => void;
}

/** An endpoint whose every open() plugs a fresh HID device object into the same ledger. */
export function virtualEndpoint(ledger: VirtualLedger, id: string, opts: VirtualEndpointOptions = {}): LedgerEndpoint {
  const { onOpen, ...hidOptions } = opts;
  return {
    id,
    kind: 'virtual',
    model: 'Virtual Ledger',
    label: ledger.label,
    secure: false,
    async open(): Promise<Transport> {
      const device = new VirtualHidDevice(ledger, hidOptions);
      onOpen?.(device);
      // The transport's constructor is typed for node-hid's HID; the virtual device offers the part it uses.
      const transport = new TransportNodeHidNoEvents(device as unknown as ConstructorParameters<TransportClass>[0]);
      // The transport package pins its own copy of hw-transport; both copies have the same public surface.
      return transport as unknown as Transport;
    },
  };
}
