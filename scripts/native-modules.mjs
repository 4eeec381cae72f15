// Native modules (better-sqlite3, node-hid, usb) are built for one runtime at a time: Node (tests, CLI, browser
// host) or Electron (the console). These helpers switch them, so `npm start` and `npm test` can follow each other.
import { spawnSync } from 'node:child_process';

const NATIVE = ['better-sqlite3', 'node-hid', 'usb'];

/** True when the native modules load in this Node. */
export function nativeModulesLoadInNode() {
  const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close(); require('usb')"], {
    encoding: 'utf8',
  });
  return probe.status === 0;
}

/** Rebuilds the native modules for Node if they were last built for Electron. */
export function ensureNativeModulesForNode() {
  if (nativeModulesLoadInNode()) return;
  process.stdout.write('Custos: native modules were built for Electron; rebuilding them for Node…\n');
  const run = spawnSync('npm', ['rebuild', ...NATIVE], { stdio: 'inherit' });
  if (run.status !== 0 || !nativeModulesLoadInNode()) {
    throw new Error('Could not rebuild the native modules for Node. Run: npm rebuild ' + NATIVE.join(' '));
  }
}

/** Rebuilds the native modules for the installed Electron (needs the Electron headers: a network connection). */
export function rebuildNativeModulesForElectron() {
  const run = spawnSync('npx', ['electron-builder', 'install-app-deps'], { stdio: 'inherit' });
  return run.status === 0;
}
