// Starts the MPC host under plain Node (tests, the headless CLI, the browser host) with child_process.fork.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CustosError } from '../errors';
import { silentLogger, type Logger } from '../log';
import { MpcHostClient } from './client';
import { signerFolderOf } from './signer-folder';
import { onceExit, type HostHandle, type HostLauncher } from './launcher';

export interface NodeLauncherOptions {
  /** The host entry; by default the built `mpc-host.js` beside this bundle, else `main/mpc-host/entry.ts` from sources. */
  entry?: string;
  /** Node flags for the host, added after the TypeScript loader (a test adds its import guard here). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
}

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * Where the host entry is: from a bundle (out/main/index.js or out/cli/…) the sibling `mpc-host.js`; from sources
 * (main/mpc/launch-node.ts under tsx or vitest) `main/mpc-host/entry.ts`. CUSTOS_MPC_HOST_ENTRY overrides both.
 */
export function resolveHostEntry(env: NodeJS.ProcessEnv = process.env): string {
  const candidates = [
    env.CUSTOS_MPC_HOST_ENTRY,
    join(HERE, 'mpc-host.js'),
    join(HERE, '..', 'main', 'mpc-host.js'),
    join(HERE, '..', 'mpc-host', 'entry.ts'),
  ].filter((p): p is string => typeof p === 'string' && p.length > 0);
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new CustosError(
      'MPC_HOST_UNAVAILABLE',
      'The MPC host program is missing from this installation. Rebuild or reinstall Custos.',
      { looked: candidates.join(', ') },
    );
  }
  return resolve(found);
}

/** The Node flags that let a `.ts` entry run: tsx's loader, by absolute URL so the host's cwd does not matter. */
export function execArgvFor(entry: string): string[] {
  if (!/\.[cm]?ts$/.test(entry)) return [];
  let loader = 'tsx';
  try {
    loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    // Left as the bare name: Node then resolves it from the cwd, which works in the project folder.
  }
  return ['--import', loader];
}

export function nodeHostLauncher(options: NodeLauncherOptions = {}): HostLauncher {
  return {
    kind: 'node',
    launch(): HostHandle {
      const entry = options.entry ? resolve(options.entry) : resolveHostEntry(options.env ?? process.env);
      const child = fork(entry, [], {
        // Set explicitly: fork would otherwise inherit the parent's flags (vitest's, tsx's, an inspector port).
        execArgv: [...execArgvFor(entry), ...(options.execArgv ?? [])],
        env: options.env ?? process.env,
        // 'advanced' carries what structured clone carries (Uint8Array, bigint), like Electron's MessagePort.
        serialization: 'advanced',
        // The host's stdout goes to our stderr: the CLI keeps stdout for its one JSON answer.
        stdio: ['ignore', 2, 'inherit', 'ipc'],
      });
      const exits = onceExit();
      child.once('error', (err) => {
        exits.fire({ code: null, signal: null, error: `the MPC host could not be started: ${err.message}` });
        // A spawned-but-broken child is not left behind.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      });
      child.once('exit', (code, signal) => exits.fire({ code, signal }));
      return {
        get pid() {
          return child.pid;
        },
        postMessage(message) {
          if (!child.connected) return;
          // Errors (channel closing under us) are reported by the exit that follows.
          child.send(message as never, undefined, undefined, () => {});
        },
        onMessage(listener) {
          child.on('message', (message: unknown) => listener(message));
        },
        onExit: exits.add,
        kill() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
      };
    },
  };
}


/** The MPC host client for a data folder under plain Node (CLI, demo, browser host, tests): its signer folder set. */
export function hostClientFor(dataDir: string, options: { log?: Logger; env?: NodeJS.ProcessEnv; ceremonyTimeoutMs?: number } = {}): MpcHostClient {
  return new MpcHostClient({
    launcher: nodeHostLauncher({ env: { ...(options.env ?? process.env), CUSTOS_MPC_HOST_DATA: signerFolderOf(dataDir) } }),
    log: options.log ?? silentLogger,
    ...(options.ceremonyTimeoutMs === undefined ? {} : { ceremonyTimeoutMs: options.ceremonyTimeoutMs }),
  });
}
