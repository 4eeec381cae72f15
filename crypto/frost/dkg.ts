// Distributed key generation as a state machine over noble's schnorr_FROST.DKG rounds, naming any culprit.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import type { DKG_Round1, DKG_Round2, DKG_Secret } from '@noble/curves/abstract/frost.js';
import type { TArg } from '@noble/curves/utils.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { checkBytes, checkBytesArray, checkCeremonyId, checkHeader, checkParties, isPartyId } from './check.js';
import { Fn, Point, commitmentEval, idToScalar, parsePoint, sameBytes, taprootOutputPoint, xOnly } from './curve.js';
import type { Point as P } from './curve.js';
import { mixedRng, lengthPrefixed } from './entropy.js';
import { verifyProofOfKnowledge as verifyPok } from './pok.js';
import { CeremonyError, asCeremonyError } from './errors.js';
import type { CeremonyFailure } from './errors.js';
import { BROADCAST } from './types.js';
import type { GroupKey, MessageHeader, PartyId, Rng, SecretShare } from './types.js';
import { wipeShare } from './wipe.js';

export type DkgConfig = {
  ceremonyId: string;
  self: PartyId;
  /** Every party of the key, this one included (any order; kept sorted). */
  parties: PartyId[];
  /** Signatures need `threshold` of the parties (2 ≤ threshold ≤ parties.length). */
  threshold: number;
};

/** Round 1, broadcast: noble's VSS commitment and proof of knowledge, plus a commitment to a chain-code share. */
export type DkgRound1Message = MessageHeader & {
  kind: 'dkg/round1';
  round: 1;
  to: typeof BROADCAST;
  /** `threshold` compressed points (noble's round-1 `commitment`). */
  commitment: Uint8Array[];
  /** noble's 64-byte proof of knowledge of the constant coefficient. */
  proofOfKnowledge: Uint8Array;
  /** H(ceremony, sender, chain-code contribution): commit-then-reveal, so nobody picks the chain code. */
  chainCodeCommitment: Uint8Array;
};

/** Round 2, one per recipient: the recipient's secret share of the sender's polynomial and the chain-code reveal. */
export type DkgRound2Message = MessageHeader & {
  kind: 'dkg/round2';
  round: 2;
  to: PartyId;
  /** SECRET: the transport must encrypt it to the recipient. */
  signingShare: Uint8Array;
  chainCodeReveal: Uint8Array;
};

export type DkgMessage = DkgRound1Message | DkgRound2Message;

export type DkgPhase = 'round1' | 'round2' | 'done' | 'failed';

/** Plain, storable, no secret. */
export type DkgPublicState = {
  config: DkgConfig;
  phase: DkgPhase;
  /** Accepted round-1 packages by sender, this party's own included. */
  round1: Record<PartyId, Pick<DkgRound1Message, 'commitment' | 'proofOfKnowledge' | 'chainCodeCommitment'>>;
  /** Senders whose round-2 package has been accepted. */
  round2From: PartyId[];
  result?: GroupKey;
  failure?: CeremonyFailure;
};

/** In memory only; never serialised; wiped when the ceremony ends, whichever way. */
export type DkgSecretState = {
  noble: DKG_Secret;
  chainCodeContribution: Uint8Array;
  /** Round-2 packages (accepted, or early ones waiting for the end of round 1). */
  round2: Record<PartyId, DkgRound2Message>;
  /** Parsed commitments by sender: a cache so large ceremonies decompress each point once. */
  points: Map<PartyId, P[]>;
  share?: SecretShare;
};

export type DkgState = { public: DkgPublicState; secret: DkgSecretState | null };
export type DkgStepResult = { state: DkgState; outbox: DkgMessage[] };

const CHAIN_COMMIT_TAG = 'Custos/ChainCodeCommit/v1';
const CHAIN_CODE_TAG = 'Custos/ChainCode/v1';

function chainCodeCommitment(ceremonyId: string, from: PartyId, reveal: Uint8Array): Uint8Array {
  return schnorr.utils.taggedHash(CHAIN_COMMIT_TAG, lengthPrefixed(utf8ToBytes(ceremonyId), utf8ToBytes(from), reveal));
}

/** Chain code = H(ceremony ‖ Q ‖ reveal₁ ‖ … ‖ revealₙ), reveals in identifier order. */
function chainCode(ceremonyId: string, outputKey: Uint8Array, reveals: Uint8Array[]): Uint8Array {
  return schnorr.utils.taggedHash(CHAIN_CODE_TAG, lengthPrefixed(utf8ToBytes(ceremonyId), outputKey, ...reveals));
}

function checkConfig(config: DkgConfig): DkgConfig {
  const ceremonyId = checkCeremonyId(config.ceremonyId);
  const parties = checkParties(config.parties);
  if (!isPartyId(config.self) || !parties.includes(config.self))
    throw new CeremonyError('BAD_CONFIG', 'self is not one of the parties');
  const t = config.threshold;
  if (!Number.isSafeInteger(t) || t < 2 || t > parties.length)
    throw new CeremonyError('BAD_CONFIG', `threshold ${t} must be between 2 and the number of parties (${parties.length})`);
  return { ceremonyId, self: config.self, parties, threshold: t };
}

/**
 * Starts this party's DKG: draws its polynomial with an RNG that mixes the host's `rng` with `deviceEntropy`
 * (see entropy.ts) and broadcasts its round-1 package.
 */
export function dkgStart(config: DkgConfig, opts: { rng: Rng; deviceEntropy: Uint8Array }): DkgStepResult {
  const cfg = checkConfig(config);
  const rng = mixedRng(opts.rng, opts.deviceEntropy, 'dkg', cfg.ceremonyId, cfg.self);
  try {
    const signers = { min: cfg.threshold, max: cfg.parties.length };
    const r1 = schnorr_FROST.DKG.round1(cfg.self, signers, undefined, rng);
    const chainCodeContribution = rng(32);
    const commitment = r1.public.commitment.map((c) => c.slice());
    const own = {
      commitment,
      proofOfKnowledge: r1.public.proofOfKnowledge.slice(),
      chainCodeCommitment: chainCodeCommitment(cfg.ceremonyId, cfg.self, chainCodeContribution),
    };
    const state: DkgState = {
      public: { config: cfg, phase: 'round1', round1: { [cfg.self]: own }, round2From: [] },
      secret: {
        noble: r1.secret,
        chainCodeContribution,
        round2: {},
        points: new Map([[cfg.self, commitment.map(parsePoint)]]),
      },
    };
    const msg: DkgRound1Message = {
      kind: 'dkg/round1',
      ceremonyId: cfg.ceremonyId,
      round: 1,
      from: cfg.self,
      to: BROADCAST,
      ...own,
    };
    return { state, outbox: [msg] };
  } finally {
    rng.wipe();
  }
}

/** Feeds one incoming message. Throws a CeremonyError (and leaves the state failed and wiped) on any fault. */
export function dkgStep(state: DkgState, message: unknown): DkgStepResult {
  const pub = state.public;
  if (pub.phase === 'done' || pub.phase === 'failed' || state.secret === null)
    throw new CeremonyError('CEREMONY_CLOSED', `DKG ${pub.config.ceremonyId} is ${pub.phase}; it accepts no more messages`);
  try {
    const kind = (message as { kind?: unknown } | null)?.kind;
    if (kind === 'dkg/round1') return onRound1(state, state.secret, message);
    if (kind === 'dkg/round2') return onRound2(state, state.secret, message);
    throw new CeremonyError('MALFORMED_MESSAGE', `unknown DKG message kind ${String(kind)}`,
      isPartyId((message as { from?: unknown } | null)?.from) ? (message as { from: string }).from : undefined);
  } catch (err) {
    const e = asCeremonyError(err, 'INTERNAL');
    failDkg(state, e);
    throw e;
  }
}

function others(cfg: DkgConfig): PartyId[] {
  return cfg.parties.filter((p) => p !== cfg.self);
}

function onRound1(state: DkgState, secret: DkgSecretState, message: unknown): DkgStepResult {
  const pub = state.public;
  const cfg = pub.config;
  checkHeader(message, { ceremonyId: cfg.ceremonyId, kind: 'dkg/round1', round: 1, self: cfg.self, senders: cfg.parties });
  const m = message as DkgRound1Message;
  const from = m.from;
  if (m.to !== BROADCAST) throw new CeremonyError('MALFORMED_MESSAGE', 'round-1 package must be a broadcast', from);
  if (pub.round1[from] !== undefined)
    throw new CeremonyError('OUT_OF_ORDER', 'second round-1 package from the same party', from);
  const commitment = checkBytesArray(m.commitment, cfg.threshold, 33, 'commitment', from);
  const proof = checkBytes(m.proofOfKnowledge, 64, 'proofOfKnowledge', from);
  const ccCommit = checkBytes(m.chainCodeCommitment, 32, 'chainCodeCommitment', from);
  const points = commitment.map((c, k) => {
    try {
      return parsePoint(c);
    } catch (err) {
      throw new CeremonyError('DKG_CULPRIT', `commitment[${k}] is not a valid point: ${(err as Error).message}`, from);
    }
  });
  try {
    verifyPok(idToScalar(from), points[0] as P, proof);
  } catch (err) {
    throw new CeremonyError('DKG_CULPRIT', (err as Error).message, from);
  }
  pub.round1[from] = { commitment: commitment.map((c) => c.slice()), proofOfKnowledge: proof.slice(), chainCodeCommitment: ccCommit.slice() };
  secret.points.set(from, points);
  if (Object.keys(pub.round1).length < cfg.parties.length) return { state, outbox: [] };
  return startRound2(state, secret);
}

function round1Packages(pub: DkgPublicState): TArg<DKG_Round1[]> {
  return others(pub.config).map((id) => {
    const p = pub.round1[id];
    if (p === undefined) throw new CeremonyError('INTERNAL', 'missing round-1 package');
    return { identifier: id, commitment: p.commitment, proofOfKnowledge: p.proofOfKnowledge };
  });
}

function startRound2(state: DkgState, secret: DkgSecretState): DkgStepResult {
  const pub = state.public;
  const cfg = pub.config;
  let shares: Record<string, DKG_Round2>;
  try {
    shares = schnorr_FROST.DKG.round2(secret.noble, round1Packages(pub));
  } catch (err) {
    // Every package passed our own checks; noble disagreeing means our checks fell behind the library.
    throw asCeremonyError(err, 'INTERNAL');
  }
  pub.phase = 'round2';
  const outbox: DkgMessage[] = others(cfg).map((to) => {
    const share = shares[to];
    if (share === undefined) throw new CeremonyError('INTERNAL', 'noble produced no share for a party');
    return {
      kind: 'dkg/round2',
      ceremonyId: cfg.ceremonyId,
      round: 2,
      from: cfg.self,
      to,
      signingShare: share.signingShare.slice(),
      chainCodeReveal: secret.chainCodeContribution.slice(),
    };
  });
  // Packages that arrived before our round 1 ended are checked now, in identifier order.
  for (const from of others(cfg)) {
    const early = secret.round2[from];
    if (early !== undefined) acceptRound2(state, secret, early);
  }
  const done = maybeFinish(state, secret);
  return { state: done, outbox };
}

function onRound2(state: DkgState, secret: DkgSecretState, message: unknown): DkgStepResult {
  const cfg = state.public.config;
  checkHeader(message, { ceremonyId: cfg.ceremonyId, kind: 'dkg/round2', round: 2, self: cfg.self, senders: cfg.parties });
  const m = message as DkgRound2Message;
  if (m.to !== cfg.self) throw new CeremonyError('MALFORMED_MESSAGE', 'round-2 package must be addressed to one party', m.from);
  if (secret.round2[m.from] !== undefined)
    throw new CeremonyError('OUT_OF_ORDER', 'second round-2 package from the same party', m.from);
  const copy: DkgRound2Message = {
    kind: 'dkg/round2',
    ceremonyId: m.ceremonyId,
    round: 2,
    from: m.from,
    to: m.to,
    signingShare: checkBytes(m.signingShare, 32, 'signingShare', m.from).slice(),
    chainCodeReveal: checkBytes(m.chainCodeReveal, 32, 'chainCodeReveal', m.from).slice(),
  };
  secret.round2[m.from] = copy;
  // A fast peer may finish its round 1 before we do; keep its package until ours ends (it is checked then).
  if (state.public.phase === 'round1') return { state, outbox: [] };
  acceptRound2(state, secret, copy);
  return { state: maybeFinish(state, secret), outbox: [] };
}

/** The share must lie on the sender's committed polynomial: share·G == Σ C_k · id^k; the reveal must match its commitment. */
function acceptRound2(state: DkgState, secret: DkgSecretState, m: DkgRound2Message): void {
  const pub = state.public;
  const cfg = pub.config;
  const from = m.from;
  const commitment = secret.points.get(from);
  const r1 = pub.round1[from];
  if (commitment === undefined || r1 === undefined) throw new CeremonyError('INTERNAL', 'round-2 package before its round 1');
  const s = Fn.fromBytes(m.signingShare, true);
  if (!Fn.isValid(s) || s === 0n) throw new CeremonyError('DKG_CULPRIT', 'signing share is not a non-zero scalar', from);
  if (!Point.BASE.multiply(s).equals(commitmentEval(commitment, idToScalar(cfg.self))))
    throw new CeremonyError('DKG_CULPRIT', 'signing share does not match the sender\'s round-1 commitment', from);
  if (!sameBytes(chainCodeCommitment(cfg.ceremonyId, from, m.chainCodeReveal), r1.chainCodeCommitment))
    throw new CeremonyError('DKG_CULPRIT', 'chain-code reveal does not match its round-1 commitment', from);
  pub.round2From.push(from);
}

function maybeFinish(state: DkgState, secret: DkgSecretState): DkgState {
  const pub = state.public;
  const cfg = pub.config;
  if (pub.round2From.length < cfg.parties.length - 1) return state;
  const peers = others(cfg);
  const round2: TArg<DKG_Round2[]> = peers.map((id) => {
    const m = secret.round2[id];
    if (m === undefined) throw new CeremonyError('INTERNAL', 'missing round-2 package');
    return { identifier: id, signingShare: m.signingShare };
  });
  let key;
  try {
    key = schnorr_FROST.DKG.round3(secret.noble, round1Packages(pub), round2);
  } catch (err) {
    throw asCeremonyError(err, 'INTERNAL');
  }
  // P = Σ φ_i0 is the internal key noble tweaked; recompute Q independently and insist it is noble's.
  let P = Point.ZERO;
  for (const id of cfg.parties) P = P.add((secret.points.get(id) as P[])[0] as P);
  const internalKey = xOnly(P);
  const Q = taprootOutputPoint(internalKey);
  const groupKeyBytes = key.public.commitments[0] as Uint8Array;
  if (!sameBytes(Q.toBytes(true), groupKeyBytes))
    throw new CeremonyError('INTERNAL', 'group key is not the Taproot tweak of the sum of the constant commitments');
  schnorr_FROST.validateSecret(key.secret, key.public);
  const reveals = cfg.parties.map((id) =>
    id === cfg.self ? secret.chainCodeContribution : (secret.round2[id] as DkgRound2Message).chainCodeReveal,
  );
  const outputKey = xOnly(Q);
  pub.result = {
    threshold: cfg.threshold,
    parties: [...cfg.parties],
    publicPackage: key.public,
    internalKey,
    outputKey,
    chainCode: chainCode(cfg.ceremonyId, outputKey, reveals),
  };
  pub.phase = 'done';
  secret.share = key.secret;
  wipeDkgSecret(secret, false);
  return state;
}

/**
 * Hands over the final share (to be sealed) and the group key, and detaches the secret from the state.
 * The caller wipes the share (wipeShare) once it is sealed.
 */
export function dkgFinish(state: DkgState): { groupKey: GroupKey; share: SecretShare } {
  const result = state.public.result;
  const share = state.secret?.share;
  if (state.public.phase !== 'done' || result === undefined || share === undefined)
    throw new CeremonyError('OUT_OF_ORDER', `DKG ${state.public.config.ceremonyId} is not finished (${state.public.phase})`);
  state.secret = null;
  return { groupKey: result, share };
}

function failDkg(state: DkgState, err: CeremonyError): void {
  state.public.phase = 'failed';
  state.public.failure = err.toJSON();
  if (state.secret) wipeDkgSecret(state.secret, true);
  state.secret = null;
}

/** Aborts a ceremony from outside (timeout, cancel): same wiping as a failure. */
export function dkgAbort(state: DkgState, reason: string): void {
  if (state.public.phase === 'done' || state.public.phase === 'failed') return;
  failDkg(state, new CeremonyError('CEREMONY_CLOSED', reason));
}

function wipeDkgSecret(secret: DkgSecretState, withShare: boolean): void {
  if (secret.noble.step !== 3) schnorr_FROST.DKG.clean(secret.noble);
  secret.chainCodeContribution.fill(0);
  for (const m of Object.values(secret.round2)) m.signingShare.fill(0);
  secret.round2 = {};
  if (withShare && secret.share) wipeShare(secret.share);
}
