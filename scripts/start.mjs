#!/usr/bin/env node
// `npm start`: builds and launches the Electron console, or says clearly why it can't and what to use instead.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { rebuildNativeModulesForElectron } from './native-modules.mjs';

const require = createRequire(import.meta.url);
const electronDir = path.dirname(require.resolve('electron/package.json'));

function electronBinary() {
  const pathFile = path.join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = path.join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

function explainAndExit(reason) {
  process.stderr.write(`
Custos: the Electron console cannot start on this machine: ${reason}

  npm run start:browser   the console UI in a local browser (a development tool: virtual and USB Ledgers,
                          served on 127.0.0.1 with a one-time token in the address)
  npm run demo            the whole custody flow, headless (comes with the transfers issue)
  npm run custos -- --help  the headless CLI

`);
  process.exit(1);
}

if (!electronBinary()) {
  // Electron downloads its binary on first use; where only package registries are reachable that fails.
  process.stdout.write('Custos: fetching the Electron binary (first start only)…\n');
  const fetched = spawnSync(process.execPath, [path.join(electronDir, 'install.js')], { stdio: 'inherit', timeout: 300_000 });
  if (fetched.status !== 0 || !electronBinary()) {
    explainAndExit('the Electron binary could not be downloaded (is this machine offline, or only allowed to reach package registries?).');
  }
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  explainAndExit('there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set).');
}

// The console runs on Electron's own Node: its native modules must be built for it (npm test switches them back).
if (!rebuildNativeModulesForElectron()) {
  explainAndExit('the native modules (better-sqlite3, node-hid) could not be rebuilt for Electron (the Electron headers are downloaded for that).');
}

const child = spawn('npx', ['electron-vite', 'preview'], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
