// `custos demo --team`: the demo's team parts: a local nats-server, the vault joined to its team log, each custodian's
// signer node folder and `custos signer start` process (which then make the wallet's key and sign, through the same
// services as the console's buttons, this console coordinating with no share); everything it starts is stopped at the
// end, on failure and on Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import { openNodeKeys, type NodeKeys } from '../signer/node-keys';
import { replicaFolderOf } from '../signer/node';
import { setCoordinatorNode } from '../signer/team-nodes';
import { Store } from '../store';
import { startNatsServer, type NatsServer } from '../team/nats-server';
import { attachFromSettings, joinTeam, type TeamSession } from '../team/team';
import { VaultService } from '../vault';

/** How long a node process may take to start: tsx, its replica's catch-up, its gate pinned on its virtual Ledger. */
const NODE_READY_MS = 120_000;
/** How long a node process has to stop on SIGTERM before it is killed. */
const NODE_STOP_MS = 10_000;

export interface DemoNode {
  readonly custodian: string;
  readonly nodeDir: string;
  readonly keys: NodeKeys;
  child: ChildProcess | null;
  /** Every JSON event line the process wrote. */
  readonly events: Record<string, unknown>[];
  exitCode: number | null;
  exitSignal: string | null;
}

export interface DemoTeamReport {
  server: { url: string; pid: number | null; stopped: boolean };
  nodes: { custodian: string; nodeId: string; partyId: string | null; pid: number | null; signed: string[]; exitCode: number | null; exitSignal: string | null }[];
  coordinator: { user: string; nodeId: string };
}

/** The demo's team: started by `start`, ended (everything it started) by `close`, which is idempotent. */
export class DemoTeam {
  private readonly nodes: DemoNode[] = [];
  private coordinator: { user: string; keys: NodeKeys } | null = null;
  private session: TeamSession | null = null;
  private closing: Promise<void> | null = null;
  private serverPid: number | null;
  private serverStopped = false;
  private readonly listeners = new Set<() => void>();
  private readonly onSignal: (signal: NodeJS.Signals) => void;

  private constructor(
    private readonly server: NatsServer,
    private readonly root: string,
    private readonly say: (line: string) => void,
  ) {
    this.serverPid = server.pid;
    // Ctrl-C (or a SIGTERM) while the demo runs: stop the nodes and the server, then exit as interrupted.
    this.onSignal = (signal) => {
      this.say(`\n${signal}: stopping the signer nodes and nats-server…`);
      void this.close().finally(() => process.exit(130));
    };
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Starts nats-server on 127.0.0.1 (a free port, a temp store); throws NatsServerMissing when it is not installed. */
  static async start(say: (line: string) => void): Promise<DemoTeam> {
    // A Ctrl-C while the server starts is kept until it runs, then the server is stopped (never left behind).
    let interrupted = false;
    const early = () => {
      interrupted = true;
    };
    process.on('SIGINT', early);
    process.on('SIGTERM', early);
    let server: NatsServer;
    try {
      server = await startNatsServer();
    } finally {
      process.off('SIGINT', early);
      process.off('SIGTERM', early);
    }
    if (interrupted) {
      await server.stop();
      say('Interrupted: nats-server stopped.');
      process.exit(130);
    }
    const root = mkdtempSync(path.join(tmpdir(), 'custos-demo-nodes-'));
    say(`nats-server (pid ${server.pid ?? '?'}) on ${server.url}, JetStream store ${server.storeDir}; signer node folders in ${root}`);
    return new DemoTeam(server, root, say);
  }

  get url(): string {
    return this.server.url;
  }

  /** Joins the vault's log to its team stream (creating it), and keeps the console attached: each change is published first. */
  async join(dataDir: string, store: Store, vault: VaultService): Promise<void> {
    const joined = await joinTeam(dataDir, store, vault, { servers: [this.server.url], user: null, password: null, create: true });
    this.session = attachFromSettings(dataDir, vault);
    this.say(`   stream CUSTOS_LOG_${joined.settings.vaultId} on ${this.server.url}: ${joined.pushed.published} records published`);
  }

  /**
   * Each custodian's node folder (`custos signer init`), registered on their own device (`signer register`), its replica
   * joined to the team (`signer join`); the coordinating user's folder (keys only: they sign its session requests), set
   * as this console's node (`team node`). No share exists yet: the nodes make the wallet's key themselves.
   */
  async setUpNodes(o: { dataDir: string; vault: VaultService; custodians: { name: string; deviceId: string }[]; coordinator: { name: string; deviceId: string }; genesis: string }): Promise<void> {
    const folder = (name: string) => path.join(this.root, name.toLowerCase());
    for (const who of [...o.custodians, o.coordinator]) {
      const keys = openNodeKeys(folder(who.name));
      const registered = await o.vault.registerNode({ nodeId: keys.nodeId, signingKey: keys.signingKey, hpkeKey: keys.hpkeKey, deviceId: who.deviceId });
      this.say(`   ${who.name}'s node ${keys.nodeId} registered at record ${registered.seq} (keys ${registered.keyFingerprint})`);
      if (who === o.coordinator) this.coordinator = { user: who.name, keys };
      else this.nodes.push({ custodian: who.name, nodeDir: folder(who.name), keys, child: null, events: [], exitCode: null, exitSignal: null });
    }
    setCoordinatorNode(o.dataDir, o.vault, folder(o.coordinator.name));
    this.say(`   this console coordinates with ${o.coordinator.name}'s node (custos team node --node-dir ${folder(o.coordinator.name)})`);
    const vaultId = o.vault.readState().vaultId;
    for (const node of this.nodes) {
      const replicaDir = replicaFolderOf(node.nodeDir);
      mkdirSync(replicaDir, { recursive: true });
      const replica = Store.open(replicaDir);
      const replicaVault = new VaultService({ store: replica, devices: new DeviceManager() });
      try {
        const joined = await joinTeam(replicaDir, replica, replicaVault, { servers: [this.server.url], user: null, password: null, vaultId, genesisAddress: o.genesis });
        this.say(`   ${node.custodian}'s replica adopted ${joined.adopted.adopted} records`);
      } finally {
        replicaVault.close();
        replica.close();
      }
    }
  }

  /** `custos signer start` for each custodian's node, with their virtual Ledger's phrase; resolves once all are ready. */
  async startNodes(phrases: Record<string, string>): Promise<void> {
    const cli = process.argv[1];
    if (cli === undefined) throw new CustosError('INTERNAL', 'The demo cannot find its own command to start the signer nodes with.');
    for (const node of this.nodes) {
      // The same command as this one (tsx's flags included, an inspector's left out: its port is taken).
      const flags = process.execArgv.filter((a) => !a.startsWith('--inspect'));
      const child = spawn(process.execPath, [...flags, cli, 'signer', 'start', '--node-dir', node.nodeDir, '--virtual', '--mnemonic', phrases[node.custodian]!], { stdio: ['ignore', 'pipe', 'pipe'] });
      node.child = child;
      let partial = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        partial += chunk.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines.filter((l) => l.trim() !== '')) {
          try {
            node.events.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            node.events.push({ event: 'unparsed', line });
          }
        }
        for (const l of this.listeners) l();
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4_000);
      });
      child.once('exit', (code, signal) => {
        node.exitCode = code;
        node.exitSignal = signal;
        if (node.events.every((e) => e.event !== 'ready')) node.events.push({ event: 'exited', stderr });
        for (const l of this.listeners) l();
      });
      this.say(`   ${node.custodian}'s signer node started: custos signer start --node-dir ${node.nodeDir} (pid ${child.pid ?? '?'})`);
    }
    for (const node of this.nodes) {
      const ready = await this.waitFor(node, (e) => e.event === 'ready' || e.event === 'exited', NODE_READY_MS);
      if (ready.event !== 'ready') throw new CustosError('INTERNAL', `${node.custodian}'s signer node exited before it was ready:\n${String(ready.stderr)}`);
      const head = ready.head as { seq: number; fingerprint: string };
      this.say(`   ${node.custodian}'s signer node (pid ${node.child!.pid}) ready: party ${String(ready.partyId)}, its gate pinned on ${node.custodian}'s device, log head record ${head.seq} ${head.fingerprint}`);
    }
  }

  /** Says what each picked node process did for `requestId` (from its own output): it signed with its one share. */
  async signedBy(requestId: string, picked: readonly string[]): Promise<void> {
    for (const node of this.nodes.filter((n) => picked.includes(n.custodian))) {
      const done = await this.waitFor(node, (e) => e.requestId === requestId && (e.event === 'signed' || e.event === 'failed'), 30_000);
      this.say(`   ${node.custodian}'s signer node (pid ${node.child?.pid ?? '?'}) ${done.event === 'signed' ? 'signed' : `failed (${String(done.reason)})`} ${requestId} with its one share (${(done.sessions as string[] | undefined)?.length ?? 0} session(s))`);
    }
  }

  /** Stops every node process (SIGTERM, then SIGKILL), the console's team session, and nats-server; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      process.off('SIGINT', this.onSignal);
      process.off('SIGTERM', this.onSignal);
      await Promise.all(this.nodes.map((n) => stopChild(n)));
      for (const n of this.nodes.filter((x) => x.child !== null)) this.say(`   ${n.custodian}'s signer node (pid ${n.child!.pid}) stopped (${n.exitSignal ?? `exit ${n.exitCode}`})`);
      await this.session?.close().catch(() => undefined);
      await this.server.stop();
      this.serverStopped = true;
      this.say(`   nats-server (pid ${this.serverPid ?? '?'}) stopped, its store removed`);
      rmSync(this.root, { recursive: true, force: true });
    })();
    return this.closing;
  }

  report(): DemoTeamReport {
    return {
      server: { url: this.server.url, pid: this.serverPid, stopped: this.serverStopped },
      nodes: this.nodes.map((n) => ({
        custodian: n.custodian,
        nodeId: n.keys.nodeId,
        partyId: (n.events.find((e) => e.event === 'ready')?.partyId as string | undefined) ?? null,
        pid: n.child?.pid ?? null,
        signed: n.events.filter((e) => e.event === 'signed').map((e) => String(e.requestId)),
        exitCode: n.exitCode,
        exitSignal: n.exitSignal,
      })),
      coordinator: { user: this.coordinator?.user ?? '', nodeId: this.coordinator?.keys.nodeId ?? '' },
    };
  }

  private waitFor(node: DemoNode, match: (e: Record<string, unknown>) => boolean, ms: number, from = 0): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = node.events.slice(from).find(match);
        if (found !== undefined) done(() => resolve(found));
        else if (node.exitCode !== null || node.exitSignal !== null) done(() => reject(new CustosError('INTERNAL', `${node.custodian}'s signer node exited (${node.exitSignal ?? node.exitCode}).`)));
      };
      const timer = setTimeout(() => done(() => reject(new CustosError('INTERNAL', `${node.custodian}'s signer node said nothing expected within ${ms / 1000} s.`))), ms);
      const done = (then: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        then();
      };
      this.listeners.add(check);
      check();
    });
  }
}

/** SIGTERM (the node stops cleanly), then SIGKILL if it has not exited in time. */
async function stopChild(node: DemoNode): Promise<void> {
  const child = node.child;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), NODE_STOP_MS);
  await exited;
  clearTimeout(timer);
}
