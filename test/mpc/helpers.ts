// Test helpers for the MPC host: a real host process driven by raw messages, with replies collected for assertions.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { HostExit, HostHandle, HostLauncher } from '../../main/mpc/launcher';
import { nodeHostLauncher, type NodeLauncherOptions } from '../../main/mpc/launch-node';

export const GUARD = new URL('./fixtures/forbid-electron.mjs', import.meta.url).href;

/**
 * Packages a host bundle must leave external, as electron-vite does for every dependency: tiny-secp256k1 reads its .wasm
 * beside its own module (import.meta.url), so inlined into a bundle elsewhere it would look for the file in the wrong folder.
 */
export const HOST_BUNDLE_EXTERNALS = ['tiny-secp256k1'];

/** Gives a bundle in a temp folder the project's node_modules beside it, where the app finds them in its asar. */
export function linkNodeModules(dir: string): void {
  symlinkSync(fileURLToPath(new URL('../../node_modules', import.meta.url)), join(dir, 'node_modules'), 'dir');
}

export interface RawHost {
  handle: HostHandle;
  exited: Promise<HostExit>;
  /** Resolves with the first message (already received or to come) that matches; rejects after timeoutMs. */
  next(match: (message: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends a ping with this id and waits for its pong. */
  ping(id: string): Promise<Record<string, unknown>>;
}

export function startRawHost(options: NodeLauncherOptions = {}): RawHost {
  const handle = nodeHostLauncher(options).launch();
  const received: Record<string, unknown>[] = [];
  const waiters: { match: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  handle.onMessage((message) => {
    const m = message as Record<string, unknown>;
    const i = waiters.findIndex((w) => w.match(m));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
    else received.push(m);
  });
  const exited = new Promise<HostExit>((resolve) => handle.onExit(resolve));
  const next: RawHost['next'] = (match, timeoutMs = 15_000) => {
    const i = received.findIndex(match);
    if (i >= 0) return Promise.resolve(received.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no matching message from the host')), timeoutMs);
      waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  };
  return {
    handle,
    exited,
    next,
    ping(id) {
      handle.postMessage({ v: 3, id, type: 'ping' });
      return next((m) => m.id === id);
    },
  };
}

/** Wraps a launcher so a test can swallow what main sends (a host that never answers, deterministically). */
export function holdingLauncher(inner: HostLauncher): HostLauncher & { hold: boolean; last: HostHandle | null } {
  const wrapper = {
    kind: inner.kind,
    hold: false,
    last: null as HostHandle | null,
    launch(): HostHandle {
      const handle = inner.launch();
      wrapper.last = handle;
      return {
        get pid() {
          return handle.pid;
        },
        postMessage: (message: unknown) => {
          if (!wrapper.hold) handle.postMessage(message);
        },
        onMessage: (l: (m: unknown) => void) => handle.onMessage(l),
        onExit: (l: (e: HostExit) => void) => handle.onExit(l),
        kill: () => handle.kill(),
      };
    },
  };
  return wrapper;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

let bundled: Promise<string> | null = null;

/**
 * The host entry bundled once per test file, as the app ships it (out/main/mpc-host.js), so that tests which start many
 * hosts (one per crash) do not pay tsx's compile on each start. Same sources, same child_process.fork.
 */
export function bundledHostEntry(): Promise<string> {
  bundled ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custos-host-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, 'mpc-host.js');
    const common = { bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', external: HOST_BUNDLE_EXTERNALS } as const;
    await build({ ...common, entryPoints: [fileURLToPath(new URL('../../main/mpc-host/entry.ts', import.meta.url))], outfile });
    // The DKG pool's worker script beside the host, where the app's build puts it (out/main/dkg-pool.js).
    await build({ ...common, entryPoints: [fileURLToPath(new URL('../../main/mpc-host/dkg-pool.ts', import.meta.url))], outfile: join(dir, 'dkg-pool.js') });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    linkNodeModules(dir);
    return outfile;
  })();
  return bundled;
}

/**
 * Wraps a launcher so a test can crash the host at a chosen ceremony step: when the host reports that step, it is
 * killed with SIGKILL, and anything it managed to send after that report is dropped, as it would never have been sent
 * had the crash come at that moment. (Without the drop, a fast last step could still deliver its reply and race the kill.)
 */
export function crashingLauncher(inner: HostLauncher): HostLauncher & { killAt: string | null; kills: number } {
  const wrapper = {
    kind: inner.kind,
    killAt: null as string | null,
    kills: 0,
    launch(): HostHandle {
      const handle = inner.launch();
      let dead = false;
      return {
        get pid() {
          return handle.pid;
        },
        postMessage: (message: unknown) => handle.postMessage(message),
        onMessage: (listener: (m: unknown) => void) =>
          handle.onMessage((message) => {
            if (dead) return;
            const m = message as { type?: unknown; step?: unknown };
            const crash = wrapper.killAt !== null && m.type === 'progress' && m.step === wrapper.killAt;
            if (crash) {
              dead = true;
              wrapper.kills++;
              process.kill(handle.pid as number, 'SIGKILL');
            }
            listener(message);
          }),
        onExit: (l: (e: HostExit) => void) => handle.onExit(l),
        kill: () => handle.kill(),
      };
    },
  };
  return wrapper;
}
