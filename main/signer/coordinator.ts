// The coordinator of a signing through signer nodes (`custos transfer sign R-n --nodes`): it holds no share and asks no
// device. It picks t custodians whose nodes answer at its own log head, sends each a session request, aggregates their
// signature shares through the relay as the share-less "coordinator" party, and records the request as signed.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { deriveChildKey } from '../../crypto/frost/hd';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GovernanceState, UserState } from '../../crypto/governance';
import { groupKeyOf } from '../../crypto/governance/wallet-key';
import { signingPlan } from '../../crypto/transfers/evidence';
import type { TransferView } from '../../preload/contract';
import { CustosError } from '../errors';
import { RelaySession, RelaySessionError, SignDriver, type RelayEvent, type RelaySubscription, type RelayTransport } from '../relay';
import type { TransferService } from '../transfers/service';
import { signRefusal } from '../transfers/permissions';
import type { VaultService } from '../vault/service';
import { controlDirectory, controlRoute, coordinatorAddress, newNonce, openControl, sendControl, type ControlMessage, type Head } from './control';
import type { NodeKeys } from './node-keys';
import { transportDirectory } from './directory';
import { nodeOwner } from './node-share';

/** How long nodes have to answer a status ping (ms). */
export const DEFAULT_PING_MS = 2_000;
/** How long a signing may take, device confirmations on the nodes included (ms). */
export const DEFAULT_SESSION_MS = 120_000;

export type CoordinatorEvent =
  | { type: 'status'; custodian: string; partyId: string; ready: boolean; head: Head | null; problem: string | null }
  | { type: 'picked'; custodians: string[]; ceremonyId: string }
  | { type: 'answer'; custodian: string; accepted: boolean; reason: string | null }
  | { type: 'session'; sessionId: string }
  /** A picked node's message of a signing round reached the coordinator. */
  | { type: 'round'; custodian: string; round: number };

export interface CoordinatorOptions {
  vault: VaultService;
  transfers: TransferService;
  /** The coordinating user's registered node keys: the coordinator's messages are signed with them. */
  keys: NodeKeys;
  transport: RelayTransport;
  /** Only these custodians (user ids or names) may be picked. */
  only?: readonly string[];
  pingMs?: number;
  sessionMs?: number;
  resendMs?: number;
  /** Told as the signing goes; awaited, so a caller may act between steps. */
  onEvent?: (e: CoordinatorEvent) => void | Promise<void>;
}

/** Signs an allowed request with t custodians' signer nodes, then records it through the transfer service's one path. */
export async function signWithNodes(requestId: string, o: CoordinatorOptions): Promise<TransferView> {
  const state = o.vault.readState();
  const transfer = state.transfers.find((t) => t.id === requestId);
  if (transfer === undefined) throw new CustosError('NOT_FOUND', `There is no transfer request ${requestId}. List the transfers to find its id.`);
  const refusal = signRefusal(state, transfer, o.transfers.decision(state, transfer), o.transfers.now());
  if (refusal !== null) throw refusal;
  const plan = signingPlan({ state, requestId, ledger: [], receivedAt: () => 0, now: o.transfers.now() });
  if ('refused' in plan) throw new CustosError('RULE_VIOLATION', `Request ${requestId} cannot be signed: ${plan.refused}.`);
  const wallet = state.wallets.find((w) => w.id === plan.walletId);
  const key = wallet?.key;
  if (wallet === undefined || key == null) throw new CustosError('RULE_VIOLATION', 'The wallet has no key.');
  const { head, me, inbox, server, send, close } = await openCoordination(o);
  let signatures: { index: number; signature: Uint8Array }[];
  try {
    const custodians = key.custodians
      .map((c) => state.users.find((u) => u.id === c.userId))
      .filter((u): u is UserState => u?.status === 'active' && (o.only === undefined || o.only.some((x) => x === u.id || x.toLowerCase() === u.name.toLowerCase())));
    const picked = await pick(o, custodians, key.threshold, head, send, inbox, `Signing for ${wallet.name}`, 'Nothing was signed.');
    const ceremonyId = `c-${bytesToHex(randomBytes(8))}`;
    const signers = picked.map((u) => partyIdFor(u.id));
    await o.onEvent?.({ type: 'picked', custodians: picked.map((u) => u.name), ceremonyId });
    const expiresAt = Date.now() + (o.sessionMs ?? DEFAULT_SESSION_MS);
    for (const p of signers) await send(p, { kind: 'session/request', ceremonyId, requestId, signers, head, coordinatorUserId: me.userId, expiresAt }, expiresAt);
    const names = new Map(picked.map((u) => [partyIdFor(u.id), u.name]));
    const root = groupKeyOf(key);
    signatures = [];
    // One session per wallet path, in the order the nodes' gates run them (the request's inputs, grouped by path).
    for (const inputs of byPath(plan.inputs)) {
      const path = inputs[0]!.path;
      const sessionId = `${ceremonyId}/${path.join('-') || 'root'}`;
      const child = deriveChildKey(root, path);
      const messages = inputs.map((i) => i.sighash);
      await o.onEvent?.({ type: 'session', sessionId });
      const driver = new SignDriver({ sessionId, self: null, signers, messages, publicPackage: child.groupKey.publicPackage }, null, randomBytes);
      const onRelay = (e: RelayEvent) => {
        if (e.type === 'received' && names.has(e.from)) void o.onEvent?.({ type: 'round', custodian: names.get(e.from)!, round: e.round });
      };
      const session = new RelaySession({ vaultId: state.vaultId, keys: o.keys.transport, directory: transportDirectory(state, me.userId), transport: o.transport, driver, expiresAt, context: head.fingerprint, onEvent: onRelay, ...(o.resendMs === undefined ? {} : { resendMs: o.resendMs }) });
      let result;
      try {
        result = await Promise.race([session.run(), inbox.refusal(ceremonyId, names, o), server.lost]);
      } catch (err) {
        throw sessionFailure(err, names, requestId);
      } finally {
        await session.close();
      }
      const sigs = result.result.signatures;
      if (sigs === null || sigs.length !== messages.length) throw new CustosError('MPC_PROTOCOL', `The signing session ${sessionId} ended without a signature for every input; nothing was recorded.`);
      sigs.forEach((sig, k) => {
        if (!schnorr.verify(sig, messages[k]!, child.groupKey.outputKey)) throw new CustosError('MPC_PROTOCOL', `The signature of input ${inputs[k]!.index} does not verify; nothing was recorded.`);
        signatures.push({ index: inputs[k]!.index, signature: sig });
      });
    }
  } catch (err) {
    throw server.unreachable(err, `The signing of ${requestId}`, 'Nothing was recorded as signed; sign again once the server answers.');
  } finally {
    await close();
  }
  // Recorded after the relay is let go: the one writer says itself if the team log cannot be reached.
  return await o.transfers.recordSigned(requestId, { ruleId: plan.ruleId, signatures: signatures.sort((a, b) => a.index - b.index) }, 'signer-nodes');
}

/** One coordination with the nodes: the state and head it started at, who this console speaks as, and its inbox. */
export interface Coordination {
  state: GovernanceState;
  head: Head;
  me: { userId: string; name: string; partyId: string };
  sessionMs: number;
  inbox: Inbox;
  /** Rejects once the team server is lost; `unreachable` turns what failed for that into TEAM_UNREACHABLE. */
  server: ReturnType<typeof watchServer>;
  send: (to: string, message: ControlMessage, expiresAt: number) => Promise<void>;
  close: () => Promise<void>;
}

/** Opens the coordinator's control channel (its answers go to the inbox) at this console's state and head. */
export async function openCoordination(o: Pick<CoordinatorOptions, 'vault' | 'keys' | 'transport' | 'sessionMs'>): Promise<Coordination> {
  const state = o.vault.readState();
  const me = nodeOwner(state, o.keys.nodeId);
  const head = headOf(o.vault);
  const vaultId = state.vaultId;
  const myAddress = coordinatorAddress(me.userId);
  const inbox = new Inbox();
  const sub = await o.transport.subscribe(controlRoute(vaultId, myAddress), (bytes) => {
    void openControl(bytes, { vaultId, me: myAddress, keys: o.keys.transport, state, now: Date.now() }).then((m) => inbox.take(m), () => undefined);
  });
  const server = watchServer(sub);
  const send = (to: string, message: ControlMessage, expiresAt: number) => {
    const toKeys = controlDirectory(state).keysOf(to);
    if (toKeys === null) throw new CustosError('RULE_VIOLATION', `Party ${to} has no registered signer node.`);
    return sendControl({ transport: o.transport, vaultId, keys: o.keys.transport, from: myAddress, to, toKeys, message, expiresAt });
  };
  const close = async () => {
    server.done();
    await sub.close();
  };
  return { state, head, me, sessionMs: o.sessionMs ?? DEFAULT_SESSION_MS, inbox, server, send, close };
}

/**
 * Watches the coordinator's control subscription: it ends without the coordinator closing it only when the connection to
 * the team server is lost (a server down or restarted, a network cut). A ceremony then stops at once, saying so, rather
 * than waiting for its expiry and blaming the nodes.
 */
export function watchServer(sub: RelaySubscription): { lost: Promise<never>; done(): void; unreachable(err: unknown, what: string, nothing: string): unknown } {
  let finished = false;
  let lostAt: Error | null = null;
  const lost = new Promise<never>((_, reject) => {
    void sub.closed.then((err) => {
      if (finished) return;
      lostAt = err instanceof Error ? err : new Error('the connection closed');
      reject(lostAt);
    });
  });
  lost.catch(() => undefined);
  return {
    lost,
    done: () => {
      finished = true;
    },
    // Whatever failed once the connection was gone (a publish on a closed connection, a session cut off) failed for that.
    unreachable: (err, what, nothing) => {
      const cause = lostAt ?? ((err as Error | null)?.name === 'ClosedConnectionError' ? (err as Error) : null);
      if (cause === null) return err;
      return new CustosError('TEAM_UNREACHABLE', `${what} stopped: the team server is unreachable (the connection to it was lost: ${cause.message}). ${nothing}`);
    },
  };
}

/**
 * The first t custodians (in the key's order) whose nodes answer a ping, ready and at this console's head. A node that
 * answers a few records behind is still adopting what this console just appended: it is pinged again, for up to
 * `CATCH_UP_MS`, before it is named as behind.
 */
export async function pick(
  o: Pick<CoordinatorOptions, 'pingMs' | 'onEvent'>,
  custodians: readonly UserState[],
  threshold: number,
  head: Head,
  send: (to: string, m: ControlMessage, expiresAt: number) => Promise<void>,
  inbox: Inbox,
  what: string,
  nothing: string,
): Promise<UserState[]> {
  const waitMs = o.pingMs ?? DEFAULT_PING_MS;
  const until = Date.now() + CATCH_UP_MS;
  for (;;) {
    const statuses = await ping(custodians, send, inbox, waitMs);
    const chosen: UserState[] = [];
    const why: string[] = [];
    let behind = false;
    for (const u of custodians) {
      const s = statuses.get(partyIdFor(u.id));
      const problem = nodeProblem(u, s, head, waitMs);
      if (problem !== null) why.push(problem);
      else if (chosen.length < threshold) chosen.push(u);
      if (s?.ready === true && s.head.seq < head.seq) behind = true;
    }
    if (chosen.length < threshold && behind && Date.now() < until) {
      await new Promise((r) => setTimeout(r, CATCH_UP_RETRY_MS));
      continue;
    }
    for (const u of custodians) {
      const s = statuses.get(partyIdFor(u.id));
      await o.onEvent?.({ type: 'status', custodian: u.name, partyId: partyIdFor(u.id), ready: nodeProblem(u, s, head, waitMs) === null, head: s?.head ?? null, problem: s?.problem ?? nodeProblem(u, s, head, waitMs) });
    }
    if (chosen.length < threshold) {
      throw new CustosError('DEVICE_NOT_FOUND', `${what} needs ${threshold} custodians' signer nodes; ${chosen.length} answered ready at this console's head (${why.join('; ')}). ${nothing}`);
    }
    return chosen;
  }
}

/** How long nodes a few records behind are given to catch up before they are named (ms), and how often they are asked. */
const CATCH_UP_MS = 10_000;
const CATCH_UP_RETRY_MS = 250;

type NodeStatus = Extract<ControlMessage, { kind: 'node/status' }>;

/** Pings the nodes of `users` (those with one registered) and gathers their answers: all of them, or what came within `waitMs`. */
async function ping(users: readonly UserState[], send: (to: string, m: ControlMessage, expiresAt: number) => Promise<void>, inbox: Inbox, waitMs: number): Promise<Map<string, NodeStatus>> {
  const nonce = newNonce();
  const withNode = users.filter((u) => u.node !== undefined);
  for (const u of withNode) await send(partyIdFor(u.id), { kind: 'node/ping', nonce }, Date.now() + waitMs);
  return inbox.statuses(nonce, new Set(withNode.map((u) => partyIdFor(u.id))), waitMs);
}

/** Why a user's node cannot sign now, in words; null when it is ready at `head`. */
function nodeProblem(u: UserState, s: NodeStatus | undefined, head: Head, waitMs: number): string | null {
  if (u.node === undefined) return `${u.name} has no registered signer node`;
  if (s === undefined) return `${u.name}'s signer node did not answer within ${waitMs} ms`;
  if (!s.ready) return `${u.name}'s signer node is not ready (${s.problem ?? 'not pinned to this vault yet'})`;
  if (s.head.seq !== head.seq || s.head.fingerprint !== head.fingerprint) return `${u.name}'s signer node holds the log up to record ${s.head.seq}, this console up to ${head.seq}${s.head.seq === head.seq ? ' with another history' : ''}`;
  return null;
}

export interface NodeStatusRow {
  user: string;
  name: string;
  partyId: string;
  nodeId: string | null;
  online: boolean;
  head: Head | null;
  /** Null when the node is online, ready and at this console's head. */
  problem: string | null;
}

/** Which of the vault's registered signer nodes are online, ready and at this console's head (`custos signer ping`). */
export async function pingNodes(o: { vault: VaultService; keys: NodeKeys; transport: RelayTransport; pingMs?: number }): Promise<NodeStatusRow[]> {
  const { state, head, inbox, send, close } = await openCoordination(o);
  try {
    const users = state.users.filter((u) => u.status === 'active' && u.node !== undefined);
    const waitMs = o.pingMs ?? DEFAULT_PING_MS;
    const statuses = await ping(users, send, inbox, waitMs);
    return users.map((u) => {
      const s = statuses.get(partyIdFor(u.id));
      return { user: u.id, name: u.name, partyId: partyIdFor(u.id), nodeId: u.node?.nodeId ?? null, online: s !== undefined, head: s?.head ?? null, problem: nodeProblem(u, s, head, waitMs) };
    });
  } finally {
    await close();
  }
}

type Result = Extract<ControlMessage, { kind: 'session/keygen' | 'session/attestation' }>;

/** Control answers as they come, for whoever waits on them. */
export class Inbox {
  private readonly status = new Map<string, NodeStatus>();
  private readonly answers: { from: string; message: Extract<ControlMessage, { kind: 'session/answer' }> }[] = [];
  private readonly results = new Map<string, Result>();
  private readonly waiters = new Set<() => void>();

  take({ from, message }: { from: string; message: ControlMessage }): void {
    if (message.kind === 'node/status' && message.partyId === from) this.status.set(`${message.nonce}/${from}`, message);
    if (message.kind === 'session/answer') this.answers.push({ from, message });
    // The first result of a kind per sender and ceremony counts: a node answers each step once.
    if (message.kind === 'session/keygen' || message.kind === 'session/attestation') {
      const k = `${message.kind}/${message.ceremonyId}/${from}`;
      if (!this.results.has(k)) this.results.set(k, message);
    }
    for (const w of this.waiters) w();
  }

  /** How many answers came so far: a later step's refusals are those after it. */
  mark(): number {
    return this.answers.length;
  }

  /** Every one of `from`'s results of `kind` for `ceremonyId`; rejects after `ms` naming who did not answer. */
  collect<K extends Result['kind']>(kind: K, ceremonyId: string, from: ReadonlyMap<string, string>, ms: number, what: string, nothing: string): Promise<Map<string, Extract<Result, { kind: K }>>> {
    return new Promise((resolve, reject) => {
      const got = () => new Map([...from.keys()].flatMap((p) => {
        const r = this.results.get(`${kind}/${ceremonyId}/${p}`);
        return r === undefined ? [] : [[p, r as Extract<Result, { kind: K }>] as const];
      }));
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const have = got();
        const missing = [...from].filter(([p]) => !have.has(p)).map(([p, name]) => `${name}'s signer node (party ${p})`);
        reject(new CustosError('MPC_PROTOCOL', `${what} timed out: ${missing.join(', ')} did not answer (a node down, or a faulty relay). ${nothing}`));
      }, ms);
      // A step a refusal ended keeps no process alive for its timer.
      timer.unref?.();
      const check = () => {
        const have = got();
        if (have.size !== from.size) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(have);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** The statuses that answered `nonce`, once all of `from` answered or `ms` passed. */
  statuses(nonce: string, from: ReadonlySet<string>, ms: number): Promise<Map<string, NodeStatus>> {
    return new Promise((resolve) => {
      const collect = () => new Map([...from].flatMap((p) => (this.status.has(`${nonce}/${p}`) ? [[p, this.status.get(`${nonce}/${p}`)!] as const] : [])));
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(collect());
      };
      const check = () => {
        if (collect().size === from.size) done();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Rejects when a picked node refuses the ceremony, or stops it after accepting (a node's session that failed, e.g. a
   * party that did not answer), with its reason in words, other nodes named; never resolves otherwise.
   */
  refusal(ceremonyId: string, names: ReadonlyMap<string, string>, o: Pick<CoordinatorOptions, 'onEvent'>, refusedTo = 'sign', nothing = 'Nothing was signed.', since = 0): Promise<never> {
    return new Promise((_, reject) => {
      // A node answers at most twice per step: its acceptance, then maybe its failure.
      const told = new Set<string>();
      const check = () => {
        for (const a of this.answers.slice(since)) {
          const k = `${a.from}/${a.message.accepted}`;
          if (a.message.ceremonyId !== ceremonyId || !names.has(a.from) || told.has(k)) continue;
          told.add(k);
          void o.onEvent?.({ type: 'answer', custodian: names.get(a.from)!, accepted: a.message.accepted, reason: a.message.reason });
          if (!a.message.accepted) {
            this.waiters.delete(check);
            const reason = namedParties(a.message.reason ?? 'no reason given', names);
            const stopped = told.has(`${a.from}/true`);
            reject(new CustosError(stopped ? 'MPC_PROTOCOL' : 'POLICY_DENIED', stopped ? `${names.get(a.from)}'s signer node stopped: ${reason}. ${nothing}` : `${names.get(a.from)}'s signer node refused to ${refusedTo}: ${reason}. ${nothing}`));
          }
        }
      };
      this.waiters.add(check);
      check();
    });
  }
}

/** A node's words with each party id it names said as whose signer node it is (a person knows custodians, not party ids). */
export function namedParties(text: string, names: ReadonlyMap<string, string>): string {
  let out = text.replace(/\bpart(?:y|ies) (?=[0-9a-f]{64})/g, '');
  for (const [p, name] of names) out = out.split(p).join(`${name}'s signer node (party ${p})`);
  return out;
}

function sessionFailure(err: unknown, names: ReadonlyMap<string, string>, requestId: string): Error {
  if (!(err instanceof RelaySessionError)) return err as Error;
  const who = (p: string) => (names.has(p) ? `${names.get(p)}'s signer node (party ${p})` : p);
  if (err.code === 'NO_ANSWER') {
    return new CustosError('MPC_PROTOCOL', `The signing of ${requestId} timed out: ${err.missing.map(who).join(', ') || 'a party'} did not answer (a node down, or a faulty relay). Nothing was recorded as signed; sign again with the custodians whose nodes answer.`);
  }
  const culprit = err.culprit === null ? '' : ` (${who(err.culprit)})`;
  return new CustosError('MPC_PROTOCOL', `The signing of ${requestId} was aborted${culprit}: ${err.message}. Nothing was recorded as signed.`);
}

export function headOf(vault: VaultService): Head {
  const h = vault.logHead();
  if (h === null) throw new CustosError('TAMPERING_DETECTED', 'This console\'s log does not verify: it coordinates nothing until it does (custos audit verify).');
  return { seq: h.count - 1, fingerprint: h.fingerprint };
}

/** A request's inputs grouped by the wallet path they spend, in the order the signer gates run them. */
function byPath<T extends { path: number[] }>(inputs: readonly T[]): T[][] {
  const groups = new Map<string, T[]>();
  for (const i of inputs) groups.set(i.path.join('/'), [...(groups.get(i.path.join('/')) ?? []), i]);
  return [...groups.values()];
}
