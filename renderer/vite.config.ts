// Vite settings of the renderer: used by `npm run build:renderer` and reused by electron.vite.config.ts.
import vue from '@vitejs/plugin-vue';
import { defineConfig, type UserConfig } from 'vite';

// Vite and electron-vite define __dirname in the config files they load (ESM included): this file's folder,
// whatever the working directory. (No node:path here: the renderer folder may not import Node modules.)
declare const __dirname: string;

/** The renderer's settings, exported so electron-vite's `renderer` section can spread them. */
export const rendererConfig = {
  root: __dirname,
  // Relative asset URLs: Electron loads the app from file://, the browser host serves it under a token URL.
  base: './',
  plugins: [vue()],
  build: {
    // Relative to root: <repo>/out/renderer.
    outDir: '../out/renderer',
    emptyOutDir: true,
    target: 'chrome120',
  },
} satisfies UserConfig;

export default defineConfig(rendererConfig);
