// Crashes in the middle of a transfer's signing through three `custos signer start` processes on a real nats-server:
// the server SIGKILLed once the picked nodes accepted, and the coordinating console (a `custos transfer sign --nodes`
// process) SIGKILLed once they accepted. Nothing is recorded signed, no record is lost, the nodes give the session up
// by its expiry, and a new coordinator then gets the request signed, recorded once.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsRelayTransport } from '../../main/relay';
import { signWithNodes } from '../../main/signer/coordinator';
import { Store } from '../../main/store';
import { freePort, type NatsServer } from '../team/nats-server';
import type { TransferHarness } from '../transfers/helpers';
import { custos, REPO } from './node-processes';
import { CUSTODIANS, signerTeam, type Who } from './signer-team';

const nodes = signerTeam('custos-crash-sign-');
const { root, nodeDir, keys, procs, connection, nodesAtHead } = nodes;
let server: NatsServer;
let h: TransferHarness;
const requests: string[] = [];
/** The server's monitoring endpoint (which subscriptions each connection holds). */
let monitor = '';

beforeAll(async () => {
  const httpPort = await freePort();
  monitor = `http://127.0.0.1:${httpPort}`;
  ({ server, h } = await nodes.open({ config: `http: "127.0.0.1:${httpPort}"` }));
  for (let i = 0; i < 2; i++) {
    const id = (await h.transfers.create({ walletId: h.walletId, destination: h.elsewhere, amount: '400000', feeRate: 2, deviceId: h.device.dave })).id;
    await h.transfers.approve({ requestId: id, deviceId: h.device.erin });
    requests.push(id);
  }
  await nodes.start({ reconnect: true, importShares: true });
}, 240_000);

afterAll(() => nodes.close());


/** The log's records, as stored: every body, in seq order. */
const bodies = (store: Store) => store.records.all().map((r) => r.body);
const signedRecords = (store: Store, requestId: string) => bodies(store).filter((b) => b.includes('"transfer-signed"') && b.includes(`"${requestId}"`));

/** The relay session subjects some connection still listens on (control subjects aside): a session left open leaks one. */
async function sessionSubscriptions(): Promise<string[]> {
  const connz = (await (await fetch(`${monitor}/connz?subs=1`)).json()) as { connections: { subscriptions_list?: string[] }[] };
  return connz.connections.flatMap((c) => c.subscriptions_list ?? []).filter((s) => s.startsWith('custos.relay.') && !s.includes('.control.'));
}

/** The nodes that accepted ceremony `ceremonyId` (each after its own device). */
const picked = (ceremonyId: string): Who[] => CUSTODIANS.filter((w) => procs[w].events.some((e) => e.event === 'accepted' && e.ceremonyId === ceremonyId));

/**
 * A TCP proxy to the nats-server for one console's connections. Once a client subscribes to a relay session's subject
 * (a coordinator that sent its session requests and opens its session), nothing more reaches that client from the
 * server: it hears no acceptance, no commitment, and so can send no signing package. What it sent still goes through.
 */
async function freezingProxy(port: number): Promise<{ url: string; frozen: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = 0;
  const proxy: Server = createServer((client) => {
    const upstream = tcpConnect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let seen = '';
    let stopped = false;
    client.on('data', (chunk: Buffer) => {
      seen = (seen + chunk.toString('latin1')).slice(-4096);
      if (!stopped && /SUB custos\.relay\.[^.\s]+\.(?!control\.)[^.\s]+\.\S+ /.test(seen)) {
        stopped = true;
        frozen++;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!stopped) client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address() as { port: number };
  return {
    url: `nats://127.0.0.1:${address.port}`,
    frozen: () => frozen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    },
  };
}

describe('crashes mid-signing through signer node processes', () => {
  it('the server SIGKILLed once the nodes accepted: the coordinator says the server is unreachable, nothing is signed, no record is lost; restarted on its store, a new signing succeeds once', async () => {
    const r1 = requests[0]!;
    await nodesAtHead();
    const before = bodies(h.store);
    let ceremonyId = '';
    const started = Date.now();
    const failure = await signWithNodes(r1, {
      vault: h.vault,
      transfers: h.transfers,
      keys: keys.dave,
      transport: new NatsRelayTransport(await connection()),
      sessionMs: 10_000,
      resendMs: 200,
      onEvent: async (e) => {
        if (e.type === 'picked') ceremonyId = e.ceremonyId;
        // Both picked nodes asked their devices and accepted: the server dies before the coordinator's session opens (no
        // signing package, so no node sends a signature share).
        if (e.type === 'session') {
          await expect.poll(() => picked(ceremonyId).length, { timeout: 30_000, interval: 20 }).toBe(2);
          await server.kill();
        }
      },
    }).then(() => null, (err: unknown) => err as Error);
    const ms = Date.now() - started;
    console.info(`a signing with the server killed after the nodes accepted aborted after ${ms} ms: ${failure?.message}`);
    expect(failure).toMatchObject({ code: 'TEAM_UNREACHABLE' });
    expect(failure?.message).toMatch(new RegExp(`The signing of ${r1} stopped: the team server is unreachable .*Nothing was recorded as signed`));
    expect(ms).toBeLessThan(10_000);
    await server.restart();
    // The picked nodes give the session up by its expiry; no node ever made a signature share.
    const signers = picked(ceremonyId);
    for (const who of signers) await procs[who].waitFor((e) => e.event === 'failed' && e.ceremonyId === ceremonyId, 60_000);
    // Their sessions let go of their subjects, also one cut off while it subscribed (a client reconnecting would
    // otherwise subscribe it again).
    await expect.poll(sessionSubscriptions, { timeout: 20_000, interval: 200 }).toEqual([]);
    // Every record from before the kill is there, unchanged, and nothing was added: in the console and in every node.
    await nodesAtHead();
    expect(bodies(h.store)).toEqual(before);
    expect(h.vault.readState().transfers.find((t) => t.id === r1)!.signed).toBeNull();
    expect(h.vault.verify().status).toBe('ok');
    // A new signing, with the same nodes, goes through once.
    const view = await signWithNodes(r1, { vault: h.vault, transfers: h.transfers, keys: keys.dave, transport: new NatsRelayTransport(await connection()), sessionMs: 60_000 });
    expect(view.status).toBe('signed');
    await h.vault.teamSync();
    expect(signedRecords(h.store, r1)).toHaveLength(1);
    expect(h.store.teamEntries.cursor()).toBe(h.store.records.count());
  }, 180_000);

  it('the coordinating console SIGKILLed after the nodes accepted: the nodes give the session up by its expiry, nothing is signed; a new coordinator gets the request signed, recorded once', async () => {
    const r2 = requests[1]!;
    await nodesAtHead();
    // A console of its own for the coordinator that will die, reaching the server through the proxy.
    const proxy = await freezingProxy(server.port);
    const coordDir = path.join(root, 'coordinator-console');
    mkdirSync(coordDir);
    try {
      const state = h.vault.readState();
      const genesis = state.users.find((u) => u.id === h.ids.alice)!.identityAddress;
      const joined = await custos('team', 'join', '--server', proxy.url, '--vault', state.vaultId, '--genesis', genesis, '--data-dir', coordDir, '--json');
      expect(joined.code, joined.out + joined.err).toBe(0);
      const before = bodies(h.store);
      const marks = Object.fromEntries(CUSTODIANS.map((w) => [w, procs[w].events.length])) as Record<Who, number>;
      const child = spawn(process.execPath, ['--import', 'tsx', 'main/cli/index.ts', 'transfer', 'sign', r2, '--nodes', '--node-dir', nodeDir('dave'), '--data-dir', coordDir, '--timeout', '8', '--json'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.resume();
      child.stderr.resume();
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      // Two nodes accepted (each after its own device): the coordinator, cut off from then on, is SIGKILLed.
      const accepted = () => CUSTODIANS.filter((w) => procs[w].events.slice(marks[w]).some((e) => e.event === 'accepted' && e.requestId === r2));
      await expect.poll(() => (child.exitCode === null ? accepted().length : -1), { timeout: 60_000, interval: 20 }).toBe(2);
      expect(proxy.frozen()).toBe(1);
      child.kill('SIGKILL');
      expect(await exited).toMatchObject({ signal: 'SIGKILL' });
      const signers = accepted();
      // Each gives the session up by its expiry (8 s from the request): failed, and free for the next.
      const t0 = Date.now();
      for (const who of signers) {
        const failed = await procs[who].waitFor((e) => e.event === 'failed' && e.requestId === r2, 60_000, marks[who]);
        expect(failed.reason).toMatch(/did not answer|expir/);
      }
      console.info(`nodes gave up an abandoned session ${Date.now() - t0} ms after the coordinator was killed (session 8 s)`);
      // And let it go: no connection listens on a session subject any more.
      await expect.poll(sessionSubscriptions, { timeout: 20_000, interval: 200 }).toEqual([]);
      await nodesAtHead();
      expect(bodies(h.store)).toEqual(before);
      expect(h.vault.readState().transfers.find((t) => t.id === r2)!.signed).toBeNull();

      // A new coordinator (the first console, by the CLI) gets it signed, with the same nodes, and recorded once.
      const out = await custos('transfer', 'sign', r2, '--nodes', '--node-dir', nodeDir('dave'), '--data-dir', h.dir, '--timeout', '60', '--json');
      expect(out.code, out.out + out.err).toBe(0);
      expect(JSON.parse(out.out)).toMatchObject({ request: { id: r2, status: 'signed' } });
      for (const who of CUSTODIANS.filter((w) => procs[w].events.slice(marks[w]).some((e) => e.event === 'signed' && e.requestId === r2))) {
        expect(procs[who].events.slice(marks[who]).filter((e) => e.event === 'signed' && e.requestId === r2)).toHaveLength(1);
      }
      await h.vault.teamSync();
      expect(signedRecords(h.store, r2)).toHaveLength(1);
      // The killed console, started again, catches up: it holds the signing once too, and its log verifies.
      const pulled = await custos('team', 'pull', '--data-dir', coordDir, '--json');
      expect(pulled.code, pulled.out + pulled.err).toBe(0);
      const verified = await custos('audit', 'verify', '--full', '--data-dir', coordDir, '--json');
      expect(verified.code, verified.out + verified.err).toBe(0);
      const coord = Store.open(coordDir);
      try {
        expect(signedRecords(coord, r2)).toHaveLength(1);
        expect(bodies(coord)).toEqual(bodies(h.store));
      } finally {
        coord.close();
      }
      // Which nodes the new coordinator picked does not matter; each of the three is still up and ready.
      for (const who of CUSTODIANS) expect(procs[who].child.exitCode).toBeNull();
    } finally {
      await proxy.close();
    }
  }, 180_000);
});
