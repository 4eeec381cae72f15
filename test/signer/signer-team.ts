// Test part for a vault in a team with three signer node processes: a nats-server, the console's harness joined to the
// team, Alice's, Bob's and Carol's nodes joined and running, Dave's node keys to coordinate; waits on the console and
// the nodes catching up; and the teardown of it all.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { partyIdFor } from '../../crypto/frost/party-id';
import { NatsRelayTransport } from '../../main/relay';
import { pingNodes } from '../../main/signer/coordinator';
import { openNodeKeys, type NodeKeys } from '../../main/signer/node-keys';
import { attachFromSettings, joinTeam, type TeamSession } from '../../main/team/team';
import { startNatsServer, type NatsServer, type NatsServerOptions } from '../team/nats-server';
import { transferHarness, type TransferHarness } from '../transfers/helpers';
import { PHRASES } from '../vault/phrases';
import { custos, startNode, type NodeProcess } from './node-processes';

export type Who = 'alice' | 'bob' | 'carol';
export const CUSTODIANS: Who[] = ['alice', 'bob', 'carol'];

export interface SignerTeam {
  /** The temp folder every node folder is in (removed by `close`). */
  readonly root: string;
  nodeDir(who: string): string;
  /** Each custodian's node keys, and Dave's: he coordinates, his node keys sign the session requests. */
  readonly keys: Record<Who | 'dave', NodeKeys>;
  /** The running node processes; a test that restarts one puts the new process here, so `close` kills it. */
  readonly procs: Record<Who, NodeProcess>;
  /** Starts the nats-server and the console's harness (the file then adds its own records before `start`). */
  open(server?: NatsServerOptions): Promise<{ server: NatsServer; h: TransferHarness }>;
  /**
   * Registers the four node keys, joins the console to the team, joins each custodian's node to the team log (and with
   * `importShares` copies its sealed share from the console), starts the three nodes and waits until each is ready.
   */
  start(options?: { reconnect?: boolean; importShares?: boolean }): Promise<void>;
  /** A connection of the test's own (closed by `close`); no reconnect, as the CLI's coordinator has none. */
  connection(): Promise<NatsConnection>;
  /** The console caught up with the team log: after a server restart its connection may still be reconnecting. */
  caughtUp(): Promise<void>;
  /** Every node answers a ping, ready at the console's head: it holds the very records the console holds. */
  nodesAtHead(): Promise<void>;
  /** Kills the nodes, closes the connections, the team session, the harness and the server, removes the folders. */
  close(): Promise<void>;
}

/** A signer team whose folders are in a new temp folder named `prefix`…; nothing runs until `open` and `start`. */
export function signerTeam(prefix: string): SignerTeam {
  const root = mkdtempSync(path.join(tmpdir(), prefix));
  const nodeDir = (who: string) => path.join(root, who);
  const keys = {} as Record<Who | 'dave', NodeKeys>;
  const procs = {} as Record<Who, NodeProcess>;
  const connections: NatsConnection[] = [];
  let server: NatsServer | undefined;
  let h: TransferHarness | undefined;
  let team: TeamSession | null = null;
  const opened = () => {
    if (server === undefined || h === undefined) throw new Error('signerTeam: open() first');
    return { server, h };
  };
  const connection = async () => {
    const nc = await connect({ servers: opened().server.url, reconnect: false });
    connections.push(nc);
    return nc;
  };
  const caughtUp = async () => {
    const { h } = opened();
    await expect.poll(() => h.vault.teamSync().then(() => true, () => false), { timeout: 60_000, interval: 500 }).toBe(true);
  };
  return {
    root,
    nodeDir,
    keys,
    procs,
    async open(options) {
      server = await startNatsServer(options);
      h = await transferHarness();
      return { server, h };
    },
    async start({ reconnect, importShares = false } = {}) {
      const { server, h } = opened();
      for (const who of [...CUSTODIANS, 'dave'] as const) {
        keys[who] = openNodeKeys(nodeDir(who));
        await h.vault.registerNode({ nodeId: keys[who].nodeId, signingKey: keys[who].signingKey, hpkeKey: keys[who].hpkeKey, deviceId: h.device[who] });
      }
      await joinTeam(h.dir, h.store, h.vault, { servers: [server.url], user: null, password: null, create: true });
      team = attachFromSettings(h.dir, h.vault, { reconnect });
      const state = h.vault.readState();
      const genesis = state.users.find((u) => u.id === h.ids.alice)!.identityAddress;
      await Promise.all(
        CUSTODIANS.map(async (who) => {
          const joined = await custos('signer', 'join', '--node-dir', nodeDir(who), '--server', server.url, '--vault', state.vaultId, '--genesis', genesis, '--json');
          expect(joined.code, joined.out + joined.err).toBe(0);
          if (!importShares) return;
          // The custodian's sealed share of the harness's wallet, from the console that ran its DKG.
          const imported = await custos('signer', 'import-share', '--node-dir', nodeDir(who), '--data-dir', h.dir, '--json');
          expect(imported.code, imported.out + imported.err).toBe(0);
          expect(JSON.parse(imported.out).copied).toEqual([{ walletId: h.walletId, keyVersion: 1, partyId: partyIdFor(h.ids[who]) }]);
        }),
      );
      for (const who of CUSTODIANS) procs[who] = startNode(who, nodeDir(who), PHRASES[who]);
      await Promise.all(CUSTODIANS.map((who) => procs[who].waitFor((e) => e.event === 'ready', 90_000)));
    },
    connection,
    caughtUp,
    async nodesAtHead() {
      const { h } = opened();
      await caughtUp();
      const transport = new NatsRelayTransport(await connection());
      await expect
        .poll(async () => (await pingNodes({ vault: h.vault, keys: keys.dave, transport, pingMs: 3_000 })).filter((r) => r.name !== 'Dave').map((r) => r.problem), { timeout: 60_000, interval: 500 })
        .toEqual([null, null, null]);
    },
    async close() {
      for (const p of Object.values(procs)) await p.kill();
      for (const nc of connections) await nc.close().catch(() => undefined);
      await team?.close();
      await h?.close();
      await server?.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
