// How main starts the MPC host process: one interface, implemented for Node (child_process.fork) and Electron (utilityProcess).

/** How a host process ended. `signal` is null under Electron, which reports only a code. */
export interface HostExit {
  code: number | null;
  signal: string | null;
  /** Set when the process could not be started or died of a fatal error, in plain words. */
  error?: string;
}

/** A running host process, as the client sees it: a message channel and a life. */
export interface HostHandle {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called once, however the process ended (exit, crash, kill, failure to start). */
  onExit(listener: (exit: HostExit) => void): void;
  kill(): void;
}

export interface HostLauncher {
  readonly kind: 'node' | 'electron';
  /** Starts a new host process. Failures to start arrive as an exit, so the caller has one path for both. */
  launch(): HostHandle;
}

/** Wraps exit listeners so each is called at most once even if the platform reports an end twice (error, then exit). */
export function onceExit(): { add(listener: (exit: HostExit) => void): void; fire(exit: HostExit): void } {
  const listeners: ((exit: HostExit) => void)[] = [];
  let ended: HostExit | null = null;
  return {
    add(listener) {
      if (ended) queueMicrotask(() => listener(ended!));
      else listeners.push(listener);
    },
    fire(exit) {
      if (ended) return;
      ended = exit;
      for (const listener of listeners.splice(0)) listener(exit);
    },
  };
}
