// A local nats-server for the demo's team mode and the tests (team log and relay): 127.0.0.1, a free port, a temp
// JetStream store, optional users with permissions, optional TLS; SIGKILL and restart on the same port and store.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CustosError } from '../errors';
import { consolePermissions, teamAdminPermissions, type NatsPermissions } from '../relay/permissions';
import { teamServerConfig, type TeamServerTls } from './server-config';

export const NATS_SERVER = process.env.NATS_SERVER ?? 'nats-server';

export interface NatsUser {
  readonly user: string;
  readonly password: string;
}

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** The JetStream store (kept across restarts). */
  readonly storeDir: string;
  /** The running server's process id (null while it is down). */
  readonly pid: number | null;
  /** SIGKILL: no flush, no goodbye (what a crashed server looks like). */
  kill(): Promise<void>;
  /** Starts again on the same port and store. */
  restart(): Promise<void>;
  /** Stops the server and removes its store. */
  stop(): Promise<void>;
}

export interface NatsServerOptions {
  /**
   * Users and what they may do: `admin` may create and inspect streams; each console user may publish to the vault's
   * log subject and use only the JetStream API calls a reader needs. Without users the server takes anyone.
   */
  readonly vaultId?: string;
  readonly admin?: NatsUser;
  readonly consoles?: readonly NatsUser[];
  /** More users of the account, each with its permission set (main/relay/permissions.ts: a coordinating console, a node). */
  readonly users?: readonly (NatsUser & { readonly permissions: NatsPermissions })[];
  /** More config text (e.g. the relay's per-party `authorization` block, main/relay/permissions.ts); used alone, without users. */
  readonly config?: string;
  /** JetStream on (default) or off (the relay needs core subjects only). */
  readonly jetstream?: boolean;
  /** TLS only (the server's URL is then tls://): its certificate and key, and with `verify` the CA its clients' certificates must come from. */
  readonly tls?: NatsServerTls;
}

export type NatsServerTls = TeamServerTls;

/** A free TCP port on 127.0.0.1 (the OS picks; released before nats-server binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The test server's config: 127.0.0.1 only, and the users with the permission sets of main/relay/permissions.ts: `admin`
 * may create and inspect streams; a console may append to and read its vault's log, never change or delete a stream.
 */
export function natsConfig(port: number, storeDir: string, options: NatsServerOptions): string {
  const users = [
    ...(options.admin === undefined ? [] : [{ ...options.admin, permissions: teamAdminPermissions() }]),
    ...(options.consoles ?? []).map((c) => ({ ...c, permissions: consolePermissions(options.vaultId ?? '*') })),
    ...(options.users ?? []),
  ];
  return teamServerConfig({
    listen: `127.0.0.1:${port}`,
    storeDir: options.jetstream === false ? null : storeDir,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    users,
    ...(options.config === undefined ? {} : { extra: options.config }),
  });
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const root = mkdtempSync(path.join(tmpdir(), 'custos-nats-'));
  const storeDir = path.join(root, 'store');
  const configFile = path.join(root, 'nats.conf');
  const port = await freePort();
  writeFileSync(configFile, natsConfig(port, storeDir, options));
  let child: ChildProcess | null = null;
  const launch = () => {
    child = spawn(NATS_SERVER, ['-c', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    return ready(child);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const c = child as ChildProcess | null;
    child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(signal);
    await exited;
  };
  try {
    await launch();
  } catch (err) {
    await halt('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `${options.tls === undefined ? 'nats' : 'tls'}://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      const c = child as ChildProcess | null;
      return c?.pid ?? null;
    },
    kill: () => halt('SIGKILL'),
    restart: async () => {
      await halt('SIGKILL');
      await launch();
    },
    stop: async () => {
      await halt('SIGTERM');
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** `nats-server` is not on this machine (or not at $NATS_SERVER). */
export class NatsServerMissing extends CustosError {
  constructor() {
    super('BAD_INPUT', `nats-server was not found (${NATS_SERVER}): install nats-server (Debian: apt-get install nats-server), or set NATS_SERVER to its path.`);
  }
}

/** Resolves when the server logs that it is ready (JetStream included), rejects when it exits first. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Server is ready/.test(output)) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stderr?.resume();
        child.stdout?.resume();
        resolve();
      }
    };
    const fail = (err: Error) => {
      clearTimeout(timer);
      reject(err);
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('error', (err) => {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      fail(missing ? new NatsServerMissing() : new Error(`nats-server could not be started (${NATS_SERVER}): ${err.message}`));
    });
    child.once('exit', (code) => fail(new Error(`nats-server exited (${code}) before it was ready:\n${output}`)));
  });
}
