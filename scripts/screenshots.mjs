#!/usr/bin/env node
// `npm run screenshots`: refreshes the README's pictures (docs/screenshots) from the end-to-end tests that take them.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npx', ['vitest', 'run', '--config', 'vitest.e2e.config.ts', 'test/e2e/devices.e2e.ts', 'test/e2e/vault.e2e.ts', 'test/e2e/newcomer.e2e.ts', 'test/e2e/policy-form.e2e.ts'], {
  stdio: 'inherit',
  env: { ...process.env, CUSTOS_SCREENSHOTS_DIR: 'docs/screenshots' },
});
process.exit(run.status ?? 1);
