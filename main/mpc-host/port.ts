// The MPC host's one channel to main, whether it runs as Electron's utilityProcess or under Node's child_process.fork.
// Nothing here imports `electron`: the utility process's parentPort is reached through `process` at run time.

/** What the host needs of its parent channel. */
export interface HostPort {
  readonly kind: 'electron-utility' | 'node-fork';
  post(message: unknown): void;
  onMessage(listener: (data: unknown) => void): void;
  /** Called once when main is gone (channel closed, or the parent process died). */
  onParentGone(listener: () => void): void;
}

/** Electron's `process.parentPort`, as much of it as the host uses (typed here so no Electron types are needed). */
interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown;
  postMessage(message: unknown): void;
}

/** The slice of `process` the detection reads; a parameter so a test can hand in a fake. */
export type HostProcess = Pick<NodeJS.Process, 'on' | 'once' | 'send' | 'connected' | 'ppid' | 'kill'> & {
  parentPort?: ParentPortLike;
};

const PARENT_WATCH_MS = 2000;

/** Finds the channel the host was started with, or null when it was started by hand (no parent to talk to). */
export function detectHostPort(proc: HostProcess = process as HostProcess): HostPort | null {
  const parentPort = proc.parentPort;
  if (parentPort && typeof parentPort.postMessage === 'function') return electronPort(proc, parentPort);
  if (typeof proc.send === 'function') return nodeForkPort(proc);
  return null;
}

function electronPort(proc: HostProcess, parentPort: ParentPortLike): HostPort {
  return {
    kind: 'electron-utility',
    post: (message) => parentPort.postMessage(message),
    onMessage: (listener) => {
      parentPort.on('message', (event) => listener(event?.data));
    },
    onParentGone: (listener) => {
      // parentPort has no close event. Chromium ends its utility processes with the browser, but should that
      // fail (a crash of main), this watch still stops a host whose parent pid no longer exists.
      const parent = proc.ppid;
      const timer = setInterval(() => {
        if (!processExists(proc, parent)) {
          clearInterval(timer);
          listener();
        }
      }, PARENT_WATCH_MS);
      timer.unref();
    },
  };
}

function nodeForkPort(proc: HostProcess): HostPort {
  const send = proc.send!.bind(proc);
  return {
    kind: 'node-fork',
    post: (message) => {
      // After a disconnect there is nobody to answer; the callback swallows the error instead of crashing.
      if (proc.connected) send(message, undefined, undefined, () => {});
    },
    onMessage: (listener) => {
      proc.on('message', (data: unknown) => listener(data));
    },
    // The IPC pipe closes when the parent exits for any reason, SIGKILL included.
    onParentGone: (listener) => {
      proc.once('disconnect', listener);
    },
  };
}

function processExists(proc: HostProcess, pid: number): boolean {
  try {
    proc.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else (pid reuse); only ESRCH means it is gone.
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
