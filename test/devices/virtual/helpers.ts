// Shared set-up for the virtual Ledger tests: the reference's seed and path, and hw-app-eth over the real HID transport.
import EthModule from '@ledgerhq/hw-app-eth';
import type Transport from '@ledgerhq/hw-transport';
import { VirtualLedger, virtualEndpoint } from '../../../main/devices/virtual';
import type { VirtualHidDevice, VirtualLedgerOptions } from '../../../main/devices/virtual';

/** The reference's test seed ("abandon" ×11 "about"); its vectors are for PATH. */
export const ABANDON = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
export const PATH = "44'/60'/0'/0/0";

type EthClass = typeof EthModule;
/** hw-app-eth is CommonJS: under Node's ESM loader the class may sit one `default` deeper. */
const Eth: EthClass = (EthModule as unknown as { default?: EthClass }).default ?? EthModule;
export type EthApp = InstanceType<EthClass>;

export interface Connection {
  ledger: VirtualLedger;
  transport: Transport;
  eth: EthApp;
  device: VirtualHidDevice;
  /** Every APDU hw-app-eth sent, as hex. */
  sent: string[];
}

export async function connect(ledger: VirtualLedger = new VirtualLedger({ mnemonic: ABANDON })): Promise<Connection> {
  let device: VirtualHidDevice | undefined;
  const endpoint = virtualEndpoint(ledger, 'virtual:test', { onOpen: (d) => (device = d) });
  const transport = await endpoint.open();
  const sent: string[] = [];
  const exchange = transport.exchange.bind(transport);
  transport.exchange = (apdu: Buffer, ...rest: unknown[]) => {
    sent.push(apdu.toString('hex'));
    return (exchange as (a: Buffer, ...r: unknown[]) => Promise<Buffer>)(apdu, ...rest);
  };
  if (!device) throw new Error('endpoint did not open a HID device');
  return { ledger, transport, eth: new Eth(transport), device, sent };
}

export function abandonLedger(opts: Omit<VirtualLedgerOptions, 'mnemonic'> = {}): VirtualLedger {
  return new VirtualLedger({ mnemonic: ABANDON, ...opts });
}

/** Sends one raw APDU (hex) through the transport; the answer as hex, status word included. */
export async function raw(transport: Transport, apduHex: string): Promise<string> {
  const response = await transport.exchange(Buffer.from(apduHex.replace(/\s+/g, ''), 'hex'));
  return Buffer.from(response).toString('hex');
}

/** The status word a TransportStatusError carries (hw-transport's copy of @ledgerhq/errors: compare by field). */
export async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (err) {
    const code = (err as { statusCode?: unknown }).statusCode;
    if (typeof code === 'number') return code;
    throw err;
  }
  throw new Error('expected a status-word error, got a success');
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const textHex = (s: string): string => Buffer.from(s, 'utf8').toString('hex');
