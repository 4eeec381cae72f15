// One party's side of an MPC session over an untrusted relay: seal and sign, resend until acknowledged, drop duplicates, echo-check broadcasts, expire.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { decodePayload, encodePayload } from '../../crypto/relay/codec';
import { compareEcho, readEcho, type EchoEntry } from '../../crypto/relay/echo';
import {
  MAX_ACKS_PER_ENVELOPE, RELAY_CAUSED, RELAY_PROTOCOL_VERSION, RelayOpenError, contentHash, encodeEnvelope, openEnvelope, sealEnvelope,
  type EnvelopeEvidence, type EnvelopeHeader, type RelayOpenErrorCode,
} from '../../crypto/relay/envelope';
import type { TransportDirectory, TransportKeys } from '../../crypto/relay/keys';
import { CeremonyError } from '../../crypto/frost/errors';
import { BROADCAST } from '../../crypto/frost/types';
import type { CeremonyDriver, CeremonyMessage } from './drivers';
import type { RelaySubscription, RelayTransport } from './transport';

export type RelaySessionErrorCode =
  /** A party sent something its own signature proves: a bad share, two different broadcasts, a malformed message. */
  | 'CULPRIT'
  /** Echoes differ and no party's signature explains it. */
  | 'RELAY_EQUIVOCATION'
  /** A round did not complete before the session's expiry (a party is down, or a relay drops its messages). */
  | 'NO_ANSWER'
  /** Another member ended the session and said why (its words are quoted; they prove nothing by themselves). */
  | 'PEER_ABORTED'
  /** A member signed envelopes for another context (another log head): the server may show two histories. */
  | 'CONTEXT_MISMATCH'
  /** Closed by its owner before it ended. */
  | 'CLOSED'
  /** The transport refused or lost this party's subscription (NATS permissions, a closed connection). */
  | 'TRANSPORT'
  /** This party's own fault (a bug, a transport that cannot publish). */
  | 'INTERNAL';

export class RelaySessionError extends Error {
  readonly code: RelaySessionErrorCode;
  readonly culprit: string | null;
  /** For NO_ANSWER: the parties that did not answer. */
  readonly missing: string[];
  constructor(code: RelaySessionErrorCode, message: string, opts: { culprit?: string | null; missing?: string[]; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'RelaySessionError';
    this.code = code;
    this.culprit = opts.culprit ?? null;
    this.missing = opts.missing ?? [];
  }
}

export type RelayEvent =
  | { type: 'refused'; code: RelayOpenErrorCode; claimedFrom: string | undefined; message: string }
  | { type: 'duplicate'; from: string; counter: number }
  | { type: 'round-verified'; round: number }
  /** A member's ceremony message of `round` arrived (once per message, duplicates aside): who answered which round. */
  | { type: 'received'; from: string; round: number }
  | { type: 'resent'; count: number };

export type RelaySessionOptions<R> = {
  vaultId: string;
  /** This party's transport keys (its address is driver.self). */
  keys: TransportKeys;
  directory: TransportDirectory;
  transport: RelayTransport;
  driver: CeremonyDriver<R>;
  /** Milliseconds since the epoch: every envelope carries it, and the session aborts when it passes. */
  expiresAt: number;
  now?: () => number;
  /** How long an unacknowledged envelope waits before it is sent again (ms). */
  resendMs?: number;
  /** How long the session keeps acknowledging others' resends after it finished (ms). */
  lingerMs?: number;
  /** How long an ack waits for an envelope to ride on before it goes alone (ms). */
  ackDelayMs?: number;
  /**
   * Lowercase hex SHA-256 of what all members must share to take part, e.g. the vault log's head hash and the
   * request's digest. Every envelope carries it; one signed with another ends the session (CONTEXT_MISMATCH).
   */
  context?: string;
  onEvent?: (e: RelayEvent) => void;
};

export type RelaySessionResult<R> = {
  result: R;
  /** Parties that never acknowledged something this party sent, when the session ended at its expiry. */
  unacknowledged: string[];
};

export const DEFAULT_RESEND_MS = 1000;

/** `due`: when it goes again if still unacknowledged; `tries`: how many times it went (the wait doubles, up to 8×). */
type Outgoing = { to: string; kind: string; round: number; bytes: Uint8Array; acked: boolean; due: number; tries: number };
type Held = { message: CeremonyMessage; incoming: boolean };

/**
 * Drives one party. Rules:
 * - Every envelope but a pure ack is resent, unchanged, until its recipient acknowledges its counter: after `resendMs`,
 *   then waiting twice as long each time, up to 8 × `resendMs`.
 *   Acks are counters in the signed header of the next envelope to that party; when none goes within `ackDelayMs`, a
 *   pure ack envelope (never itself acknowledged) carries them. A duplicate gets the envelope that acknowledged it again.
 * - A duplicate (a sender's counter seen before) is dropped after its ack.
 * - After a broadcast round, each party sends every other member an echo (per sender: the content hash and the signed
 *   header it received, as evidence). Messages of a later round, in and out, wait until every member's echo matches
 *   this party's view; a difference ends the session naming the sender who signed two broadcasts, or saying "relay
 *   equivocation". The echo goes out before this party compares, so its evidence reaches the others even if it aborts.
 * - Every envelope carries the session's `context`; one signed with another ends the session (CONTEXT_MISMATCH).
 * - A party that aborts tells the others (a signed 'relay/abort', best effort), so they stop too (PEER_ABORTED).
 * - Envelopes that fail a check a relay can cause (signature, recipient, session, vault, expiry) are dropped and
 *   counted; what a valid signature proves (undecryptable, mismatched or malformed content, a bad FROST message) ends
 *   the session naming its sender.
 * - At `expiresAt` an unfinished session aborts naming who did not answer. Any end wipes the ceremony's secrets.
 */
export class RelaySession<R> {
  private readonly now: () => number;
  private readonly resendMs: number;
  private readonly lingerMs: number;
  private readonly me: string;
  private readonly memberSet: ReadonlySet<string>;
  private phase: 'idle' | 'running' | 'done' | 'failed' = 'idle';
  private counter = 0;
  private readonly outgoing = new Map<number, Outgoing>();
  private readonly seen = new Map<string, Set<number>>();
  private held: Held[] = [];
  private readonly views = new Map<number, Map<string, { hash: string; evidence: EnvelopeEvidence | null }>>();
  private readonly echoes = new Map<number, Map<string, EchoEntry[]>>();
  private readonly echoSent = new Set<number>();
  private readonly verified = new Set<number>();
  private readonly refused = new Map<string, Map<RelayOpenErrorCode, number>>();
  /** Envelopes opened, by the SHA-256 of their bytes. */
  private readonly openedBytes = new Map<string, { from: string; counter: number; ack: boolean }>();
  /** Acks not yet sent, by the party they go to. */
  private readonly pendingAcks = new Map<string, Set<number>>();
  /** The envelope that carried the ack of (party, counter): sent again, unchanged, when that counter comes again. */
  private readonly ackCarriers = new Map<string, Uint8Array>();
  private ackTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly ackDelayMs: number;
  private subscription: RelaySubscription | null = null;
  private chain: Promise<void> = Promise.resolve();
  private resendTimer: ReturnType<typeof setInterval> | null = null;
  private expiryTimer: ReturnType<typeof setTimeout> | null = null;
  private lingerTimer: ReturnType<typeof setTimeout> | null = null;
  private settle: { resolve: (r: RelaySessionResult<R>) => void; reject: (e: RelaySessionError) => void } | null = null;
  /** Envelopes this party published, resends included (for tests and the bench). */
  published = 0;

  constructor(private readonly o: RelaySessionOptions<R>) {
    this.now = o.now ?? Date.now;
    this.resendMs = o.resendMs ?? DEFAULT_RESEND_MS;
    this.lingerMs = o.lingerMs ?? 5 * this.resendMs;
    this.ackDelayMs = o.ackDelayMs ?? 10;
    this.me = o.driver.self;
    this.memberSet = new Set(o.driver.members);
    if (!this.memberSet.has(this.me)) throw new Error('relay session: this party is not a member of its own session');
  }

  get sessionId(): string {
    return this.o.driver.sessionId;
  }

  /** Subscribes to this party's subject. Open every party before any starts, or the first envelopes wait for a resend. */
  async open(): Promise<void> {
    if (this.subscription !== null) return;
    const route = { vaultId: this.o.vaultId, sessionId: this.sessionId, party: this.me };
    // A copy of what the transport hands over: its buffer may be reused, and what is kept of it must not change.
    const sub = await this.o.transport.subscribe(route, (bytes) => {
      const copy = new Uint8Array(bytes);
      this.enqueue(() => this.onEnvelope(copy));
    });
    this.subscription = sub;
    void sub.closed.then((err) => {
      if (err instanceof Error && this.subscription === sub)
        this.enqueue(async () =>
          this.fail('TRANSPORT', `the relay refused or lost this party's subscription (${err.message}); check the server address and this party's permissions`, { cause: err }),
        );
    });
  }

  /** Runs the ceremony to its end: resolves with its result, or rejects with a RelaySessionError. */
  run(): Promise<RelaySessionResult<R>> {
    if (this.phase !== 'idle') throw new Error('relay session: run() called twice');
    this.phase = 'running';
    const done = new Promise<RelaySessionResult<R>>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.enqueue(async () => {
      await this.open();
      this.resendTimer = setInterval(() => this.resend(), this.resendMs);
      this.armExpiry();
      let first: CeremonyMessage[];
      try {
        first = this.o.driver.start();
      } catch (err) {
        return this.fail('INTERNAL', `the ceremony could not start: ${(err as Error).message}`, { cause: err });
      }
      await this.dispatch(first);
      this.checkDone();
    });
    return done;
  }

  /** Timers hold at most about 24 days: a longer session (an offline signer's) re-arms until its expiry. */
  private armExpiry(): void {
    const left = this.o.expiresAt - this.now();
    this.expiryTimer = setTimeout(
      () => (this.o.expiresAt - this.now() > 0 ? this.armExpiry() : this.enqueue(async () => this.onExpiry())),
      Math.min(Math.max(0, left), 2 ** 30),
    );
  }

  /** Ends the session now (an abort if it was still running), wiping its secrets and unsubscribing. */
  async close(): Promise<void> {
    if (this.phase === 'running') this.fail('CLOSED', 'the session was closed by its owner before it ended');
    // Acks still waiting for a ride go now, after whatever the session is still doing (a flush already under way
    // included): a party that finished and leaves should not leave the others resending until their expiry.
    if (this.phase === 'done') {
      this.enqueue(() => this.flushAcks());
      await this.chain;
    }
    this.stopTimers();
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    const sub = this.subscription;
    this.subscription = null;
    await sub?.close();
  }

  // ------------------------------------------------------------------ sending

  private enqueue(job: () => Promise<void>): void {
    this.chain = this.chain.then(job).catch((err: unknown) => {
      this.fail('INTERNAL', `the relay session hit an unexpected error: ${(err as Error).message}`, { cause: err });
    });
  }

  private gated(round: number): boolean {
    for (const r of this.o.driver.broadcasts.keys()) if (r < round && !this.verified.has(r)) return true;
    return false;
  }

  private async dispatch(messages: CeremonyMessage[]): Promise<void> {
    for (const m of messages) {
      if (this.phase !== 'running') return this.wipeMessage(m);
      if (this.gated(m.round)) this.held.push({ message: m, incoming: false });
      else await this.send(m);
    }
  }

  private async send(m: CeremonyMessage): Promise<void> {
    try {
      // Here, past the echo check, the message leaves: what must be on disk before it does is written now, or it stays.
      this.o.driver.beforeSend?.(m);
    } catch (err) {
      this.wipeMessage(m);
      throw err;
    }
    const plaintext = encodePayload(m);
    this.wipeMessage(m);
    try {
      if (m.to === BROADCAST) {
        const hash = contentHash(plaintext);
        this.view(m.round).set(this.me, { hash, evidence: null });
        for (const to of this.o.driver.members)
          if (to !== this.me) await this.seal({ kind: m.kind, round: m.round, to, broadcast: hash }, plaintext, true);
        await this.maybeEcho(m.round);
        await this.tryVerify(m.round);
      } else {
        await this.seal({ kind: m.kind, round: m.round, to: m.to }, plaintext, true);
      }
    } finally {
      plaintext.fill(0);
    }
  }

  private async seal(h: Pick<EnvelopeHeader, 'kind' | 'round' | 'to' | 'broadcast'>, plaintext: Uint8Array, track: boolean): Promise<Uint8Array> {
    const counter = ++this.counter;
    const header: EnvelopeHeader = {
      v: RELAY_PROTOCOL_VERSION,
      vaultId: this.o.vaultId,
      sessionId: this.sessionId,
      kind: h.kind,
      round: h.round,
      from: this.me,
      to: h.to,
      counter,
      expiresAt: this.o.expiresAt,
      ...(h.broadcast === undefined ? {} : { broadcast: h.broadcast }),
    };
    if (this.o.context !== undefined) header.context = this.o.context;
    const acks = this.takeAcks(h.to);
    if (acks.length > 0) header.acks = acks;
    const keys = this.o.directory(h.to);
    if (keys === null) throw new RelaySessionError('INTERNAL', `party ${h.to} has no registered transport key`);
    const bytes = encodeEnvelope(await sealEnvelope(header, plaintext, this.o.keys, keys.hpkeKey));
    for (const c of acks) this.ackCarriers.set(`${h.to} ${c}`, bytes);
    if (track) this.outgoing.set(counter, { to: h.to, kind: h.kind, round: h.round, bytes, acked: false, due: performance.now() + this.resendMs, tries: 1 });
    await this.publish(h.to, bytes);
    return bytes;
  }

  private async publish(to: string, bytes: Uint8Array): Promise<void> {
    this.published++;
    await this.o.transport.publish({ vaultId: this.o.vaultId, sessionId: this.sessionId, party: to }, bytes);
  }

  private resend(): void {
    if (this.phase !== 'running' && this.lingerTimer === null) return;
    let count = 0;
    const now = performance.now();
    for (const o of this.outgoing.values()) {
      if (o.acked || o.due > now) continue;
      count++;
      // Backing off keeps a slow or lossy path from drowning in its own resends.
      o.due = now + this.resendMs * 2 ** Math.min(o.tries, 3);
      o.tries++;
      // Unchanged bytes: the same counter, so a recipient that had it only acknowledges it again.
      this.publish(o.to, o.bytes).catch(() => undefined);
    }
    if (count > 0) this.o.onEvent?.({ type: 'resent', count });
  }

  /**
   * Acknowledges one envelope: queued to ride on the next envelope to its sender. For a counter acknowledged before,
   * the very envelope that carried the ack goes again, unchanged: a relay that drops each new envelope once then sees
   * the same bytes again, so resend and ack always meet.
   */
  private async ack(to: string, counter: number): Promise<void> {
    const carrier = this.ackCarriers.get(`${to} ${counter}`);
    if (carrier !== undefined) return this.publish(to, carrier);
    let set = this.pendingAcks.get(to);
    if (set === undefined) this.pendingAcks.set(to, (set = new Set()));
    set.add(counter);
    if (this.ackTimer === null) this.ackTimer = setTimeout(() => this.enqueue(() => this.flushAcks()), this.ackDelayMs);
  }

  private takeAcks(to: string): number[] {
    const set = this.pendingAcks.get(to);
    if (set === undefined || set.size === 0) return [];
    const all = [...set].sort((a, b) => a - b);
    const now = all.slice(0, MAX_ACKS_PER_ENVELOPE);
    for (const c of now) set.delete(c);
    return now;
  }

  /** Sends the acks that found no envelope to ride on, in pure ack envelopes (an empty payload). */
  private async flushAcks(): Promise<void> {
    this.ackTimer = null;
    if (this.phase === 'failed') return;
    for (const [to, set] of this.pendingAcks) {
      while (set.size > 0) {
        const payload = encodePayload({});
        await this.seal({ kind: 'relay/ack', round: 0, to }, payload, false);
      }
    }
  }

  // ------------------------------------------------------------------ receiving

  private async onEnvelope(bytes: Uint8Array): Promise<void> {
    if (this.phase === 'failed' || this.phase === 'idle') return;
    // The very bytes of an envelope already opened (checked in full then): acknowledged again without new work.
    const id = bytesToHex(sha256(bytes));
    const again = this.openedBytes.get(id);
    if (again !== undefined) {
      this.o.onEvent?.({ type: 'duplicate', from: again.from, counter: again.counter });
      if (again.ack) await this.ack(again.from, again.counter);
      return;
    }
    let opened;
    try {
      opened = await openEnvelope(bytes, {
        vaultId: this.o.vaultId,
        sessionId: this.sessionId,
        me: this.me,
        keys: this.o.keys,
        members: this.memberSet,
        directory: this.o.directory,
        now: this.now(),
        seen: (from, counter) => this.seen.get(from)?.has(counter) === true,
      });
    } catch (err) {
      if (!(err instanceof RelayOpenError)) throw err;
      if (RELAY_CAUSED.has(err.code)) return this.noteRefused(err);
      if (this.phase !== 'running') return;
      return this.fail('CULPRIT', `party ${err.claimedFrom} sent an envelope that fails its checks: ${err.message}`, { culprit: err.claimedFrom ?? null });
    }
    const h = opened.header;
    if (!opened.duplicate) this.openedBytes.set(id, { from: h.from, counter: h.counter, ack: h.kind !== 'relay/ack' && h.kind !== 'relay/abort' });
    if (h.context !== this.o.context && this.phase === 'running')
      return this.fail(
        'CONTEXT_MISMATCH',
        `party ${h.from} takes part with context ${h.context ?? '(none)'}, this party with ${this.o.context ?? '(none)'}: ` +
          'compare both log heads; the server may be showing two histories, or one party is behind',
        { culprit: null },
      );
    this.onAcks(h);
    if (opened.duplicate) {
      this.o.onEvent?.({ type: 'duplicate', from: h.from, counter: h.counter });
      if (h.kind !== 'relay/ack' && h.kind !== 'relay/abort') await this.ack(h.from, h.counter);
      return;
    }
    let set = this.seen.get(h.from);
    if (set === undefined) this.seen.set(h.from, (set = new Set()));
    set.add(h.counter);
    // An honest member sends a few envelopes per member and round; far more is a member flooding this party's memory.
    const cap = 16 * this.memberSet.size + 64;
    if (set.size > cap) return this.fail('CULPRIT', `party ${h.from} sent more than ${cap} envelopes in one session`, { culprit: h.from });
    let payload: unknown;
    try {
      payload = decodePayload(opened.plaintext);
    } catch (err) {
      return this.fail('CULPRIT', `party ${h.from} sent a payload that cannot be read: ${(err as Error).message}`, { culprit: h.from });
    } finally {
      opened.plaintext.fill(0);
    }
    if (h.kind === 'relay/ack') return;
    if (h.kind === 'relay/abort') return this.onPeerAbort(h, payload);
    await this.ack(h.from, h.counter);
    if (this.phase !== 'running') return;
    if (h.kind === 'relay/echo') return this.onEcho(h, payload);
    this.o.onEvent?.({ type: 'received', from: h.from, round: h.round });
    return this.onCeremonyMessage(h, payload, opened.evidence);
  }

  private noteRefused(err: RelayOpenError): void {
    // Members by name; anything else (a relay can write any sender into a header it forges) under one key.
    const who = err.claimedFrom !== undefined && this.memberSet.has(err.claimedFrom) ? err.claimedFrom : '(not a member, or unreadable)';
    let m = this.refused.get(who);
    if (m === undefined) this.refused.set(who, (m = new Map()));
    m.set(err.code, (m.get(err.code) ?? 0) + 1);
    this.o.onEvent?.({ type: 'refused', code: err.code, claimedFrom: err.claimedFrom, message: err.message });
  }

  /** Marks what the header acknowledges (it is signed by its sender, who can only acknowledge what was sent to it). */
  private onAcks(h: EnvelopeHeader): void {
    if (h.acks === undefined) return;
    for (const c of h.acks) {
      const o = this.outgoing.get(c);
      if (o !== undefined && o.to === h.from) o.acked = true;
    }
    this.checkDone();
  }

  private onPeerAbort(h: EnvelopeHeader, payload: unknown): void {
    if (this.phase !== 'running') return;
    const reason = (payload as { reason?: unknown } | null)?.reason;
    const said = typeof reason === 'string' ? reason.slice(0, 500) : '(no reason given)';
    this.fail('PEER_ABORTED', `party ${h.from} ended the session: ${said}`, { notify: false });
  }

  private async onCeremonyMessage(h: EnvelopeHeader, payload: unknown, evidence: EnvelopeEvidence): Promise<void> {
    const m = payload as CeremonyMessage | null;
    const broadcast = h.broadcast !== undefined;
    if (
      typeof m !== 'object' || m === null || m.kind !== h.kind || m.round !== h.round || m.from !== h.from ||
      m.ceremonyId !== this.sessionId || (broadcast ? m.to !== BROADCAST : m.to !== this.me)
    ) {
      this.wipeMessage(m);
      return this.fail('CULPRIT', `party ${h.from} signed an envelope whose header and message disagree`, { culprit: h.from });
    }
    if (broadcast) {
      const senders = this.o.driver.broadcasts.get(h.round);
      if (!senders?.includes(h.from)) return this.fail('CULPRIT', `party ${h.from} broadcast in round ${h.round}, where it has nothing to broadcast`, { culprit: h.from });
      const view = this.view(h.round);
      const had = view.get(h.from);
      if (had !== undefined) {
        if (had.hash === h.broadcast) return;
        return this.fail('CULPRIT', `party ${h.from} signed two different broadcasts for round ${h.round}`, { culprit: h.from });
      }
      view.set(h.from, { hash: h.broadcast as string, evidence });
    }
    if (this.o.driver.finished) return this.wipeMessage(m);
    if (this.gated(m.round)) this.held.push({ message: m, incoming: true });
    else await this.feed(m);
    if (broadcast) {
      await this.maybeEcho(h.round);
      await this.tryVerify(h.round);
    }
  }

  private async feed(m: CeremonyMessage): Promise<void> {
    let out: CeremonyMessage[];
    try {
      out = this.o.driver.step(m);
    } catch (err) {
      if (err instanceof CeremonyError) {
        const culprit = err.culprit ?? null;
        return this.fail(culprit ? 'CULPRIT' : 'INTERNAL', culprit ? `party ${culprit} sent a message that fails its checks: ${err.reason}` : `the ceremony failed: ${err.reason}`, { culprit, cause: err });
      }
      throw err;
    } finally {
      this.wipeMessage(m);
    }
    await this.dispatch(out);
    this.checkDone();
  }

  // ------------------------------------------------------------------ echo check

  private view(round: number): Map<string, { hash: string; evidence: EnvelopeEvidence | null }> {
    let v = this.views.get(round);
    if (v === undefined) this.views.set(round, (v = new Map()));
    return v;
  }

  private viewComplete(round: number, includingMine: boolean): boolean {
    const v = this.view(round);
    return (this.o.driver.broadcasts.get(round) ?? []).every((s) => (s === this.me ? !includingMine || v.has(s) : v.has(s)));
  }

  /**
   * Once every other sender's broadcast of `round` is in, tells every other member what was received. Sent before this
   * party compares anything, so that even if it aborts on what it finds, the others get its evidence and find it too.
   */
  private async maybeEcho(round: number): Promise<void> {
    if (this.echoSent.has(round) || !this.viewComplete(round, false)) return;
    this.echoSent.add(round);
    const entries: EchoEntry[] = [];
    for (const [from, { hash, evidence }] of this.view(round)) if (from !== this.me) entries.push({ from, hash, evidence: evidence as EnvelopeEvidence });
    const plaintext = encodePayload({ entries });
    for (const to of this.o.driver.members) if (to !== this.me && this.phase === 'running') await this.seal({ kind: 'relay/echo', round, to }, plaintext, true);
  }

  private async onEcho(h: EnvelopeHeader, payload: unknown): Promise<void> {
    const entries = readEcho(payload);
    if (entries === null || !this.o.driver.broadcasts.has(h.round))
      return this.fail('CULPRIT', `party ${h.from} sent a malformed echo`, { culprit: h.from });
    let got = this.echoes.get(h.round);
    if (got === undefined) this.echoes.set(h.round, (got = new Map()));
    if (!got.has(h.from)) got.set(h.from, entries);
    await this.tryVerify(h.round);
  }

  private async tryVerify(round: number): Promise<void> {
    if (this.verified.has(round) || this.phase !== 'running' || !this.viewComplete(round, true)) return;
    const mine = new Map([...this.view(round)].map(([from, v]) => [from, v.hash]));
    const got = this.echoes.get(round) ?? new Map<string, EchoEntry[]>();
    for (const [echoer, entries] of got) {
      const verdict = compareEcho({ vaultId: this.o.vaultId, sessionId: this.sessionId, round, mine, directory: this.o.directory }, echoer, entries);
      if (!verdict.ok)
        return verdict.code === 'CULPRIT'
          ? this.fail('CULPRIT', verdict.reason, { culprit: verdict.culprit })
          : this.fail('RELAY_EQUIVOCATION', verdict.reason);
    }
    if (this.o.driver.members.some((p) => p !== this.me && !got.has(p))) return;
    this.verified.add(round);
    this.o.onEvent?.({ type: 'round-verified', round });
    const held = this.held;
    this.held = [];
    for (const x of held) {
      if (this.phase !== 'running') {
        this.wipeMessage(x.message);
      } else if (this.gated(x.message.round)) {
        this.held.push(x);
      } else if (x.incoming) {
        if (this.o.driver.finished) this.wipeMessage(x.message);
        else await this.feed(x.message);
      } else {
        await this.send(x.message);
      }
    }
    this.checkDone();
  }

  // ------------------------------------------------------------------ ending

  private checkDone(): void {
    if (this.phase !== 'running' || !this.o.driver.finished || this.held.length > 0) return;
    // A ceremony can finish inside a broadcast round (refresh, reshare): its result stands only once the echoes agree.
    for (const r of this.o.driver.broadcasts.keys()) if (!this.verified.has(r)) return;
    for (const o of this.outgoing.values()) if (!o.acked) return;
    this.succeed([]);
  }

  private onExpiry(): void {
    if (this.phase !== 'running') return;
    const unacked = [...new Set([...this.outgoing.values()].filter((o) => !o.acked).map((o) => o.to))];
    const echoed = [...this.o.driver.broadcasts.keys()].every((r) => this.verified.has(r));
    if (this.o.driver.finished && this.held.length === 0 && echoed) return this.succeed(unacked);
    const stall = this.stall(unacked);
    const refused = this.refusedSummary();
    this.fail(
      'NO_ANSWER',
      `${stall.parties.length === 1 ? 'party' : 'parties'} ${stall.parties.join(', ') || '(none)'} did not answer round ${stall.round} before expiry; a faulty relay can also cause this${refused}`,
      { missing: stall.parties },
    );
  }

  /** Whom this party was waiting for when the session expired. */
  private stall(unacked: string[]): { round: number; parties: string[] } {
    for (const [round, senders] of [...this.o.driver.broadcasts].sort((a, b) => a[0] - b[0])) {
      if (this.verified.has(round)) continue;
      const v = this.view(round);
      const missing = senders.filter((s) => s !== this.me && !v.has(s));
      if (missing.length > 0) return { round, parties: missing };
      const echoed = this.echoes.get(round) ?? new Map();
      const silent = this.o.driver.members.filter((p) => p !== this.me && !echoed.has(p));
      if (silent.length > 0) return { round, parties: silent };
    }
    const w = this.o.driver.waitingFor();
    if (w !== null && w.parties.length > 0) return w;
    return { round: Math.max(0, ...[...this.outgoing.values()].filter((o) => !o.acked).map((o) => o.round)), parties: unacked };
  }

  private refusedSummary(): string {
    const parts: string[] = [];
    for (const [who, codes] of this.refused) for (const [code, n] of codes) parts.push(`${n} claiming to come from ${who} (${code})`);
    return parts.length === 0 ? '' : `; envelopes refused on arrival: ${parts.join(', ')}`;
  }

  private succeed(unacknowledged: string[]): void {
    let result: R;
    try {
      result = this.o.driver.result();
    } catch (err) {
      return this.fail('INTERNAL', `the ceremony finished without a result: ${(err as Error).message}`, { cause: err });
    }
    this.phase = 'done';
    this.stopTimers();
    if (this.ackTimer !== null) {
      clearTimeout(this.ackTimer);
      this.enqueue(() => this.flushAcks());
    }
    // Keep acknowledging others' resends a little while (one of our acks may have been lost), then unsubscribe.
    this.resendTimer = setInterval(() => this.resend(), this.resendMs);
    this.lingerTimer = setTimeout(() => void this.close(), this.lingerMs);
    this.settle?.resolve({ result, unacknowledged });
    this.settle = null;
  }

  private fail(
    code: RelaySessionErrorCode,
    message: string,
    opts: { culprit?: string | null; missing?: string[]; cause?: unknown; notify?: boolean } = {},
  ): void {
    if (this.phase === 'failed' || this.phase === 'done') return;
    const started = this.phase === 'running';
    this.phase = 'failed';
    if (this.ackTimer) clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (started && opts.notify !== false) void this.notifyAbort(message);
    this.o.driver.abort(message);
    for (const x of this.held) this.wipeMessage(x.message);
    this.held = [];
    this.stopTimers();
    const sub = this.subscription;
    this.subscription = null;
    void sub?.close();
    this.settle?.reject(new RelaySessionError(code, message, opts));
    this.settle = null;
  }

  /**
   * Tells every other member, once and without waiting for acks, that this party ended the session and why, so they
   * stop waiting for it instead of running to the expiry. A peer's notice ends a session but never names a culprit.
   */
  private async notifyAbort(reason: string): Promise<void> {
    const payload = encodePayload({ reason });
    try {
      for (const to of this.o.driver.members) if (to !== this.me) await this.seal({ kind: 'relay/abort', round: 0, to }, payload, false);
    } catch {
      // Best effort: the others still end at the expiry.
    } finally {
      payload.fill(0);
    }
  }

  private stopTimers(): void {
    if (this.resendTimer) clearInterval(this.resendTimer);
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    this.resendTimer = null;
    this.expiryTimer = null;
  }

  private wipeMessage(m: CeremonyMessage | null): void {
    if (m === null || typeof m !== 'object') return;
    for (const b of this.o.driver.secretFields(m)) if (b instanceof Uint8Array) b.fill(0);
  }
}
