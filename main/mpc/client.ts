// main's client of the MPC host: starts it through a launcher, sends typed requests, checks and correlates every reply.
import type { MpcHostHealth } from '../../preload/contract';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { CustosError } from '../errors';
import { silentLogger, type Logger } from '../log';
import {
  PROTOCOL_VERSION,
  REPLY_TO,
  parseHostReply,
  type CeremonyStep,
  type ErrorReply,
  type HostReply,
  type HostRequestType,
  type LogTail,
  type RequestBody,
  type SignerStateReply,
} from '../mpc-host/protocol';
import type { KeyedOutcome, SignerStatus, UnsealingParty } from '../mpc-host/signer-gate';
import { groupKeyFromWire, sealedShareFromWire } from '../mpc-host/wire';
import { WireError } from '../mpc-host/wire';
import { checkKeyed, type ExpectedKey } from './ceremony-checks';
import { hostLogOf, type LogInput } from './host-log';
import type { HostExit, HostHandle, HostLauncher } from './launcher';

export interface MpcHostClientOptions {
  launcher: HostLauncher;
  /** How long a request may wait for its reply. */
  requestTimeoutMs?: number;
  /** How long a ceremony may wait for its reply, time queued behind other ceremonies included (default 10 min). */
  ceremonyTimeoutMs?: number;
  /** How long a new host may take to say it is ready (a `.ts` entry compiles first under tsx). */
  startTimeoutMs?: number;
  log?: Logger;
  /** A monotonic clock in milliseconds, for round-trip times. */
  now?: () => number;
}

/** The reply type that answers each request type that has one. */
type ReplyOf<T extends HostRequestType> = (typeof REPLY_TO)[T] extends HostReply['type']
  ? Extract<HostReply, { type: (typeof REPLY_TO)[T] }>
  : never;
type AnsweredType = { [T in HostRequestType]: (typeof REPLY_TO)[T] extends null ? never : T }[HostRequestType];

/** A step of a ceremony under way, as the host reports it. */
export type CeremonyProgress = { ceremonyId: string; step: CeremonyStep; done: number; total: number };

export interface RequestOptions {
  /** Overrides the client's timeout for this one request. */
  timeoutMs?: number;
  /** Called for each progress event of this request (a throwing callback is logged, not propagated). */
  onProgress?: (progress: CeremonyProgress) => void;
}

interface Pending {
  type: HostRequestType;
  expect: HostReply['type'];
  resolve(reply: HostReply): void;
  reject(err: CustosError): void;
  onProgress: ((progress: CeremonyProgress) => void) | undefined;
  timer: ReturnType<typeof setTimeout>;
}

/** One host process and what is waiting on it. A new one is made for every launch. */
interface Session {
  handle: HostHandle;
  ready: Promise<void>;
  pending: Map<string, Pending>;
  exited: boolean;
  /** The last seq this host said it pinned (status, log.synced, a tail it took), or null before it said. */
  pinnedSeq: number | null;
}

const unavailable = (message: string, details?: CustosError['details']) =>
  new CustosError('MPC_HOST_UNAVAILABLE', message, details);

export class MpcHostClient {
  private readonly launcher: HostLauncher;
  private readonly requestTimeoutMs: number;
  private readonly ceremonyTimeoutMs: number;
  private readonly startTimeoutMs: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private session: Session | null = null;
  private seq = 0;
  private closed = false;

  constructor(options: MpcHostClientOptions) {
    this.launcher = options.launcher;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.ceremonyTimeoutMs = options.ceremonyTimeoutMs ?? 10 * 60_000;
    this.startTimeoutMs = options.startTimeoutMs ?? 20_000;
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? (() => performance.now());
  }

  /** The running host's pid, or null when none runs. */
  get pid(): number | null {
    return this.session && !this.session.exited ? (this.session.handle.pid ?? null) : null;
  }

  /**
   * Starts the host if none runs and waits until it is ready. Requests call it themselves, so a host that crashed
   * is started again by the next request; the crash itself was reported to whoever was waiting, and logged.
   */
  async start(): Promise<void> {
    if (this.closed) throw unavailable('The MPC host client is closed: Custos is shutting down.');
    if (!this.session || this.session.exited) this.session = this.launch();
    await this.session.ready;
  }

  /** Stops the host (whatever it is doing) and starts a new one. */
  async restart(): Promise<void> {
    const old = this.session;
    if (old && !old.exited) {
      const gone = new Promise<void>((resolve) => old.handle.onExit(() => resolve()));
      old.handle.kill();
      await gone;
    }
    await this.start();
  }

  /** Checks the host answers, and how fast. */
  async ping(): Promise<MpcHostHealth> {
    // Started first so the round trip measures the exchange, not a host launch.
    await this.start();
    const started = this.now();
    const echo = `ping-${this.seq + 1}`;
    const pong = await this.request({ type: 'ping', echo });
    if (pong.echo !== echo) {
      throw new CustosError('MPC_PROTOCOL', 'The MPC host answered a ping with another ping\'s echo. Restart Custos.');
    }
    return {
      protocolVersion: pong.protocolVersion,
      hostVersion: pong.hostVersion,
      pid: pong.pid,
      uptimeMs: pong.uptimeMs,
      roundTripMs: Math.round((this.now() - started) * 1000) / 1000,
    };
  }

  /** What the signer is pinned to, how far its log goes, and what keeps it from signing, if anything. */
  async status(): Promise<SignerStatus> {
    const reply = await this.request({ type: 'signer.status' });
    this.notePinned(reply.pinnedSeq);
    return stateOf(reply);
  }

  /** Pins the signer to the vault a member's device confirmed (the anchor statement's signature), with the log to check it against. */
  async pinAnchor(input: { vaultId: string; vaultName: string; genesisAddress: string; confirmedBy: string; signature: string; records: string[] }): Promise<SignerStatus> {
    const reply = await this.request({ type: 'anchor.pin', ...input }, this.ceremonyOptions({}));
    this.notePinned(reply.pinnedSeq);
    return stateOf(reply);
  }

  /** Gives the host the records of the signed log it lacks; resolves with the last seq it holds. */
  async syncLog(log: LogInput, options: RequestOptions = {}): Promise<number> {
    const reply = await this.withLog(log, (tail) => this.request({ type: 'log.sync', ...tail }, this.ceremonyOptions(options)));
    this.notePinned(reply.seq);
    return reply.seq;
  }

  /**
   * Asks the host to sign a transfer request of the log. The host checks the evidence and each signer's use statement
   * itself and refuses with POLICY_DENIED when they do not hold; main checks every signature again when it builds the
   * transaction.
   */
  async signTransfer(
    params: { ceremonyId: string; requestId: string; records: LogInput; signers: UnsealingParty[] },
    options: RequestOptions = {},
  ): Promise<{ ruleId: string; signatures: { index: number; signature: Uint8Array }[] }> {
    const signers = params.signers.map(unsealingToWire);
    const reply = await this.withLog(params.records, (tail) =>
      this.request({ type: 'transfer.sign', ceremonyId: params.ceremonyId, requestId: params.requestId, ...tail, signers }, this.ceremonyOptions(options)),
    );
    if (reply.requestId !== params.requestId || reply.ceremonyId !== params.ceremonyId) {
      throw new CustosError('MPC_PROTOCOL', `The MPC host answered for request ${reply.requestId}, not ${params.requestId}.`);
    }
    return { ruleId: reply.ruleId, signatures: reply.signatures.map((s) => ({ index: s.index, signature: hexToBytes(s.signature) })) };
  }

  /**
   * Asks the host for the DKG the wallet owes. Resolves with the key and one sealed share per custodian, after main
   * checked them against what it expects from its own log (`expected`): the host's word is not taken for them.
   */
  async keygen(
    params: { ceremonyId: string; walletId: string; records: LogInput; parties: { partyId: string; useSignature: string }[] },
    expected: ExpectedKey,
    options: RequestOptions = {},
  ): Promise<KeyedOutcome> {
    const reply = await this.withLog(params.records, (tail) =>
      this.request({ type: 'wallet.keygen', ceremonyId: params.ceremonyId, walletId: params.walletId, ...tail, parties: params.parties }, this.ceremonyOptions(options)),
    );
    return checkKeyed(expected, decoded(() => keyedFromWire(reply)));
  }

  /** Asks the host for the refresh or reshare the wallet owes; checked by main like a DKG, and the key must not change. */
  async reshare(
    params: { ceremonyId: string; walletId: string; records: LogInput; dealers: UnsealingParty[] },
    expected: ExpectedKey,
    options: RequestOptions = {},
  ): Promise<KeyedOutcome> {
    const dealers = params.dealers.map(unsealingToWire);
    const reply = await this.withLog(params.records, (tail) =>
      this.request({ type: 'wallet.reshare', ceremonyId: params.ceremonyId, walletId: params.walletId, ...tail, dealers }, this.ceremonyOptions(options)),
    );
    return checkKeyed(expected, decoded(() => keyedFromWire(reply)));
  }

  /**
   * Sends a request with the tail of the log the host lacks, from the seq it last reported (asked first of a new host).
   * A host that lacks more (it restarted with less) answers with where to resend from, and is sent the tail again once.
   */
  private async withLog<R>(log: LogInput, send: (tail: LogTail) => Promise<R>): Promise<R> {
    const source = hostLogOf(log);
    await this.start();
    let from = this.session?.pinnedSeq ?? null;
    if (from === null) from = (await this.status()).pinnedSeq;
    let tail = source.tail(from + 1);
    try {
      const reply = await send(tail);
      this.notePinned(tail.fromSeq + tail.records.length - 1);
      return reply;
    } catch (err) {
      const resend = err instanceof CustosError ? err.details?.resendFrom : undefined;
      if (typeof resend !== 'number' || resend >= tail.fromSeq) throw err;
      tail = source.tail(resend);
      const reply = await send(tail);
      this.notePinned(tail.fromSeq + tail.records.length - 1);
      return reply;
    }
  }

  /** What the host said it pinned, as a hint for the next tail: too high costs a resend, too low a few records more. */
  private notePinned(seq: number): void {
    if (this.session !== null && !this.session.exited) this.session.pinnedSeq = seq;
  }

  private ceremonyOptions(options: RequestOptions): RequestOptions {
    return { ...options, timeoutMs: options.timeoutMs ?? this.ceremonyTimeoutMs };
  }

  /** Sends one request and resolves with its validated reply; every failure is a CustosError. */
  async request<B extends RequestBody<AnsweredType>>(body: B, options: RequestOptions = {}): Promise<ReplyOf<B['type']>> {
    await this.start();
    const session = this.session!;
    const id = `r${++this.seq}`;
    const type = body.type as AnsweredType;
    const expect = REPLY_TO[type] as HostReply['type'];
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const reply = await new Promise<HostReply>((resolve, reject) => {
      // The host may have died between its ready and this request; its exit already failed everyone it knew of.
      if (session.exited) {
        reject(unavailable('The MPC host stopped just before this request. Try again: Custos starts it anew.'));
        return;
      }
      const timer = setTimeout(() => {
        session.pending.delete(id);
        reject(
          unavailable(
            `The MPC host did not answer "${type}" within ${Math.round(timeoutMs / 1000)} s. It may be overloaded or stuck; restart Custos if this keeps happening.`,
            { request: type, timeoutMs },
          ),
        );
      }, timeoutMs);
      session.pending.set(id, { type, expect, resolve, reject, onProgress: options.onProgress, timer });
      session.handle.postMessage({ ...body, v: PROTOCOL_VERSION, id });
    });
    return reply as ReplyOf<B['type']>;
  }

  /** Asks the host to exit, waits a little, then kills it. Pending requests fail; no new ones are accepted. */
  async close(graceMs = 2000): Promise<void> {
    this.closed = true;
    const session = this.session;
    if (!session || session.exited) return;
    const gone = new Promise<void>((resolve) => session.handle.onExit(() => resolve()));
    session.handle.postMessage({ v: PROTOCOL_VERSION, id: `r${++this.seq}`, type: 'shutdown' });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const killed = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        session.handle.kill();
        resolve();
      }, graceMs);
    });
    await Promise.race([gone, killed]);
    clearTimeout(timer);
    await gone;
  }

  private launch(): Session {
    let handle: HostHandle;
    try {
      handle = this.launcher.launch();
    } catch (err) {
      const error = err instanceof CustosError ? err : unavailable('The MPC host could not be started. Restart Custos; if it keeps failing, reinstall it.');
      const failed: Session = { handle: deadHandle(), ready: Promise.reject(error), pending: new Map(), exited: true, pinnedSeq: null };
      failed.ready.catch(() => {});
      return failed;
    }
    let markReady!: () => void;
    let failReady!: (err: CustosError) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failReady = reject;
    });
    // Nobody may be awaiting yet; an early failure must not become an unhandled rejection.
    ready.catch(() => {});
    const session: Session = { handle, ready, pending: new Map(), exited: false, pinnedSeq: null };
    const startTimer = setTimeout(() => {
      failReady(unavailable(`The MPC host did not start within ${Math.round(this.startTimeoutMs / 1000)} s. Restart Custos.`));
      handle.kill();
    }, this.startTimeoutMs);

    handle.onMessage((raw) => this.receive(session, raw, () => {
      clearTimeout(startTimer);
      markReady();
    }));
    handle.onExit((exit) => {
      session.exited = true;
      clearTimeout(startTimer);
      const how = describeExit(exit);
      if (!this.closed) this.log.warn(`MPC host ${how}`, { pid: handle.pid ?? null });
      const error = unavailable(
        this.closed
          ? 'The MPC host was stopped because Custos is shutting down.'
          : `The MPC host ${how} before it answered. Custos starts it again on the next request.`,
        { exitCode: exit.code, signal: exit.signal },
      );
      failReady(error);
      for (const [id, pending] of session.pending) {
        clearTimeout(pending.timer);
        session.pending.delete(id);
        pending.reject(error);
      }
    });
    return session;
  }

  private receive(session: Session, raw: unknown, onReady: () => void): void {
    const parsed = parseHostReply(raw);
    if (!parsed.ok) {
      this.log.warn('MPC host sent a message Custos does not understand', { reason: parsed.error.message });
      const pending = parsed.error.id ? session.pending.get(parsed.error.id) : undefined;
      if (pending && parsed.error.id) {
        this.settle(session, parsed.error.id, pending);
        pending.reject(new CustosError('MPC_PROTOCOL', `The MPC host answered "${pending.type}" with a malformed message: ${parsed.error.message}`));
      }
      return;
    }
    const reply = parsed.value;
    if (reply.type === 'ready') {
      if (reply.protocolVersion !== PROTOCOL_VERSION) {
        // Same envelope version but a different protocol inside would be a build mix-up; refuse to talk to it.
        session.handle.kill();
        return;
      }
      onReady();
      return;
    }
    if (reply.id === null) {
      this.log.warn('MPC host refused a message it could not attribute', { reason: reply.type === 'error' ? reply.message : reply.type });
      return;
    }
    const pending = session.pending.get(reply.id);
    if (reply.type === 'progress') {
      // Not an answer: the request stays pending. Late progress (its request timed out) is dropped quietly.
      if (pending?.onProgress) this.notify(pending.onProgress, reply);
      return;
    }
    if (!pending) {
      // Late answers to requests that already timed out land here.
      this.log.warn('MPC host answered a request nobody is waiting for', { id: reply.id, type: reply.type });
      return;
    }
    this.settle(session, reply.id, pending);
    if (reply.type === 'error') {
      pending.reject(hostError(pending.type, reply));
    } else if (reply.type !== pending.expect) {
      pending.reject(new CustosError('MPC_PROTOCOL', `The MPC host answered "${pending.type}" with "${reply.type}" instead of "${pending.expect}".`));
    } else {
      pending.resolve(reply);
    }
  }

  private notify(listener: (progress: CeremonyProgress) => void, event: { ceremonyId: string; step: CeremonyStep; done: number; total: number }): void {
    try {
      listener({ ceremonyId: event.ceremonyId, step: event.step, done: event.done, total: event.total });
    } catch (err) {
      this.log.warn('A progress listener of an MPC ceremony failed', { reason: err instanceof Error ? err.message : String(err) });
    }
  }

  private settle(session: Session, id: string, pending: Pending): void {
    clearTimeout(pending.timer);
    session.pending.delete(id);
  }
}

/** The host's refusal as a CustosError; a ceremony's failure keeps its ceremony, kind and culprit in `details`. */
function hostError(type: HostRequestType, reply: ErrorReply): CustosError {
  const details: Record<string, string | number | null> = {};
  if (reply.resendFrom !== undefined) details.resendFrom = reply.resendFrom;
  if (reply.ceremonyId !== undefined) details.ceremonyId = reply.ceremonyId;
  if (reply.failure !== undefined) details.failure = reply.failure;
  if (reply.culprit !== undefined) details.culprit = reply.culprit;
  const verb = reply.failure && reply.failure !== 'request' && reply.failure !== 'busy' ? 'failed' : 'refused';
  return new CustosError(reply.code, `The MPC host ${verb} "${type}": ${reply.message}`, Object.keys(details).length ? details : undefined);
}

/** A reply that validated but whose key does not hold together is the host's fault, said as MPC_PROTOCOL. */
function decoded<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof WireError) throw new CustosError('MPC_PROTOCOL', `The MPC host answered with ${err.message}. Nothing was kept; run it again.`);
    throw err;
  }
}

function describeExit(exit: HostExit): string {
  if (exit.error) return `failed (${exit.error})`;
  if (exit.signal) return `was stopped by signal ${exit.signal}`;
  return `exited with code ${exit.code ?? 'unknown'}`;
}

function stateOf(reply: SignerStateReply): SignerStatus {
  return { hostId: reply.hostId, anchor: reply.anchor, pinnedSeq: reply.pinnedSeq, problem: reply.problem, notice: reply.notice };
}

const unsealingToWire = (s: UnsealingParty) => ({ partyId: s.partyId, sealed: bytesToHex(s.sealed), unsealSecret: bytesToHex(s.unsealSecret), useSignature: s.useSignature });

function keyedFromWire(reply: Extract<HostReply, { type: 'wallet.keyed' }>): KeyedOutcome {
  return {
    ceremonyId: reply.ceremonyId,
    walletId: reply.walletId,
    ceremony: reply.ceremony,
    keyVersion: reply.keyVersion,
    groupKey: groupKeyFromWire(reply.groupKey, 'group key the host returned'),
    shares: reply.shares.map(sealedShareFromWire),
  };
}

function deadHandle(): HostHandle {
  return { pid: undefined, postMessage: () => {}, onMessage: () => {}, onExit: () => {}, kill: () => {} };
}
