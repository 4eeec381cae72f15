// Refresh (new shares, same parties) and reshare (new parties and/or threshold), same group key, as one state machine.
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { checkBytes, checkBytesArray, checkCeremonyId, checkHeader, checkParties, isPartyId } from './check.js';
import { Fn, Point, commitmentEval, idToScalar, lagrangeAtZero, parsePoint, polyEval, sameBytes } from './curve.js';
import type { Point as P } from './curve.js';
import { mixedRng } from './entropy.js';
import { CeremonyError, asCeremonyError } from './errors.js';
import type { CeremonyFailure } from './errors.js';
import { BROADCAST } from './types.js';
import type { GroupKey, MessageHeader, PartyId, PublicPackage, Rng, SecretShare } from './types.js';
import { wipeShare } from './wipe.js';

/*
 * Both modes: each dealer i draws a polynomial g_i of degree t'-1, broadcasts commitments to its coefficients and sends
 * g_i(j) to each receiver j; receiver j's new share is Σ_i g_i(j) (+ its old share when refreshing).
 *
 * - refresh: dealers = receivers = all current parties, t' = t, g_i(0) = 0 (the constant commitment is omitted, so
 *   a dealer cannot move the key). New share = old share + Σ_i g_i(j): any old share mixed with new ones is off the
 *   new polynomial, so old shares are useless once every party has erased its old share.
 * - reshare: dealers = any ≥ t current parties, receivers = the new parties, t' = the new threshold,
 *   g_i(0) = λ_i·s_i (Lagrange weight over the dealer set). Receivers check C_i0 == λ_i·Y_i against the old verifying
 *   share Y_i, so Σ_i C_i0 is the unchanged group key Q and the Taproot address stays the same.
 */

export type ReshareMode = 'refresh' | 'reshare';

export type ReshareConfig = {
  ceremonyId: string;
  mode: ReshareMode;
  self: PartyId;
  /** The key as it is now (public). */
  current: GroupKey;
  /** Parties holding a current share that contribute (refresh: all current parties). */
  dealers: PartyId[];
  /** Parties that get a new share (refresh: the current parties). */
  receivers: PartyId[];
  /** Threshold of the new sharing (refresh: the current threshold). */
  threshold: number;
};

/** Round 1, broadcast by each dealer: commitments to its polynomial (refresh: without the constant term). */
export type ReshareCommitMessage = MessageHeader & { kind: 'reshare/commit'; round: 1; to: typeof BROADCAST; commitment: Uint8Array[] };

/** Round 1, from a dealer to one receiver: g_i(receiver). SECRET: the transport encrypts it to the receiver. */
export type ReshareShareMessage = MessageHeader & { kind: 'reshare/share'; round: 1; to: PartyId; share: Uint8Array };

export type ReshareMessage = ReshareCommitMessage | ReshareShareMessage;

export type ResharePublicState = {
  config: ReshareConfig;
  phase: 'collecting' | 'done' | 'failed';
  commitments: Record<PartyId, Uint8Array[]>;
  sharesFrom: PartyId[];
  /** The key after the ceremony: same group key, new parties/threshold, new verifying shares. */
  result?: GroupKey;
  failure?: CeremonyFailure;
};

export type ReshareSecretState = {
  oldShare: SecretShare | null;
  /** Sub-shares addressed to this party (its own included when it is also a dealer). */
  received: Record<PartyId, Uint8Array>;
  points: Map<PartyId, P[]>;
  newShare?: SecretShare;
};

export type ReshareState = { public: ResharePublicState; secret: ReshareSecretState | null };
export type ReshareStepResult = { state: ReshareState; outbox: ReshareMessage[] };

function checkConfig(c: ReshareConfig): ReshareConfig {
  const ceremonyId = checkCeremonyId(c.ceremonyId);
  if (c.mode !== 'refresh' && c.mode !== 'reshare') throw new CeremonyError('BAD_CONFIG', 'mode must be refresh or reshare');
  const dealers = checkParties(c.dealers, 'dealers');
  const receivers = checkParties(c.receivers, 'receivers');
  const cur = c.current;
  for (const d of dealers) if (!cur.parties.includes(d)) throw new CeremonyError('BAD_CONFIG', `dealer ${d} holds no current share`);
  if (dealers.length < cur.threshold) throw new CeremonyError('BAD_CONFIG', `${dealers.length} dealers; the current key needs ${cur.threshold}`);
  const t = c.threshold;
  if (!Number.isSafeInteger(t) || t < 2 || t > receivers.length)
    throw new CeremonyError('BAD_CONFIG', `threshold ${t} must be between 2 and the number of receivers (${receivers.length})`);
  if (c.mode === 'refresh') {
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const parties = checkParties(cur.parties);
    if (!same(dealers, parties) || !same(receivers, parties) || t !== cur.threshold)
      throw new CeremonyError('BAD_CONFIG', 'a refresh keeps the same parties (all of them deal and receive) and the same threshold');
  }
  if (!isPartyId(c.self) || (!dealers.includes(c.self) && !receivers.includes(c.self)))
    throw new CeremonyError('BAD_CONFIG', 'self is neither a dealer nor a receiver');
  return { ceremonyId, mode: c.mode, self: c.self, current: cur, dealers, receivers, threshold: t };
}

/**
 * Starts this party's part. A dealer passes its current share and the RNG inputs (mixed with its device's entropy as
 * in the DKG); a receiver that is not a dealer passes `share: null`.
 */
export function reshareStart(
  config: ReshareConfig,
  share: SecretShare | null,
  opts: { rng: Rng; deviceEntropy: Uint8Array } | null,
): ReshareStepResult {
  const cfg = checkConfig(config);
  const state: ReshareState = {
    public: { config: cfg, phase: 'collecting', commitments: {}, sharesFrom: [] },
    secret: { oldShare: share, received: {}, points: new Map() },
  };
  const secret = state.secret as ReshareSecretState;
  if (!cfg.dealers.includes(cfg.self)) return { state, outbox: [] };
  if (share === null || share.identifier !== cfg.self || opts === null)
    throw new CeremonyError('BAD_CONFIG', 'a dealer needs its own current share and randomness');
  try {
    schnorr_FROST.validateSecret(share, cfg.current.publicPackage);
  } catch {
    throw new CeremonyError('BAD_CONFIG', 'the dealer\'s share does not belong to the current key');
  }
  const rng = mixedRng(opts.rng, opts.deviceEntropy, cfg.mode, cfg.ceremonyId, cfg.self);
  const coeffs: bigint[] = [];
  try {
    const s = Fn.fromBytes(share.signingShare);
    const ids = cfg.dealers.map(idToScalar);
    coeffs.push(cfg.mode === 'refresh' ? 0n : Fn.mul(lagrangeAtZero(ids, idToScalar(cfg.self)), s));
    for (let k = 1; k < cfg.threshold; k++) coeffs.push(Fn.fromBytes(schnorr_FROST.utils.randomScalar(rng)));
    const pts = coeffs.map((c, k) => (k === 0 && cfg.mode === 'refresh' ? Point.ZERO : Point.BASE.multiply(c)));
    const commitment = (cfg.mode === 'refresh' ? pts.slice(1) : pts).map((p) => p.toBytes(true));
    state.public.commitments[cfg.self] = commitment;
    secret.points.set(cfg.self, pts);
    const outbox: ReshareMessage[] = [
      { kind: 'reshare/commit', ceremonyId: cfg.ceremonyId, round: 1, from: cfg.self, to: BROADCAST, commitment },
    ];
    for (const j of cfg.receivers) {
      const sub = Fn.toBytes(polyEval(coeffs, idToScalar(j)));
      if (j === cfg.self) secret.received[j] = sub;
      else outbox.push({ kind: 'reshare/share', ceremonyId: cfg.ceremonyId, round: 1, from: cfg.self, to: j, share: sub });
    }
    if (cfg.receivers.includes(cfg.self)) state.public.sharesFrom.push(cfg.self);
    maybeFinish(state, secret);
    return { state, outbox };
  } finally {
    rng.wipe();
    for (let i = 0; i < coeffs.length; i++) coeffs[i] = 0n;
  }
}

export function reshareStep(state: ReshareState, message: unknown): ReshareStepResult {
  const pub = state.public;
  if (pub.phase !== 'collecting' || state.secret === null)
    throw new CeremonyError('CEREMONY_CLOSED', `${pub.config.mode} ${pub.config.ceremonyId} is ${pub.phase}; it accepts no more messages`);
  const secret = state.secret;
  try {
    const kind = (message as { kind?: unknown } | null)?.kind;
    const cfg = pub.config;
    const expect = { ceremonyId: cfg.ceremonyId, round: 1, self: cfg.self, senders: cfg.dealers };
    if (kind === 'reshare/commit') {
      checkHeader(message, { ...expect, kind });
      onCommit(state, secret, message as ReshareCommitMessage);
    } else if (kind === 'reshare/share') {
      checkHeader(message, { ...expect, kind });
      onShare(state, secret, message as ReshareShareMessage);
    } else {
      const from = (message as { from?: unknown } | null)?.from;
      throw new CeremonyError('MALFORMED_MESSAGE', `unknown ${cfg.mode} message kind ${String(kind)}`, isPartyId(from) ? from : undefined);
    }
    maybeFinish(state, secret);
    return { state, outbox: [] };
  } catch (err) {
    const e = asCeremonyError(err, 'INTERNAL');
    failReshare(state, e);
    throw e;
  }
}

function onCommit(state: ReshareState, secret: ReshareSecretState, m: ReshareCommitMessage): void {
  const pub = state.public;
  const cfg = pub.config;
  if (m.to !== BROADCAST) throw new CeremonyError('MALFORMED_MESSAGE', 'commitments must be broadcast', m.from);
  if (pub.commitments[m.from] !== undefined) throw new CeremonyError('OUT_OF_ORDER', 'second commitment from the same dealer', m.from);
  const count = cfg.mode === 'refresh' ? cfg.threshold - 1 : cfg.threshold;
  if (!Array.isArray(m.commitment) || m.commitment.length !== count)
    throw new CeremonyError('RESHARE_CULPRIT', `commitment has ${Array.isArray(m.commitment) ? m.commitment.length : 'no'} entries, expected ${count}`, m.from);
  const bytes = checkBytesArray(m.commitment, count, 33, 'commitment', m.from);
  const pts = bytes.map((b, k) => {
    try {
      return parsePoint(b);
    } catch (err) {
      throw new CeremonyError('RESHARE_CULPRIT', `commitment[${k}] is not a valid point: ${(err as Error).message}`, m.from);
    }
  });
  if (cfg.mode === 'reshare') {
    // The dealer must re-share exactly its Lagrange-weighted current share: C_0 == λ_i · Y_i.
    const Y = parsePoint(cfg.current.publicPackage.verifyingShares[m.from] as Uint8Array);
    const lambda = lagrangeAtZero(cfg.dealers.map(idToScalar), idToScalar(m.from));
    if (!(pts[0] as P).equals(Y.multiplyUnsafe(lambda)))
      throw new CeremonyError('RESHARE_CULPRIT', 'constant commitment is not the dealer\'s weighted verifying share', m.from);
  }
  pub.commitments[m.from] = bytes.map((b) => b.slice());
  secret.points.set(m.from, cfg.mode === 'refresh' ? [Point.ZERO, ...pts] : pts);
  // A sub-share that overtook its commitment is checked now.
  const early = secret.received[m.from];
  if (early !== undefined && !pub.sharesFrom.includes(m.from)) checkSubShare(state, secret, m.from, early);
}

function onShare(state: ReshareState, secret: ReshareSecretState, m: ReshareShareMessage): void {
  const pub = state.public;
  const cfg = pub.config;
  if (m.to !== cfg.self || !cfg.receivers.includes(cfg.self))
    throw new CeremonyError('MALFORMED_MESSAGE', 'sub-share addressed to a party that receives none', m.from);
  if (secret.received[m.from] !== undefined) throw new CeremonyError('OUT_OF_ORDER', 'second sub-share from the same dealer', m.from);
  const share = checkBytes(m.share, 32, 'share', m.from).slice();
  secret.received[m.from] = share;
  if (secret.points.has(m.from)) checkSubShare(state, secret, m.from, share);
}

function checkSubShare(state: ReshareState, secret: ReshareSecretState, from: PartyId, share: Uint8Array): void {
  const cfg = state.public.config;
  const pts = secret.points.get(from) as P[];
  const s = Fn.fromBytes(share, true);
  if (!Fn.isValid(s)) throw new CeremonyError('RESHARE_CULPRIT', 'sub-share is not a scalar', from);
  const lhs = s === 0n ? Point.ZERO : Point.BASE.multiply(s);
  if (!lhs.equals(commitmentEval(pts, idToScalar(cfg.self))))
    throw new CeremonyError('RESHARE_CULPRIT', 'sub-share does not match the dealer\'s commitment', from);
  state.public.sharesFrom.push(from);
}

function maybeFinish(state: ReshareState, secret: ReshareSecretState): void {
  const pub = state.public;
  const cfg = pub.config;
  if (Object.keys(pub.commitments).length < cfg.dealers.length) return;
  const receiving = cfg.receivers.includes(cfg.self);
  if (receiving && pub.sharesFrom.length < cfg.dealers.length) return;
  const old = cfg.current.publicPackage;
  // New commitments: Σ_i C_ik, plus the current ones when refreshing (same polynomial moved by a zero-sharing).
  const merged: P[] = [];
  for (let k = 0; k < cfg.threshold; k++) {
    let acc = cfg.mode === 'refresh' ? parsePoint(old.commitments[k] as Uint8Array) : Point.ZERO;
    for (const d of cfg.dealers) acc = acc.add((secret.points.get(d) as P[])[k] as P);
    merged.push(acc);
  }
  if (!sameBytes((merged[0] as P).toBytes(true), old.commitments[0] as Uint8Array))
    throw new CeremonyError('INTERNAL', 'the group key changed; the dealers\' commitments do not add up');
  const publicPackage: PublicPackage = {
    signers: { min: cfg.threshold, max: cfg.receivers.length },
    commitments: merged.map((p) => p.toBytes(true)),
    verifyingShares: Object.fromEntries(cfg.receivers.map((j) => [j, commitmentEval(merged, idToScalar(j)).toBytes(true)])),
  };
  if (receiving) {
    let s = cfg.mode === 'refresh' ? Fn.fromBytes((secret.oldShare as SecretShare).signingShare) : Fn.ZERO;
    for (const d of cfg.dealers) s = Fn.add(s, Fn.fromBytes(secret.received[d] as Uint8Array));
    const newShare = { identifier: cfg.self, signingShare: Fn.toBytes(s) };
    schnorr_FROST.validateSecret(newShare, publicPackage);
    secret.newShare = newShare;
  }
  pub.result = { ...cfg.current, threshold: cfg.threshold, parties: [...cfg.receivers], publicPackage };
  pub.phase = 'done';
  for (const v of Object.values(secret.received)) v.fill(0);
  secret.received = {};
}

/**
 * The new key and, for a receiver, its new share (to seal at once). The caller must then erase the OLD sealed share:
 * a refresh only makes old shares useless once they are gone.
 */
export function reshareFinish(state: ReshareState): { groupKey: GroupKey; share: SecretShare | null } {
  const result = state.public.result;
  if (state.public.phase !== 'done' || result === undefined || state.secret === null)
    throw new CeremonyError('OUT_OF_ORDER', `${state.public.config.mode} ${state.public.config.ceremonyId} is not finished (${state.public.phase})`);
  const share = state.secret.newShare ?? null;
  state.secret = null;
  return { groupKey: result, share };
}

function failReshare(state: ReshareState, e: CeremonyError): void {
  state.public.phase = 'failed';
  state.public.failure = e.toJSON();
  if (state.secret) {
    for (const v of Object.values(state.secret.received)) v.fill(0);
    if (state.secret.newShare) wipeShare(state.secret.newShare);
  }
  state.secret = null;
}

export function reshareAbort(state: ReshareState, reason: string): void {
  if (state.public.phase !== 'collecting') return;
  failReshare(state, new CeremonyError('CEREMONY_CLOSED', reason));
}
