// The preload (Electron) and the browser host's shim expose exactly the same window.custos, built from the contract.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHANNELS, EVENTS, exposedChannels, type CustosApi } from '../../preload/contract';

// The preload's only platform dependency is Electron's bridge; this stands in for it and records what is exposed.
const exposed: Record<string, unknown> = {};
const invoked: { channel: string; input: unknown }[] = [];
vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
  ipcRenderer: {
    invoke: (channel: string, input: unknown) => {
      invoked.push({ channel, input });
      return Promise.resolve({ ok: true, value: null });
    },
    on: () => undefined,
    removeListener: () => undefined,
  },
}));

/** A WebSocket that never connects, enough for the shim to build its API. */
class ClosedSocket extends EventTarget {
  static OPEN = 1;
  readyState = 0;
  send() {}
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the two bridges', () => {
  it('the preload exposes one function per contract channel, and nothing else but on()', async () => {
    await import('../../preload/index');
    const api = exposed['custos'] as CustosApi;
    expect(exposedChannels(api)).toEqual([...CHANNELS].sort());
    expect(Object.keys(api).filter((k) => typeof (api as unknown as Record<string, unknown>)[k] === 'function')).toEqual(['on']);
    await api.devices.list();
    expect(invoked).toEqual([{ channel: 'devices.list', input: {} }]);
    expect(() => api.on('not.an.event' as never, () => {})).toThrow(/unknown event/);
    expect(EVENTS.length).toBeGreaterThan(0);
  });

  it('the browser shim exposes the same channel set', async () => {
    const fakeWindow: Record<string, unknown> = {};
    vi.stubGlobal('window', fakeWindow);
    vi.stubGlobal('location', { protocol: 'http:', host: '127.0.0.1:1' });
    vi.stubGlobal('WebSocket', ClosedSocket);
    await import('../../preload/browser-shim');
    const api = fakeWindow['custos'] as CustosApi;
    expect(exposedChannels(api)).toEqual([...CHANNELS].sort());
    await import('../../preload/index');
    expect(exposedChannels(api)).toEqual(exposedChannels(exposed['custos'] as CustosApi));
  });
});
