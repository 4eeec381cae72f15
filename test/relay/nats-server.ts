// Starts a real nats-server for a test: 127.0.0.1, a random port, a temp store dir (and an optional config), stopped afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

export type NatsServer = { url: string; port: number; dir: string; stop: () => Promise<void> };

/** Starts nats-server and resolves once it listens; `config` is a nats-server config file's text (users, permissions). */
export async function startNatsServer(opts: { config?: string; jetstream?: boolean } = {}): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'custos-nats-'));
  const args = ['-a', '127.0.0.1', '-p', '-1'];
  if (opts.jetstream !== false) args.push('-js', '-sd', join(dir, 'store'));
  if (opts.config !== undefined) {
    const file = join(dir, 'server.conf');
    writeFileSync(file, opts.config);
    args.push('-c', file);
  }
  const child: ChildProcess = spawn(NATS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`nats-server could not be started (${NATS_SERVER}): ${err.message}; install the nats-server package`));
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
