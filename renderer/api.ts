// The typed client of window.custos: every call answers a Result; `call` unwraps it or throws a CustosFailure.
import type { Channel, ChannelInput, ChannelResult, CustosApi, CustosErrorData, Result } from '../preload/contract';

/** The bridge, or null when the page was not opened by Custos (no preload, no browser-host shim). */
export function bridge(): CustosApi | null {
  const candidate = (window as { custos?: unknown }).custos;
  return typeof candidate === 'object' && candidate !== null ? (candidate as CustosApi) : null;
}

/** A failed call: carries the error as main sent it (code and plain message), never a stack. */
export class CustosFailure extends Error {
  readonly data: CustosErrorData;
  constructor(data: CustosErrorData) {
    super(data.message);
    this.name = 'CustosFailure';
    this.data = data;
  }
}

const unreachable: CustosErrorData = {
  code: 'INTERNAL',
  message: 'Custos did not answer. Restart the app; if it keeps happening, the log has the details.',
};

/** Calls a channel by its contract name ("devices.list") and returns its value, or throws a CustosFailure. */
export async function call<C extends Channel>(channel: C, input?: ChannelInput<C>): Promise<ChannelResult<C>> {
  const api = bridge();
  if (!api) throw new CustosFailure(unreachable);
  const [ns, method] = channel.split('.') as [string, string];
  const fn = (api as unknown as Record<string, Record<string, (i?: unknown) => Promise<Result<unknown>>>>)[ns]?.[method];
  if (!fn) throw new CustosFailure({ code: 'UNKNOWN_CHANNEL', message: `This version of Custos does not offer "${channel}".` });
  let result: Result<unknown>;
  try {
    result = await fn(input ?? {});
  } catch {
    // A bridge that throws (IPC torn down, host gone) must not leak its own text into the UI.
    throw new CustosFailure(unreachable);
  }
  if (!result || typeof result !== 'object') throw new CustosFailure(unreachable);
  if (!result.ok) throw new CustosFailure(result.error);
  return result.value as ChannelResult<C>;
}

/** Subscribes to an event of main; returns the function that unsubscribes (a no-op without a bridge). */
export const on: CustosApi['on'] = (event, listener) => bridge()?.on(event, listener) ?? (() => undefined);
