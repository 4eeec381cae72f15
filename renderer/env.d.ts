// Ambient types of the renderer: the bridge the preload (or the browser host's shim) puts on window.
import type { CustosApi } from '../preload/contract';

declare global {
  interface Window {
    /** Set by the preload in Electron, or by the browser host's shim; absent when the page is opened any other way. */
    readonly custos: CustosApi;
  }
}

export {};
