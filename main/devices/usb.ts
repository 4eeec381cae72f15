// USB Ledgers: hot-plug discovery and opening, through @ledgerhq/hw-transport-node-hid (node-hid + usb events).
import type Transport from '@ledgerhq/hw-transport';
import type { LedgerEndpoint } from './types';

export interface UsbDeviceEvent {
  type: 'add' | 'remove';
  path: string;
  model: string;
}

/** Finds USB Ledgers as they come and go. */
export interface UsbDiscovery {
  start(listener: (event: UsbDeviceEvent) => void): Promise<void>;
  stop(): void;
  endpoint(path: string, model: string): LedgerEndpoint;
}

interface ListenEvent {
  type: 'add' | 'remove';
  descriptor: string;
  deviceModel?: { productName?: string } | null;
}

type TransportClass = {
  listen(observer: { next(e: ListenEvent): void; error(e: unknown): void; complete(): void }): { unsubscribe(): void };
  open(path: string): Promise<Transport>;
};

/** Loads the native USB stack lazily: a machine without it still runs the console with virtual devices. */
async function loadTransport(): Promise<TransportClass> {
  const mod = (await import('@ledgerhq/hw-transport-node-hid')) as unknown as { default: TransportClass | { default: TransportClass } };
  const cls = mod.default as TransportClass & { default?: TransportClass };
  return typeof cls.listen === 'function' ? cls : (cls.default as TransportClass);
}

export function nodeHidDiscovery(onError: (message: string) => void = () => {}): UsbDiscovery {
  let subscription: { unsubscribe(): void } | null = null;
  let transportClass: TransportClass | null = null;
  return {
    async start(listener) {
      try {
        transportClass = await loadTransport();
      } catch (err) {
        onError(`USB Ledgers are unavailable: the USB stack could not be loaded (${(err as Error).message}).`);
        return;
      }
      subscription = transportClass.listen({
        next: (e) => listener({ type: e.type, path: e.descriptor, model: e.deviceModel?.productName ?? 'Ledger' }),
        error: (e) => onError(`USB device listing failed: ${(e as Error)?.message ?? String(e)}`),
        complete: () => {},
      });
    },
    stop() {
      subscription?.unsubscribe();
      subscription = null;
    },
    endpoint(path, model) {
      return {
        id: `usb:${path}`,
        kind: 'usb',
        model,
        label: model,
        secure: true,
        open: async () => {
          transportClass ??= await loadTransport();
          return transportClass.open(path);
        },
      };
    },
  };
}
