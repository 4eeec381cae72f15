// MpcHostClient against a real host process: health, timeouts, crashes, restarts and closing.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MpcHostClient } from '../../main/mpc/client';
import type { HostLauncher } from '../../main/mpc/launcher';
import { nodeHostLauncher } from '../../main/mpc/launch-node';
import { CustosError } from '../../main/errors';
import { bundledHostEntry, holdingLauncher, isAlive, waitUntil } from './helpers';

const clients: MpcHostClient[] = [];
// The first test starts the host from sources (the default entry, under tsx); the others use the bundle the app
// ships, built once, so that a dozen host starts do not each pay tsx's compile.
let bundled: HostLauncher;
beforeAll(async () => {
  bundled = nodeHostLauncher({ entry: await bundledHostEntry() });
});
const client = (launcher: HostLauncher = bundled, requestTimeoutMs?: number) => {
  const c = new MpcHostClient({ launcher, ...(requestTimeoutMs ? { requestTimeoutMs } : {}) });
  clients.push(c);
  return c;
};
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

const rejection = async (promise: Promise<unknown>): Promise<CustosError> => {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CustosError);
    return err as CustosError;
  }
  throw new Error('expected a rejection');
};

describe('MpcHostClient', () => {
  it('starts the host on first use and reports its health', async () => {
    const c = client(nodeHostLauncher());
    const health = await c.ping();
    expect(health).toMatchObject({ protocolVersion: 3, hostVersion: '0.1.0', pid: c.pid });
    expect(health.pid).not.toBe(process.pid);
    expect(health.uptimeMs).toBeGreaterThanOrEqual(0);
    expect(health.roundTripMs).toBeGreaterThan(0);
    // The same host answers again: no relaunch per request.
    expect((await c.ping()).pid).toBe(health.pid);
  });

  it('correlates concurrent requests by id', async () => {
    const c = client();
    const all = await Promise.all(Array.from({ length: 20 }, () => c.ping()));
    expect(new Set(all.map((h) => h.pid)).size).toBe(1);
  });

  it('times out a request the host does not answer with MPC_HOST_UNAVAILABLE', async () => {
    const launcher = holdingLauncher(bundled);
    const c = client(launcher, 300);
    await c.start();
    launcher.hold = true;
    const err = await rejection(c.ping());
    expect(err.code).toBe('MPC_HOST_UNAVAILABLE');
    expect(err.message).toMatch(/did not answer "ping" within/);
    launcher.hold = false;
    expect((await c.ping()).protocolVersion).toBe(3);
  });

  it('rejects a pending request when the host is killed, then starts a new host on request', async () => {
    const launcher = holdingLauncher(bundled);
    const c = client(launcher);
    const first = await c.ping();
    launcher.hold = true; // the ping below stays pending: the host never sees it
    const pending = c.ping();
    process.kill(first.pid, 'SIGKILL');
    const err = await rejection(pending);
    expect(err.code).toBe('MPC_HOST_UNAVAILABLE');
    expect(err.message).toMatch(/stopped by signal SIGKILL before it answered/);
    expect(err.details).toMatchObject({ signal: 'SIGKILL' });
    launcher.hold = false;
    const second = await c.ping();
    expect(second.pid).not.toBe(first.pid);
  });

  it('restarts the host on demand', async () => {
    const c = client();
    const first = await c.ping();
    await c.restart();
    const second = await c.ping();
    expect(second.pid).not.toBe(first.pid);
    expect(isAlive(first.pid)).toBe(false);
  });

  it('closes the host cleanly and refuses requests afterwards', async () => {
    const c = client();
    const { pid } = await c.ping();
    await c.close();
    await waitUntil(() => !isAlive(pid));
    expect(c.pid).toBeNull();
    expect((await rejection(c.ping())).code).toBe('MPC_HOST_UNAVAILABLE');
  });

  it('turns a launcher that cannot start into MPC_HOST_UNAVAILABLE', async () => {
    const c = client(nodeHostLauncher({ entry: '/nonexistent/custos-host.js' }), 1000);
    const err = await rejection(c.ping());
    expect(err.code).toBe('MPC_HOST_UNAVAILABLE');
  });

  it('rejects a reply that does not validate with MPC_PROTOCOL', async () => {
    // A fake host that answers every request with a pong missing its fields.
    const fake: HostLauncher = {
      kind: 'node',
      launch() {
        let listener: (m: unknown) => void = () => {};
        queueMicrotask(() => listener({ v: 3, id: 'host-ready', type: 'ready', protocolVersion: 3, hostVersion: 'x', pid: 1 }));
        return {
          pid: 1,
          postMessage: (m) => {
            const id = (m as { id: string }).id;
            queueMicrotask(() => listener({ v: 3, id, type: 'pong' }));
          },
          onMessage: (l) => (listener = l),
          onExit: () => {},
          kill: () => {},
        };
      },
    };
    const c = new MpcHostClient({ launcher: fake });
    const err = await rejection(c.ping());
    expect(err.code).toBe('MPC_PROTOCOL');
    expect(err.message).toMatch(/malformed message: bad "pong" message/);
  });
});
