// Test helpers for the MPC host: a real host process driven by raw messages, with replies collected for assertions.
import type { HostExit, HostHandle, HostLauncher } from '../../main/mpc/launcher';
import { nodeHostLauncher, type NodeLauncherOptions } from '../../main/mpc/launch-node';

export const GUARD = new URL('./fixtures/forbid-electron.mjs', import.meta.url).href;

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
      handle.postMessage({ v: 1, id, type: 'ping' });
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
