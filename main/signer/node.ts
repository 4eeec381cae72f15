// A signer node at work (`custos signer start`): its replica follows the team log, its gate is pinned by its own
// custodian's device and kept synced from the replica, and it answers control messages on the relay: a status ping, and
// session requests (a transfer's signing, a wallet's DKG, refresh or reshare, and the key's attestation), each checked
// by its own gate or against its own ceremony before its own device is asked anything.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { hostAnchorStatement, keyAttestationStatement, shareUseStatement, type GenesisRecord, type GovernanceState } from '../../crypto/governance';
import { transportDirectory } from './directory';
import type { DeviceManager } from '../devices/manager';
import { CustosError } from '../errors';
import type { Logger } from '../log';
import { DkgPool } from '../mpc-host/dkg-pool';
import { GateRefusal, SignerGate, type RunParty, type UnsealingParty } from '../mpc-host/signer-gate';
import { NatsRelayTransport, RelaySession, type RelaySubscription } from '../relay';
import { Store } from '../store';
import { headOf } from '../store/log-head';
import { connectTeam, type NatsConnection } from '../team/connection';
import { readCredential, readTeamSettings, type TeamSettings } from '../team/settings';
import { followTeam } from '../team/team';
import { VaultService } from '../vault/service';
import { unsealSecret } from '../wallets/device-secrets';
import { controlDirectory, controlRoute, coordinatorAddress, openControl, sendControl, type ControlMessage, type Head } from './control';
import { attestable, publicKeyOf, type NodeDkg } from './dkg-result';
import { keepNodeShare, keptShareDigest, nodeOwner, nodeSealedShare } from './node-share';
import { gateFolderOf, NODE_KEYS_FILE, openNodeKeys, type NodeKeys } from './node-keys';

/** The replica's folder inside the node folder: a console data folder joined to the team. */
export const REPLICA_FOLDER = 'replica';
export const replicaFolderOf = (nodeDir: string): string => path.join(nodeDir, REPLICA_FOLDER);

/** A session request may not ask a node to wait longer than this (a request is answered, or dropped, within it). */
export const MAX_SESSION_MS = 15 * 60_000;

/** How long a node's report of a failed session stays good to read (ms): its session's own expiry may have passed. */
const REPORT_MS = 60_000;

/** What the node says as it works: one JSON object per line (custos signer start writes them to stdout). */
export type NodeEvent =
  | { event: 'ready'; nodeId: string; partyId: string; custodian: string; head: Head }
  | { event: 'refused'; from: string | null; ceremonyId: string | null; reason: string }
  | { event: 'accepted'; ceremonyId: string; requestId: string; signers: string[] }
  | { event: 'accepted-dkg'; ceremonyId: string; walletId: string; parties: string[] }
  | { event: 'accepted-reshare'; ceremonyId: string; walletId: string; ceremony: 'refresh' | 'reshare'; dealer: boolean; receiver: boolean }
  | { event: 'keygen'; ceremonyId: string; walletId: string; outputKey: string; shareDigest: string }
  | { event: 'reshared'; ceremonyId: string; walletId: string; ceremony: 'refresh' | 'reshare'; keyVersion: number; outputKey: string; shareDigest: string | null }
  | { event: 'attested'; ceremonyId: string; walletId: string; outputKey: string }
  | { event: 'signed'; ceremonyId: string; requestId: string; sessions: string[] }
  | { event: 'failed'; ceremonyId: string; requestId?: string; walletId?: string; reason: string }
  | { event: 'stopped' };

export interface SignerNodeOptions {
  nodeDir: string;
  /** The custodian's own device (a USB Ledger, or a virtual one in tests), and the path of their identity. */
  devices: DeviceManager;
  deviceId: string;
  identityPath: string;
  log: Logger;
  onEvent?: (e: NodeEvent) => void;
  /** Resends within a session (ms); the relay's default otherwise. */
  resendMs?: number;
}

export class SignerNode {
  private readonly seen = new Set<string>();
  /** The key ceremonies this node got a new share in, by ceremony id, until its custodian attests the key (kept in memory: a restart forgets them). */
  private readonly dkgs = new Map<string, NodeDkg>();
  private subscription: RelaySubscription | null = null;
  private stopping: Promise<void> | null = null;
  private gateSync: Promise<void> = Promise.resolve();

  private constructor(
    private readonly o: SignerNodeOptions,
    private readonly keys: NodeKeys,
    private readonly settings: TeamSettings,
    private readonly store: Store,
    private readonly vault: VaultService,
    private readonly gate: SignerGate,
    private readonly pool: DkgPool,
    private readonly follower: { close(): Promise<void> },
    private readonly nc: NatsConnection,
    private readonly partyId: string,
  ) {}

  /** Opens the node folder, catches its replica up, pins its gate (on its custodian's device, once), and listens. */
  static async start(o: SignerNodeOptions): Promise<SignerNode> {
    if (!existsSync(path.join(o.nodeDir, NODE_KEYS_FILE))) throw new CustosError('BAD_INPUT', `${o.nodeDir} is not a signer node folder: run custos signer init --node-dir ${o.nodeDir} first.`);
    const keys = openNodeKeys(o.nodeDir);
    const replicaDir = replicaFolderOf(o.nodeDir);
    const settings = existsSync(replicaDir) ? readTeamSettings(replicaDir) : null;
    if (settings === null) throw new CustosError('BAD_INPUT', `The node's replica (${replicaDir}) is not joined to a team: run custos signer join --node-dir ${o.nodeDir} --server URL --vault ID --genesis ADDRESS first.`);
    const store = Store.open(replicaDir);
    const vault = new VaultService({ store, devices: o.devices, log: o.log });
    const pool = new DkgPool({ threads: 1 });
    const gate = new SignerGate({ dataDir: gateFolderOf(o.nodeDir), now: () => Date.now(), rng: randomBytes, monotonic: () => performance.now(), pause: () => new Promise((r) => setImmediate(r)), dkgPool: pool, warn: (l) => o.log.warn(l) });
    const closers: (() => Promise<unknown> | void)[] = [() => pool.close(), () => store.close()];
    try {
      let node: SignerNode | null = null;
      const follower = followTeam(replicaDir, vault, o.log, 2_000, () => node?.syncGate());
      if (follower === null) throw new CustosError('TEAM_STREAM', `The node's replica settings in ${replicaDir} cannot be used.`);
      closers.unshift(() => follower.close());
      await vault.teamSync();
      const state = vault.readState();
      const owner = nodeOwner(state, keys.nodeId);
      await pin(o, gate, keys, settings, store, vault, state);
      const nc = await connectTeam({ servers: settings.servers, user: settings.user, password: readCredential(replicaDir, settings), reconnect: true, tls: settings.tls });
      closers.unshift(() => nc.close());
      node = new SignerNode(o, keys, settings, store, vault, gate, pool, follower, nc, owner.partyId);
      await node.syncGate();
      await node.listen();
      node.emit({ event: 'ready', nodeId: keys.nodeId, partyId: owner.partyId, custodian: owner.name, head: gate.head() });
      return node;
    } catch (err) {
      for (const close of closers) await Promise.resolve(close()).catch(() => undefined);
      throw err;
    }
  }

  /** Stops listening, lets the running session end (it is told to stop), and closes everything; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.subscription?.close();
      this.gate.stop();
      await this.follower.close();
      await this.nc.drain().catch(() => undefined);
      await this.pool.close().catch(() => undefined);
      this.vault.close();
      this.store.close();
      this.emit({ event: 'stopped' });
    })();
    return this.stopping;
  }

  /** Gives the gate the replica's records it lacks (the replica adopted each with every check; the gate checks again). */
  syncGate(): Promise<void> {
    const next = this.gateSync.then(async () => {
      const records = this.store.records.all();
      const from = this.gate.head().seq + 1;
      if (from >= records.length) return;
      await this.gate.sync({ fromSeq: from, records: records.slice(from).map((r) => r.body), head: headOf(records).fingerprint });
    });
    this.gateSync = next.catch((err: unknown) => this.o.log.warn('the gate did not take the replica\'s records', { error: (err as Error).message }));
    return next;
  }

  private async listen(): Promise<void> {
    const transport = new NatsRelayTransport(this.nc);
    this.subscription = await transport.subscribe(controlRoute(this.settings.vaultId, this.partyId), (bytes) => {
      // Each message on its own: a bad one is refused in words and never stops the node.
      void this.onMessage(transport, bytes).catch((err: unknown) => this.emit({ event: 'refused', from: null, ceremonyId: null, reason: (err as Error).message }));
    });
  }

  private async onMessage(transport: NatsRelayTransport, bytes: Uint8Array): Promise<void> {
    if (this.stopping !== null) return;
    const state = this.state();
    const { from, message } = await openControl(bytes, { vaultId: this.settings.vaultId, me: this.partyId, keys: this.keys.transport, state, now: Date.now() });
    const reply = (m: ControlMessage, expiresAt: number) => {
      const toKeys = controlDirectory(state).keysOf(from);
      if (toKeys === null) return Promise.resolve();
      return sendControl({ transport, vaultId: this.settings.vaultId, keys: this.keys.transport, from: this.partyId, to: from, toKeys, message: m, expiresAt });
    };
    if (message.kind === 'node/ping') {
      // Caught up first, so a coordinator that just appended sees this node at its head.
      await this.vault.teamSync().catch(() => undefined);
      await this.syncGate().catch(() => undefined);
      const status = this.gate.status();
      const ready = status.anchor !== null && status.problem === null;
      await reply({ kind: 'node/status', nonce: message.nonce, nodeId: this.keys.nodeId, partyId: this.partyId, head: this.gate.head(), ready, problem: status.problem }, Date.now() + 60_000);
      return;
    }
    if (message.kind !== 'session/request' && message.kind !== 'session/dkg' && message.kind !== 'session/reshare' && message.kind !== 'session/attest') {
      throw new CustosError('BAD_INPUT', `a ${message.kind} message from ${from}, which a signer node does not take`);
    }
    // A ceremony id is handled once per step (its DKG, refresh or reshare, then its attestation).
    const once = `${message.kind === 'session/attest' ? 'attest' : 'run'}/${message.ceremonyId}`;
    if (this.seen.has(once)) return;
    this.seen.add(once);
    const refuse = async (reason: string) => {
      this.emit({ event: 'refused', from, ceremonyId: message.ceremonyId, reason });
      await reply({ kind: 'session/answer', ceremonyId: message.ceremonyId, accepted: false, reason }, message.expiresAt).catch(() => undefined);
    };
    const problem = requestProblem(from, message, Date.now());
    if (problem !== null) return refuse(problem);
    if (message.kind === 'session/dkg') return this.onDkg(transport, message, reply, refuse);
    if (message.kind === 'session/reshare') return this.onReshare(transport, message, reply, refuse);
    if (message.kind === 'session/attest') return this.onAttest(message, reply, refuse);
    let secret: Uint8Array | null = null;
    try {
      // The coordinator may have seen records this replica has not yet: catch up before comparing heads.
      await this.vault.teamSync().catch(() => undefined);
      await this.syncGate();
      // Every gate check that needs no device first: a request the log does not allow never reaches the device.
      const checked = await this.gate.checkTransferAsParty({ requestId: message.requestId, signers: message.signers, head: message.head });
      const now = this.state();
      const wallet = now.wallets.find((w) => w.id === checked.walletId);
      const transfer = now.transfers.find((t) => t.id === message.requestId);
      const user = now.users.find((u) => u.id === nodeOwner(now, this.keys.nodeId).userId);
      if (wallet === undefined || transfer === undefined || user === undefined) throw new GateRefusal(`this node's replica does not hold request ${message.requestId} as its gate does; it catches up first`);
      const sealed = nodeSealedShare({ nodeDir: this.o.nodeDir, nodeId: this.keys.nodeId, state: now, walletId: wallet.id, replica: this.store });
      const useSignature = await this.vault.signOnDevice(this.o.deviceId, this.o.identityPath, shareUseStatement(now, wallet, user, { transfer }), user.identityAddress);
      secret = await unsealSecret(this.o.devices, this.o.deviceId, this.o.identityPath, sealed, `${user.name}: "Provide public secret key" opens your key share of ${wallet.name} for signing request ${transfer.id}, which you just approved on your Ledger, and for nothing else.`);
      this.emit({ event: 'accepted', ceremonyId: message.ceremonyId, requestId: message.requestId, signers: message.signers });
      await reply({ kind: 'session/answer', ceremonyId: message.ceremonyId, accepted: true, reason: null }, message.expiresAt);
      const run = this.runParty(transport, now, message.coordinatorUserId, message.head.fingerprint, message.expiresAt);
      const out = await this.gate.signTransferAsParty(
        { ceremonyId: message.ceremonyId, requestId: message.requestId, signers: message.signers, head: message.head, self: { partyId: this.partyId, sealed, unsealSecret: secret, useSignature } },
        run,
        () => undefined,
      );
      this.emit({ event: 'signed', ceremonyId: message.ceremonyId, requestId: message.requestId, sessions: out.sessions });
    } catch (err) {
      const reason = (err as Error).message;
      if (secret === null) return refuse(reason);
      this.emit({ event: 'failed', ceremonyId: message.ceremonyId, requestId: message.requestId, reason });
    } finally {
      secret?.fill(0);
    }
  }

  /**
   * A DKG the coordinator asks for: every gate check that needs no device first (the wallet owes exactly this DKG, this
   * node's custodian is among its approved ones, the heads are equal), then the custodian's device signs the DKG's use
   * statement (its signature is also the device's entropy), and the node runs its one party with the other custodians'
   * nodes (a DKG has no coordinator party). Its sealed share stays in its folder; the coordinator gets the public key.
   */
  private async onDkg(
    transport: NatsRelayTransport,
    m: Extract<ControlMessage, { kind: 'session/dkg' }>,
    reply: (m: ControlMessage, expiresAt: number) => Promise<void>,
    refuse: (reason: string) => Promise<void>,
  ): Promise<void> {
    let accepted = false;
    try {
      await this.vault.teamSync().catch(() => undefined);
      await this.syncGate();
      const checked = await this.gate.checkKeygenAsParty({ ceremonyId: m.ceremonyId, walletId: m.walletId, head: m.head });
      const now = this.state();
      const wallet = now.wallets.find((w) => w.id === checked.walletId);
      const user = now.users.find((u) => u.id === nodeOwner(now, this.keys.nodeId).userId);
      if (wallet === undefined || user === undefined) throw new GateRefusal(`this node's replica does not hold wallet ${m.walletId} as its gate does; it catches up first`);
      const useSignature = await this.vault.signOnDevice(this.o.deviceId, this.o.identityPath, shareUseStatement(now, wallet, user, { ceremony: 'dkg', ceremonyId: m.ceremonyId }), user.identityAddress);
      accepted = true;
      this.emit({ event: 'accepted-dkg', ceremonyId: m.ceremonyId, walletId: wallet.id, parties: checked.parties });
      await reply({ kind: 'session/answer', ceremonyId: m.ceremonyId, accepted: true, reason: null }, m.expiresAt);
      const run = this.runParty(transport, now, null, m.head.fingerprint, m.expiresAt);
      const out = await this.gate.keygenAsParty({ ceremonyId: m.ceremonyId, walletId: wallet.id, useSignature, head: m.head }, run, () => undefined);
      // Kept before the key is reported: a key the log records always has this node's share beside it.
      keepNodeShare({ nodeDir: this.o.nodeDir, walletId: wallet.id, keyVersion: out.keyVersion, partyId: out.partyId, sealed: bytesToHex(out.sealed) });
      const dkg: NodeDkg = { ceremonyId: m.ceremonyId, ceremony: 'dkg', walletId: wallet.id, partyId: out.partyId, keyVersion: out.keyVersion, coordinatorUserId: m.coordinatorUserId, key: publicKeyOf(out.groupKey), shareDigest: bytesToHex(sha256(out.sealed)) };
      this.dkgs.set(m.ceremonyId, dkg);
      this.emit({ event: 'keygen', ceremonyId: m.ceremonyId, walletId: wallet.id, outputKey: dkg.key.outputKey, shareDigest: dkg.shareDigest });
      await reply({ kind: 'session/keygen', ceremonyId: m.ceremonyId, walletId: wallet.id, partyId: out.partyId, key: dkg.key, shareDigest: dkg.shareDigest }, m.expiresAt);
    } catch (err) {
      const reason = (err as Error).message;
      if (!accepted) return refuse(reason);
      this.emit({ event: 'failed', ceremonyId: m.ceremonyId, walletId: m.walletId, reason });
      // A session that expired fails at its expiry: an answer carrying that expiry would be dropped unread.
      await reply({ kind: 'session/answer', ceremonyId: m.ceremonyId, accepted: false, reason }, Math.max(m.expiresAt, Date.now() + REPORT_MS)).catch(() => undefined);
    }
  }

  /**
   * A refresh or reshare the coordinator asks for: every gate check that needs no device first (the wallet owes exactly
   * this ceremony, with these dealers, receivers and threshold, and this node takes part in it; the heads are equal).
   * A dealer's custodian then signs the ceremony's use statement on their device and opens their own current share; a
   * node that only receives asks its device nothing now. The node runs its one party with the others' nodes; a
   * receiver keeps its new sealed share in its folder and reports the key (the wallet's, unchanged) to the coordinator.
   */
  private async onReshare(
    transport: NatsRelayTransport,
    m: Extract<ControlMessage, { kind: 'session/reshare' }>,
    reply: (m: ControlMessage, expiresAt: number) => Promise<void>,
    refuse: (reason: string) => Promise<void>,
  ): Promise<void> {
    let accepted = false;
    let secret: Uint8Array | null = null;
    const request = { ceremonyId: m.ceremonyId, walletId: m.walletId, ceremony: m.ceremony, dealers: m.dealers, receivers: m.receivers, threshold: m.threshold, head: m.head };
    try {
      await this.vault.teamSync().catch(() => undefined);
      await this.syncGate();
      const checked = await this.gate.checkReshareAsParty(request);
      const now = this.state();
      const wallet = now.wallets.find((w) => w.id === checked.walletId);
      const user = now.users.find((u) => u.id === nodeOwner(now, this.keys.nodeId).userId);
      if (wallet === undefined || user === undefined) throw new GateRefusal(`this node's replica does not hold wallet ${m.walletId} as its gate does; it catches up first`);
      let self: UnsealingParty | null = null;
      if (checked.dealer) {
        const sealed = nodeSealedShare({ nodeDir: this.o.nodeDir, nodeId: this.keys.nodeId, state: now, walletId: wallet.id, replica: this.store });
        const useSignature = await this.vault.signOnDevice(this.o.deviceId, this.o.identityPath, shareUseStatement(now, wallet, user, { ceremony: checked.ceremony, ceremonyId: m.ceremonyId }), user.identityAddress);
        secret = await unsealSecret(this.o.devices, this.o.deviceId, this.o.identityPath, sealed, `${user.name}: "Provide public secret key" opens your key share of ${wallet.name} for its ${checked.ceremony}, which you just approved on your Ledger, and for nothing else.`);
        self = { partyId: this.partyId, sealed, unsealSecret: secret, useSignature };
      }
      accepted = true;
      this.emit({ event: 'accepted-reshare', ceremonyId: m.ceremonyId, walletId: wallet.id, ceremony: checked.ceremony, dealer: checked.dealer, receiver: checked.receiver });
      await reply({ kind: 'session/answer', ceremonyId: m.ceremonyId, accepted: true, reason: null }, m.expiresAt);
      const run = this.runParty(transport, now, null, m.head.fingerprint, m.expiresAt);
      const out = await this.gate.reshareAsParty({ ...request, self }, run, () => undefined);
      const key = publicKeyOf(out.groupKey);
      if (out.sealed === null) {
        this.emit({ event: 'reshared', ceremonyId: m.ceremonyId, walletId: wallet.id, ceremony: out.ceremony, keyVersion: out.keyVersion, outputKey: key.outputKey, shareDigest: null });
        return;
      }
      // Kept before the key is reported: a key the log records always has this node's share beside it.
      keepNodeShare({ nodeDir: this.o.nodeDir, walletId: wallet.id, keyVersion: out.keyVersion, partyId: out.partyId, sealed: bytesToHex(out.sealed) });
      const mine: NodeDkg = { ceremonyId: m.ceremonyId, ceremony: out.ceremony, walletId: wallet.id, partyId: out.partyId, keyVersion: out.keyVersion, coordinatorUserId: m.coordinatorUserId, key, shareDigest: bytesToHex(sha256(out.sealed)) };
      this.dkgs.set(m.ceremonyId, mine);
      this.emit({ event: 'reshared', ceremonyId: m.ceremonyId, walletId: wallet.id, ceremony: out.ceremony, keyVersion: out.keyVersion, outputKey: key.outputKey, shareDigest: mine.shareDigest });
      await reply({ kind: 'session/keygen', ceremonyId: m.ceremonyId, walletId: wallet.id, partyId: out.partyId, key, shareDigest: mine.shareDigest }, m.expiresAt);
    } catch (err) {
      const reason = (err as Error).message;
      if (!accepted) return refuse(reason);
      this.emit({ event: 'failed', ceremonyId: m.ceremonyId, walletId: m.walletId, reason });
      // As a DKG's: a session that expired fails at its expiry, and an answer carrying that expiry would be dropped.
      await reply({ kind: 'session/answer', ceremonyId: m.ceremonyId, accepted: false, reason }, Math.max(m.expiresAt, Date.now() + REPORT_MS)).catch(() => undefined);
    } finally {
      secret?.fill(0);
    }
  }

  /**
   * The wallet-key record the coordinator built from every node's answer: the node checks it holds the key its own DKG
   * made and its own sealed share's digest, for the DKG its log still owes, before its device shows and signs the key
   * attestation (the statement computed here, from this node's own log, as VaultService.recordKey computes it).
   */
  private async onAttest(m: Extract<ControlMessage, { kind: 'session/attest' }>, reply: (m: ControlMessage, expiresAt: number) => Promise<void>, refuse: (reason: string) => Promise<void>): Promise<void> {
    try {
      const mine = this.dkgs.get(m.ceremonyId);
      if (mine === undefined) {
        // The key a DKG made is kept in memory only until its attestation: a node restarted since cannot check a record
        // against it (its sealed share opens only on its device, for a key the log records), so it attests nothing.
        if (this.gate.ranCeremony(m.ceremonyId)) throw new GateRefusal(`this node was restarted after DKG ${m.ceremonyId} began, and no longer knows the key that DKG made: it attests no key it cannot check against its own share. Run the key ceremony again`);
        throw new GateRefusal(`this node ran no key ceremony ${m.ceremonyId} since it started: run the key ceremony again`);
      }
      if (mine.coordinatorUserId !== m.coordinatorUserId) throw new GateRefusal(`key ceremony ${m.ceremonyId} was coordinated by user ${mine.coordinatorUserId}, not ${m.coordinatorUserId}`);
      await this.vault.teamSync().catch(() => undefined);
      await this.syncGate();
      const state = this.state();
      const checked = attestable({ record: m.record, state, head: this.gate.head(), mine, keptDigest: keptShareDigest({ nodeDir: this.o.nodeDir, walletId: mine.walletId, keyVersion: mine.keyVersion, partyId: mine.partyId }) });
      if ('refused' in checked) throw new GateRefusal(checked.refused);
      const wallet = state.wallets.find((w) => w.id === mine.walletId)!;
      const user = state.users.find((u) => u.id === nodeOwner(state, this.keys.nodeId).userId)!;
      const statement = keyAttestationStatement(state, wallet, checked.record, (id) => state.users.find((u) => u.id === id)?.name ?? id);
      const signature = await this.vault.signOnDevice(this.o.deviceId, this.o.identityPath, statement, user.identityAddress);
      this.dkgs.delete(m.ceremonyId);
      this.emit({ event: 'attested', ceremonyId: m.ceremonyId, walletId: mine.walletId, outputKey: mine.key.outputKey });
      await reply({ kind: 'session/attestation', ceremonyId: m.ceremonyId, signature }, m.expiresAt);
    } catch (err) {
      return refuse((err as Error).message);
    }
  }

  /** The replica's state with the users' registered nodes (the directory every message is checked against). */
  private state(): GovernanceState {
    return this.vault.readState();
  }

  /** How this node's party runs: a relay session per path, under its own keys, with the directory of its own replica. */
  private runParty(transport: NatsRelayTransport, state: GovernanceState, coordinatorUserId: string | null, context: string, expiresAt: number): RunParty {
    const directory = transportDirectory(state, coordinatorUserId);
    return async (driver) => {
      const session = new RelaySession({ vaultId: this.settings.vaultId, keys: this.keys.transport, directory, transport, driver, expiresAt, context, ...(this.o.resendMs === undefined ? {} : { resendMs: this.o.resendMs }) });
      try {
        return (await session.run()).result;
      } finally {
        await session.close();
      }
    };
  }

  private emit(e: NodeEvent): void {
    this.o.onEvent?.(e);
  }
}

/** What is wrong with a session request before anything is checked against the log: its sender and its expiry. */
function requestProblem(from: string, m: { coordinatorUserId: string; expiresAt: number }, now: number): string | null {
  if (from !== coordinatorAddress(m.coordinatorUserId)) return `the session request was signed by ${from}, not by the coordinator it names (user ${m.coordinatorUserId})`;
  if (m.expiresAt <= now) return `the session request expired at ${new Date(m.expiresAt).toISOString()}`;
  if (m.expiresAt > now + MAX_SESSION_MS) return `the session request asks this node to wait until ${new Date(m.expiresAt).toISOString()}, more than ${MAX_SESSION_MS / 60_000} minutes`;
  return null;
}

/**
 * Pins the gate to the replica's vault, once: the custodian's own device signs the host-anchor statement for the vault
 * id and the genesis administrator given when the replica joined (team.json), never what a message says.
 */
async function pin(o: SignerNodeOptions, gate: SignerGate, keys: NodeKeys, settings: TeamSettings, store: Store, vault: VaultService, state: GovernanceState): Promise<void> {
  const status = gate.status();
  if (status.problem !== null) throw new CustosError('TAMPERING_DETECTED', status.problem);
  const records = store.records.all().map((r) => r.body);
  const genesis = JSON.parse(records[0] ?? 'null') as GenesisRecord | null;
  if (genesis === null || genesis.vaultId !== settings.vaultId || genesis.admin.identityAddress.toLowerCase() !== settings.genesisAddress.toLowerCase()) {
    throw new CustosError('TAMPERING_DETECTED', `The node's replica does not start at the genesis it joined (vault ${settings.vaultId}, administrator ${settings.genesisAddress}).`);
  }
  if (status.anchor !== null) {
    if (status.anchor.vaultId !== settings.vaultId) throw new CustosError('TAMPERING_DETECTED', `This node's gate is pinned to vault ${status.anchor.vaultId}, its replica follows ${settings.vaultId}: use a node folder per vault.`);
    return;
  }
  const me = state.users.find((u) => u.id === nodeOwner(state, keys.nodeId).userId);
  if (me === undefined) throw new CustosError('RULE_VIOLATION', `Signer node ${keys.nodeId} is registered to no active user.`);
  const anchor = { vaultId: settings.vaultId, vaultName: state.vaultName, genesisAddress: settings.genesisAddress };
  const signature = await vault.signOnDevice(o.deviceId, o.identityPath, hostAnchorStatement({ ...anchor, hostId: keys.nodeId }), me.identityAddress);
  await gate.pinAnchor({ ...anchor, confirmedBy: me.identityAddress, signature, records });
}
