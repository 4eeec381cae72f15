// Unit and integration tests: plain Node, real parts (temp SQLite files, the MPC host as a child process,
// virtual Ledgers behind the real HID framing). End-to-end tests have their own config.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
