// Vite settings of the renderer: used by `npm run build:renderer` and reused by electron.vite.config.ts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type UserConfig } from 'vite';

const rendererRoot = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(rendererRoot, '..');

/** The renderer's settings, exported so electron-vite's `renderer` section can spread them. */
export const rendererConfig = {
  root: rendererRoot,
  // Relative asset URLs: Electron loads the app from file://, the browser host serves it under a token URL.
  base: './',
  plugins: [vue()],
  build: {
    outDir: path.join(repoRoot, 'out/renderer'),
    emptyOutDir: true,
    target: 'chrome120',
    rollupOptions: { input: path.join(rendererRoot, 'index.html') },
  },
} satisfies UserConfig;

export default defineConfig(rendererConfig);
