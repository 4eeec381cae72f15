// Starts the MPC host in the desktop app with Electron's utilityProcess.fork (only the Electron shell imports this).
import { utilityProcess } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onceExit, type HostHandle, type HostLauncher } from './launcher';

export interface ElectronLauncherOptions {
  /** By default `mpc-host.js` beside the main bundle (out/main/), which is where the build emits it. */
  entry?: string;
  env?: NodeJS.ProcessEnv;
}

/** The built host entry, beside this bundle. A path join, not `new URL()`, so the bundler leaves it alone. */
export function electronHostEntry(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'mpc-host.js');
}

export function electronHostLauncher(options: ElectronLauncherOptions = {}): HostLauncher {
  return {
    kind: 'electron',
    launch(): HostHandle {
      const child = utilityProcess.fork(options.entry ?? electronHostEntry(), [], {
        serviceName: 'Custos MPC host',
        // stdout is dropped, stderr kept: the host writes its diagnostics there.
        stdio: ['ignore', 'ignore', 'inherit'],
        ...(options.env ? { env: options.env } : {}),
      });
      const exits = onceExit();
      child.once('exit', (code) => exits.fire({ code, signal: null }));
      child.once('error', (type, location) => {
        exits.fire({ code: null, signal: null, error: `the MPC host stopped on a fatal error (${type} at ${location})` });
      });
      return {
        get pid() {
          return child.pid;
        },
        postMessage(message) {
          // Posting to a process that already exited throws in Electron; the exit listener reports the loss.
          try {
            child.postMessage(message);
          } catch {
            /* reported by onExit */
          }
        },
        onMessage(listener) {
          child.on('message', (message: unknown) => listener(message));
        },
        onExit: exits.add,
        kill() {
          child.kill();
        },
      };
    },
  };
}
