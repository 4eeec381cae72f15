// The MPC host as a real child process: it answers pings, refuses bad messages without stopping, and exits when told or orphaned.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execArgvFor } from '../../main/mpc/launch-node';
import { bundledHostEntry, isAlive, startRawHost, waitUntil, type RawHost } from './helpers';

// The bundle the app ships, built once: five host starts without tsx's compile each (client.test runs it from sources).
let entry: string;
beforeAll(async () => {
  entry = await bundledHostEntry();
});
const hosts: RawHost[] = [];
const start = () => {
  const host = startRawHost({ entry, env: { ...process.env, CUSTOS_MPC_HOST_QUIET: '1' } });
  hosts.push(host);
  return host;
};
afterEach(() => {
  for (const host of hosts.splice(0)) host.handle.kill();
});

describe('MPC host process', () => {
  it('announces itself ready, then answers a ping with its versions, pid, uptime and echo', async () => {
    const host = start();
    const ready = await host.next((m) => m.type === 'ready');
    expect(ready).toMatchObject({ v: 3, type: 'ready', protocolVersion: 3, pid: host.handle.pid });
    host.handle.postMessage({ v: 3, id: 'p1', type: 'ping', echo: 'hello' });
    const pong = await host.next((m) => m.id === 'p1');
    expect(pong).toMatchObject({ v: 3, id: 'p1', type: 'pong', protocolVersion: 3, hostVersion: '0.1.0', pid: host.handle.pid, echo: 'hello' });
    expect(pong.uptimeMs).toBeGreaterThanOrEqual(0);
  });

  it('refuses another protocol version with a clear error and still answers the next ping', async () => {
    const host = start();
    host.handle.postMessage({ v: 1, id: 'old', type: 'ping' });
    expect(await host.next((m) => m.id === 'old')).toEqual({
      v: 3,
      id: 'old',
      type: 'error',
      code: 'MPC_PROTOCOL',
      message: 'this host speaks protocol 3; got 1',
    });
    expect((await host.ping('after-version')).type).toBe('pong');
  });

  it('answers garbage, unknown types and a missing id with errors, and stays usable', async () => {
    const host = start();
    host.handle.postMessage('not even an object');
    expect(await host.next((m) => m.type === 'error' && m.id === null)).toMatchObject({ code: 'MPC_PROTOCOL', message: expect.stringMatching(/expected a message object/) });
    host.handle.postMessage({ v: 3, id: 'u1', type: 'steal-keys' });
    expect(await host.next((m) => m.id === 'u1')).toMatchObject({ type: 'error', code: 'MPC_PROTOCOL', message: expect.stringMatching(/unknown message type "steal-keys"/) });
    host.handle.postMessage({ v: 3, type: 'ping' });
    expect(await host.next((m) => m.type === 'error' && m.id === null)).toMatchObject({ message: expect.stringMatching(/has no id/) });
    host.handle.postMessage({ v: 3, id: 'b1', type: 'ping', echo: { nested: true } });
    expect(await host.next((m) => m.id === 'b1')).toMatchObject({ type: 'error', message: expect.stringMatching(/^bad "ping" message: echo/) });
    expect((await host.ping('still-here')).type).toBe('pong');
  });

  it('survives any random value (it answers or ignores it) and still pongs after each', async () => {
    const host = start();
    await host.next((m) => m.type === 'ready');
    let n = 0;
    // Envelope-shaped values reach deeper checks than plain JSON would; shutdown is left out so the host stays.
    const shaped = fc.record(
      {
        v: fc.oneof(fc.constant(3), fc.jsonValue()),
        id: fc.oneof(fc.string({ maxLength: 120 }), fc.jsonValue()),
        type: fc.oneof(fc.constantFrom('ping', 'pong', 'error', 'ready', '', 'dkg.run', 'sign.run', 'reshare.run', 'progress'), fc.string()).filter((t) => t !== 'shutdown'),
        echo: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), shaped), async (value) => {
        host.handle.postMessage(value);
        const id = `fuzz-${++n}`;
        expect((await host.ping(id)).type).toBe('pong');
      }),
      { numRuns: 150 },
    );
    expect(host.handle.pid && isAlive(host.handle.pid)).toBe(true);
  });

  it('exits with code 0 on shutdown', async () => {
    const host = start();
    await host.next((m) => m.type === 'ready');
    host.handle.postMessage({ v: 3, id: 's1', type: 'shutdown' });
    expect(await host.exited).toEqual({ code: 0, signal: null });
  });

  it('exits when its parent process dies (even by SIGKILL)', async () => {
    const parentScript = fileURLToPath(new URL('./fixtures/parent-that-dies.ts', import.meta.url));
    const parent = spawn(process.execPath, [...execArgvFor(parentScript), parentScript], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    parent.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await waitUntil(() => /host-pid \d+/.test(out), 20_000);
    const hostPid = Number(/host-pid (\d+)/.exec(out)![1]);
    expect(isAlive(hostPid)).toBe(true);
    parent.kill('SIGKILL');
    await waitUntil(() => !isAlive(hostPid), 10_000);
  });
});
