// Adapters that let the relay session run one party of crypto/frost's state machines (signing, DKG) without knowing their insides.
import { dkgAbort, dkgFinish, dkgStart, dkgStep, type DkgConfig, type DkgMessage, type DkgState } from '../../crypto/frost/dkg';
import { reshareAbort, reshareFinish, reshareStart, reshareStep, type ReshareConfig, type ReshareMessage, type ReshareState } from '../../crypto/frost/reshare';
import { signAbort, signStart, signStep, type SigningConfig, type SigningNonces, type SignMessage, type SignState } from '../../crypto/frost/sign';
import { BROADCAST, COORDINATOR, type GroupKey, type PartyId, type Rng, type SecretShare } from '../../crypto/frost/types';
import { wipeShare } from '../../crypto/frost/wipe';

/** The fields of a ceremony message the relay routes by (crypto/frost's MessageHeader plus its kind). */
export type CeremonyMessage = { kind: string; ceremonyId: string; round: number; from: string; to: string };

/**
 * One party of one ceremony as the relay session drives it. Parties are relay addresses: FROST party ids and, for
 * signing, "coordinator". The session id is the ceremony id.
 */
export interface CeremonyDriver<R> {
  readonly sessionId: string;
  readonly self: string;
  readonly members: readonly string[];
  /** Rounds whose messages are broadcasts, and who broadcasts in each: those rounds are echo-checked. */
  readonly broadcasts: ReadonlyMap<number, readonly string[]>;
  start(): CeremonyMessage[];
  /** Feeds one message; throws crypto/frost's CeremonyError (naming a culprit where there is one). */
  step(message: unknown): CeremonyMessage[];
  readonly finished: boolean;
  result(): R;
  /** What this party still waits for, for the message of a session that expired. */
  waitingFor(): { round: number; parties: string[] } | null;
  /** Byte fields of a message that are secret (a DKG share): wiped once sealed or consumed. */
  secretFields(message: CeremonyMessage): Uint8Array[];
  /** Ends the ceremony and wipes its nonces, shares and secrets; the driver answers nothing afterwards. */
  abort(reason: string): void;
  /**
   * Runs right before one of this party's messages leaves (a message held for the echo check runs it once released,
   * one that never leaves never does); a throw keeps the message from leaving and ends the session.
   */
  beforeSend?(message: CeremonyMessage): void;
}

export type SignResult = { signatures: Uint8Array[] | null };

/**
 * A signer (self = its party id, with its share) or the coordinator (self = null, no share). The driver owns `share`
 * from here on: it wipes it when the session ends, whichever way.
 */
export class SignDriver implements CeremonyDriver<SignResult> {
  readonly sessionId: string;
  readonly self: string;
  readonly members: readonly string[];
  readonly broadcasts: ReadonlyMap<number, readonly string[]>;
  private state: SignState | null = null;
  /** This signer's nonces, kept so tests (and the host's log) can see they were used once and wiped. */
  nonces: SigningNonces | null = null;
  /** How many signature-share messages this party released: 0 or 1 per session, whatever the relay does. */
  sharesMade = 0;

  constructor(
    private readonly config: SigningConfig,
    private share: SecretShare | null,
    private readonly rng: Rng,
    /**
     * `beforeShare` runs before this signer's signature share leaves (a signer node journals it): when the session sends
     * it, not when it is made, so a share held for the echo check of a coordinator that died never burns the request.
     */
    private readonly hooks: { beforeShare?: () => void } = {},
  ) {
    this.sessionId = config.sessionId;
    this.self = config.self ?? COORDINATOR;
    this.members = [...config.signers, COORDINATOR];
    this.broadcasts = new Map([[1, [...config.signers]]]);
  }

  get signState(): SignState | null {
    return this.state;
  }

  start(): CeremonyMessage[] {
    const r = signStart(this.config, this.share, this.rng);
    this.state = r.state;
    this.nonces = r.state.secret.nonces;
    return r.outbox;
  }

  step(message: unknown): CeremonyMessage[] {
    if (this.state === null) throw new Error('signing session not started');
    const r = signStep(this.state, message);
    this.state = r.state;
    this.sharesMade += r.outbox.filter((m) => m.kind === 'sign/share').length;
    if (this.finished) this.wipe();
    return r.outbox;
  }

  get finished(): boolean {
    return this.state?.public.phase === 'done';
  }

  beforeSend(message: CeremonyMessage): void {
    if (message.kind === 'sign/share') this.hooks.beforeShare?.();
  }

  result(): SignResult {
    const sigs = this.state?.public.signatures;
    return { signatures: this.config.self === null && sigs ? sigs.map((s) => s.slice()) : null };
  }

  waitingFor(): { round: number; parties: string[] } | null {
    const pub = this.state?.public;
    if (!pub) return null;
    const others = pub.config.signers.filter((s) => s !== this.config.self);
    if (pub.phase === 'commit') return { round: 1, parties: others.filter((s) => pub.commitments[s] === undefined) };
    if (pub.phase === 'share' && this.config.self === null) return { round: 2, parties: others.filter((s) => pub.shares[s] === undefined) };
    return null;
  }

  secretFields(): Uint8Array[] {
    // Commitments are public; a signature share is public once sent (it reveals nothing without the nonces).
    return [];
  }

  abort(reason: string): void {
    if (this.state) signAbort(this.state, reason);
    this.wipe();
  }

  private wipe(): void {
    if (this.share) wipeShare(this.share);
    this.share = null;
  }
}

export type DkgResult = { groupKey: GroupKey; share: SecretShare };

/** One DKG party. Its final share is handed to the caller (to seal it) by `result()`, once. */
export class DkgDriver implements CeremonyDriver<DkgResult> {
  readonly sessionId: string;
  readonly self: string;
  readonly members: readonly string[];
  readonly broadcasts: ReadonlyMap<number, readonly string[]>;
  private state: DkgState | null = null;

  constructor(
    private readonly config: DkgConfig,
    private readonly entropy: { rng: Rng; deviceEntropy: Uint8Array },
  ) {
    this.sessionId = config.ceremonyId;
    this.self = config.self;
    this.members = [...config.parties];
    this.broadcasts = new Map([[1, [...config.parties]]]);
  }

  start(): CeremonyMessage[] {
    const r = dkgStart(this.config, this.entropy);
    this.state = r.state;
    return r.outbox;
  }

  step(message: unknown): CeremonyMessage[] {
    if (this.state === null) throw new Error('DKG not started');
    const r = dkgStep(this.state, message);
    this.state = r.state;
    return r.outbox;
  }

  get finished(): boolean {
    return this.state?.public.phase === 'done';
  }

  result(): DkgResult {
    if (this.state === null) throw new Error('DKG not started');
    return dkgFinish(this.state);
  }

  waitingFor(): { round: number; parties: string[] } | null {
    const pub = this.state?.public;
    if (!pub) return null;
    const others = pub.config.parties.filter((p) => p !== this.self);
    if (pub.phase === 'round1') return { round: 1, parties: others.filter((p) => pub.round1[p] === undefined) };
    if (pub.phase === 'round2') return { round: 2, parties: others.filter((p) => !pub.round2From.includes(p as PartyId)) };
    return null;
  }

  secretFields(message: CeremonyMessage): Uint8Array[] {
    return message.kind === 'dkg/round2' ? [(message as DkgMessage & { kind: 'dkg/round2' }).signingShare] : [];
  }

  /** Also after this party finished: a session that ends in failure keeps no share of a key others may not have. */
  abort(reason: string): void {
    if (this.state === null) return;
    dkgAbort(this.state, reason);
    const share = this.state.secret?.share;
    if (share) wipeShare(share);
    this.state.secret = null;
  }
}

export type ReshareResult = { groupKey: GroupKey; share: SecretShare | null };

/**
 * One party of a refresh or reshare: a dealer (with its current share, which the driver owns and wipes at the end), a
 * receiver, or both. Commitments and sub-shares are one round: the session completes only once that round's echo
 * check passed, and an abort after this party computed its new share wipes that share too.
 */
export class ReshareDriver implements CeremonyDriver<ReshareResult> {
  readonly sessionId: string;
  readonly self: string;
  readonly members: readonly string[];
  readonly broadcasts: ReadonlyMap<number, readonly string[]>;
  private state: ReshareState | null = null;

  constructor(
    private readonly config: ReshareConfig,
    private share: SecretShare | null,
    private readonly entropy: { rng: Rng; deviceEntropy: Uint8Array } | null,
  ) {
    this.sessionId = config.ceremonyId;
    this.self = config.self;
    this.members = [...new Set([...config.dealers, ...config.receivers])];
    this.broadcasts = new Map([[1, [...config.dealers]]]);
  }

  start(): CeremonyMessage[] {
    const r = reshareStart(this.config, this.share, this.entropy);
    this.state = r.state;
    return r.outbox;
  }

  step(message: unknown): CeremonyMessage[] {
    if (this.state === null) throw new Error('reshare not started');
    const r = reshareStep(this.state, message);
    this.state = r.state;
    return r.outbox;
  }

  get finished(): boolean {
    return this.state?.public.phase === 'done';
  }

  result(): ReshareResult {
    if (this.state === null) throw new Error('reshare not started');
    const r = reshareFinish(this.state);
    this.wipeOld();
    return r;
  }

  waitingFor(): { round: number; parties: string[] } | null {
    const pub = this.state?.public;
    if (!pub || pub.phase !== 'collecting') return null;
    const cfg = pub.config;
    const missing = cfg.dealers.filter((d) => d !== this.self && (pub.commitments[d] === undefined || (cfg.receivers.includes(cfg.self) && !pub.sharesFrom.includes(d))));
    return { round: 1, parties: missing };
  }

  secretFields(message: CeremonyMessage): Uint8Array[] {
    return message.kind === 'reshare/share' ? [(message as ReshareMessage & { kind: 'reshare/share' }).share] : [];
  }

  abort(reason: string): void {
    if (this.state !== null) {
      reshareAbort(this.state, reason);
      const fresh = this.state.secret?.newShare;
      if (fresh) wipeShare(fresh);
      this.state.secret = null;
    }
    this.wipeOld();
  }

  private wipeOld(): void {
    if (this.share) wipeShare(this.share);
    this.share = null;
  }
}

export const isBroadcast = (m: CeremonyMessage): boolean => m.to === BROADCAST;
export type { SignMessage };
