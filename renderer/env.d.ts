// Ambient types of the renderer: the bridge the preload (or the browser host's shim) puts on window, and .vue modules.
// A script file (no top-level import), so both declarations are global rather than module augmentations.

interface Window {
  /** Set by the preload in Electron, or by the browser host's shim; absent when the page is opened any other way. */
  readonly custos: import('../preload/contract').CustosApi;
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
