// Builds the desktop app: main (with the MPC host as a second entry), the sandboxed preload, and the renderer.
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      rollupOptions: {
        input: {
          index: resolve(root, 'main/index.ts'),
          // The utility process entry: never imports electron, also runs under plain Node.
          'mpc-host': resolve(root, 'main/mpc-host/entry.ts'),
          // The DKG pool's worker threads run this file; the host finds it beside its own code (dkg-pool.ts).
          'dkg-pool': resolve(root, 'main/mpc-host/dkg-pool.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // A sandboxed preload can't require node_modules: everything (zod, the contract) is bundled into one CJS file.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: './',
    plugins: [vue()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') } },
    },
  },
});
