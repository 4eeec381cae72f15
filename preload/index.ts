// The Electron preload: exposes window.custos, built from the contract, over IPC. It never exposes ipcRenderer.
import { contextBridge, ipcRenderer } from 'electron';
import { createCustosApi, type BridgeTransport } from './contract';

const transport: BridgeTransport = {
  invoke: (channel, input) => ipcRenderer.invoke(channel, input),
  subscribe(event, listener) {
    const handler = (_e: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => ipcRenderer.removeListener(event, handler);
  },
};

contextBridge.exposeInMainWorld('custos', createCustosApi(transport));
