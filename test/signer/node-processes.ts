// Test parts for signer node processes: the CLI run as a child process, and `custos signer start` kept running with
// its JSON event lines and device screens collected.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** One `custos` command to its end: exit code, stdout, stderr. */
export async function custos(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', ...args], { cwd: REPO, timeout: 90_000 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

export interface NodeProcess {
  readonly who: string;
  readonly child: ChildProcess;
  /** Every JSON event line the node wrote, in order. */
  readonly events: Record<string, unknown>[];
  /** Its stderr so far (device screens, log lines). */
  stderr(): string;
  /** How many screens its virtual Ledger showed. */
  screens(): number;
  /** Resolves with the first event (from now or already seen after `from`) that matches. */
  waitFor(match: (e: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
}

/** `custos signer start --node-dir D --virtual --mnemonic M`, running until stopped or killed. */
export function startNode(who: string, nodeDir: string, mnemonic: string): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'signer', 'start', '--node-dir', nodeDir, '--virtual', '--mnemonic', mnemonic], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  let err = '';
  let partial = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        events.push({ event: 'unparsed', line });
      }
    }
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => {
    for (const l of listeners) l();
  });
  return {
    who,
    child,
    events,
    stderr: () => err,
    screens: () => (err.match(/virtual Ledger screen/g) ?? []).length,
    waitFor(match, timeoutMs = 60_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.slice(from).find(match);
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`${who}'s node exited (${child.exitCode ?? child.signalCode}) before the event:\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${who}'s node: no such event within ${timeoutMs} ms; events ${JSON.stringify(events)}\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
