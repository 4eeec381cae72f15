// The browser host's stand-in for the preload: the same window.custos, built from the contract, over a WebSocket.
// Development tool only: the desktop app uses preload/index.ts and Electron IPC.
import { createCustosApi, type BridgeTransport, type EventName, type Result } from './contract';

interface HostMessage {
  type: 'result' | 'event';
  id?: number;
  result?: Result<unknown>;
  event?: EventName;
  payload?: unknown;
}

const socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/__custos/ws`);
const opened = new Promise<void>((resolve, reject) => {
  socket.addEventListener('open', () => resolve(), { once: true });
  socket.addEventListener('error', () => reject(new Error('closed')), { once: true });
});
const pending = new Map<number, (result: Result<unknown>) => void>();
const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
let nextId = 1;

const hostGone: Result<unknown> = {
  ok: false,
  error: { code: 'INTERNAL', message: 'The Custos browser host is not running any more. Restart it with npm run start:browser.' },
};

socket.addEventListener('message', (e: MessageEvent<string>) => {
  let message: HostMessage;
  try {
    message = JSON.parse(e.data) as HostMessage;
  } catch {
    return;
  }
  if (message.type === 'result' && typeof message.id === 'number') {
    pending.get(message.id)?.(message.result ?? hostGone);
    pending.delete(message.id);
  } else if (message.type === 'event' && message.event) {
    for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
  }
});
socket.addEventListener('close', () => {
  for (const settle of pending.values()) settle(hostGone);
  pending.clear();
});

const transport: BridgeTransport = {
  async invoke(channel, input) {
    try {
      await opened;
    } catch {
      return hostGone;
    }
    if (socket.readyState !== WebSocket.OPEN) return hostGone;
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, resolve);
      socket.send(JSON.stringify({ type: 'invoke', id, channel, input }));
    });
  },
  subscribe(event, listener) {
    const set = listeners.get(event) ?? new Set();
    set.add(listener);
    listeners.set(event, set);
    return () => set.delete(listener);
  },
};

Object.defineProperty(window, 'custos', { value: createCustosApi(transport), writable: false, configurable: false });
