// Threshold signing session over noble's commit/signShare/verifyShare/aggregate: single-use nonces, bad shares named.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import type { Nonces } from '@noble/curves/abstract/frost.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { checkBytes, checkCeremonyId, checkHeader, checkParties, isPartyId } from './check.js';
import { parsePoint, xOnly } from './curve.js';
import { lengthPrefixed, sessionRng } from './entropy.js';
import { CeremonyError, asCeremonyError } from './errors.js';
import type { CeremonyFailure } from './errors.js';
import { BROADCAST, COORDINATOR } from './types.js';
import type { MessageHeader, PartyId, PublicPackage, Rng, SecretShare } from './types.js';

export type SigningConfig = {
  sessionId: string;
  /** This signer, or null for a coordinator that only collects, checks and aggregates. */
  self: PartyId | null;
  /** The parties that sign (threshold ≤ count ≤ n), `self` among them. */
  signers: PartyId[];
  /** What is signed, e.g. one BIP-341 sighash per input; one nonce pair per message. */
  messages: Uint8Array[];
  /** The key's public package (the wallet's, or an HD child's). */
  publicPackage: PublicPackage;
  /**
   * How the coordinator checks shares. 'each' (default): noble's verifyShare on every share as it arrives, so a bad
   * signer is named before aggregation. 'on-failure': aggregate at once and run the per-share checks only when the
   * aggregate does not verify (noble's aggregate names the cheaters then); roughly halves the coordinator's work.
   */
  shareCheck?: 'each' | 'on-failure';
};

/** Round 1, broadcast: one (hiding, binding) commitment pair per message. */
export type SignCommitMessage = MessageHeader & {
  kind: 'sign/commit';
  round: 1;
  to: typeof BROADCAST;
  commitments: { hiding: Uint8Array; binding: Uint8Array }[];
};

/** Round 2, to the coordinator: one signature share per message. */
export type SignShareMessage = MessageHeader & {
  kind: 'sign/share';
  round: 2;
  to: typeof COORDINATOR;
  shares: Uint8Array[];
};

export type SignMessage = SignCommitMessage | SignShareMessage;

/** One signer's public nonce pair for one message (noble's NonceCommitments). */
export type NonceCommitment = { identifier: PartyId; hiding: Uint8Array; binding: Uint8Array };

export type SignPhase = 'commit' | 'share' | 'done' | 'failed';

export type SignPublicState = {
  config: SigningConfig;
  phase: SignPhase;
  commitments: Record<PartyId, SignCommitMessage['commitments']>;
  shares: Record<PartyId, Uint8Array[]>;
  /** BIP-340 signatures, one per message, each checked with schnorr.verify under the x-only group key. */
  signatures?: Uint8Array[];
  failure?: CeremonyFailure;
};

/** Nonces for one session: in memory only, used at most once, wiped on use or on failure. */
export type SigningNonces = { used: boolean; nonces: Nonces[] };

export type SignSecretState = { share: SecretShare | null; nonces: SigningNonces | null; early: Record<PartyId, SignShareMessage> };

export type SignState = { public: SignPublicState; secret: SignSecretState };
export type SignStepResult = { state: SignState; outbox: SignMessage[] };

function checkConfig(c: SigningConfig): SigningConfig {
  const sessionId = checkCeremonyId(c.sessionId);
  const signers = checkParties(c.signers, 'signers');
  const pub = c.publicPackage;
  if (typeof pub !== 'object' || pub === null || !Array.isArray(pub.commitments) || pub.commitments.length < 1)
    throw new CeremonyError('BAD_CONFIG', 'publicPackage is not a FROST public package');
  if (signers.length < pub.signers.min || signers.length > pub.signers.max)
    throw new CeremonyError('BAD_CONFIG', `${signers.length} signers; the key needs ${pub.signers.min} to ${pub.signers.max}`);
  for (const s of signers)
    if (!(pub.verifyingShares[s] instanceof Uint8Array)) throw new CeremonyError('BAD_CONFIG', `signer ${s} holds no share of this key`);
  if (c.self !== null && (!isPartyId(c.self) || !signers.includes(c.self)))
    throw new CeremonyError('BAD_CONFIG', 'self is not one of the signers');
  if (!Array.isArray(c.messages) || c.messages.length < 1 || c.messages.some((m) => !(m instanceof Uint8Array)))
    throw new CeremonyError('BAD_CONFIG', 'messages must be a non-empty list of byte strings');
  const shareCheck = c.shareCheck ?? 'each';
  if (shareCheck !== 'each' && shareCheck !== 'on-failure') throw new CeremonyError('BAD_CONFIG', 'shareCheck must be each or on-failure');
  return { sessionId, self: c.self, signers, messages: c.messages.map((m) => m.slice()), publicPackage: pub, shareCheck };
}

/** noble's commit, once per message, with a session-bound RNG. */
export function commitNonces(
  share: SecretShare,
  config: Pick<SigningConfig, 'sessionId' | 'messages'>,
  rng: Rng,
): { nonces: SigningNonces; commitments: NonceCommitment[] } {
  const binding = sha256(lengthPrefixed(...config.messages));
  const r = sessionRng(rng, 'sign', config.sessionId, share.identifier, binding);
  try {
    const gen = config.messages.map(() => schnorr_FROST.commit(share, r));
    return { nonces: { used: false, nonces: gen.map((g) => g.nonces) }, commitments: gen.map((g) => g.commitments) };
  } finally {
    r.wipe();
  }
}

/**
 * Signs each message with its nonce pair. Marks the nonces used before anything can fail, so an error half-way never
 * leaves a nonce that could be used again; a second call throws NONCE_REUSED.
 */
export function signWithNonces(
  nonces: SigningNonces,
  share: SecretShare,
  pub: PublicPackage,
  commitmentLists: NonceCommitment[][],
  messages: Uint8Array[],
): Uint8Array[] {
  if (nonces.used) throw new CeremonyError('NONCE_REUSED', 'these signing nonces were already used; start a new session');
  nonces.used = true;
  try {
    if (commitmentLists.length !== messages.length || nonces.nonces.length !== messages.length)
      throw new CeremonyError('INTERNAL', 'one nonce pair and one commitment list per message');
    return messages.map((m, i) => schnorr_FROST.signShare(share, pub, nonces.nonces[i] as Nonces, commitmentLists[i] as NonceCommitment[], m));
  } finally {
    wipeNonces(nonces);
  }
}

export function wipeNonces(nonces: SigningNonces): void {
  nonces.used = true;
  for (const n of nonces.nonces) {
    n.hiding.fill(0);
    n.binding.fill(0);
  }
}

/** Starts a session. A signer broadcasts its commitments; a coordinator (self = null, share = null) only listens. */
export function signStart(config: SigningConfig, share: SecretShare | null, rng: Rng): SignStepResult {
  const cfg = checkConfig(config);
  const state: SignState = {
    public: { config: cfg, phase: 'commit', commitments: {}, shares: {} },
    secret: { share: null, nonces: null, early: {} },
  };
  if (cfg.self === null) return { state, outbox: [] };
  if (share === null || share.identifier !== cfg.self) throw new CeremonyError('BAD_CONFIG', 'a signer needs its own share');
  const { nonces, commitments } = commitNonces(share, cfg, rng);
  const mine = commitments.map((c) => ({ hiding: c.hiding, binding: c.binding }));
  state.secret = { share, nonces, early: {} };
  state.public.commitments[cfg.self] = mine;
  const msg: SignCommitMessage = { kind: 'sign/commit', ceremonyId: cfg.sessionId, round: 1, from: cfg.self, to: BROADCAST, commitments: mine };
  return { state, outbox: [msg] };
}

export function signStep(state: SignState, message: unknown): SignStepResult {
  const pub = state.public;
  if (pub.phase === 'done' || pub.phase === 'failed')
    throw new CeremonyError('CEREMONY_CLOSED', `signing session ${pub.config.sessionId} is ${pub.phase}; it accepts no more messages`);
  try {
    const kind = (message as { kind?: unknown } | null)?.kind;
    if (kind === 'sign/commit') return onCommit(state, message);
    if (kind === 'sign/share') return onShare(state, message);
    const from = (message as { from?: unknown } | null)?.from;
    throw new CeremonyError('MALFORMED_MESSAGE', `unknown signing message kind ${String(kind)}`, isPartyId(from) ? from : undefined);
  } catch (err) {
    const e = asCeremonyError(err, 'INTERNAL');
    failSign(state, e);
    throw e;
  }
}

const selfOrNone = (cfg: SigningConfig): string => cfg.self ?? COORDINATOR;

function onCommit(state: SignState, message: unknown): SignStepResult {
  const pub = state.public;
  const cfg = pub.config;
  checkHeader(message, { ceremonyId: cfg.sessionId, kind: 'sign/commit', round: 1, self: selfOrNone(cfg), senders: cfg.signers });
  const m = message as SignCommitMessage;
  if (m.to !== BROADCAST) throw new CeremonyError('MALFORMED_MESSAGE', 'commitments must be broadcast', m.from);
  if (pub.commitments[m.from] !== undefined) throw new CeremonyError('OUT_OF_ORDER', 'second commitment from the same signer', m.from);
  if (!Array.isArray(m.commitments) || m.commitments.length !== cfg.messages.length)
    throw new CeremonyError('SIGN_CULPRIT', `expected ${cfg.messages.length} commitment pairs`, m.from);
  const copy = m.commitments.map((c, i) => {
    const hiding = checkBytes(c?.hiding, 33, `commitments[${i}].hiding`, m.from);
    const binding = checkBytes(c?.binding, 33, `commitments[${i}].binding`, m.from);
    try {
      parsePoint(hiding);
      parsePoint(binding);
    } catch (err) {
      throw new CeremonyError('SIGN_CULPRIT', `commitments[${i}] is not a valid point pair: ${(err as Error).message}`, m.from);
    }
    return { hiding: hiding.slice(), binding: binding.slice() };
  });
  pub.commitments[m.from] = copy;
  if (Object.keys(pub.commitments).length < cfg.signers.length) return { state, outbox: [] };
  pub.phase = 'share';
  const sec = state.secret;
  if (cfg.self !== null) {
    // A signer's part ends with its share: the coordinator checks and aggregates (signers need not do it t times over).
    if (sec.share === null || sec.nonces === null) throw new CeremonyError('INTERNAL', 'signer without share or nonces');
    const shares = signWithNonces(sec.nonces, sec.share, cfg.publicPackage, commitmentLists(pub), cfg.messages);
    pub.shares[cfg.self] = shares;
    pub.phase = 'done';
    wipeSignSecret(state);
    return { state, outbox: [{ kind: 'sign/share', ceremonyId: cfg.sessionId, round: 2, from: cfg.self, to: COORDINATOR, shares }] };
  }
  for (const id of cfg.signers) {
    const early = sec.early[id];
    if (early !== undefined) acceptShare(state, early);
  }
  sec.early = {};
  maybeAggregate(state);
  return { state, outbox: [] };
}

function commitmentLists(pub: SignPublicState): NonceCommitment[][] {
  const cfg = pub.config;
  return cfg.messages.map((_, i) =>
    cfg.signers.map((id) => {
      const c = (pub.commitments[id] as SignCommitMessage['commitments'])[i] as { hiding: Uint8Array; binding: Uint8Array };
      return { identifier: id, hiding: c.hiding, binding: c.binding };
    }),
  );
}

function onShare(state: SignState, message: unknown): SignStepResult {
  const pub = state.public;
  const cfg = pub.config;
  checkHeader(message, { ceremonyId: cfg.sessionId, kind: 'sign/share', round: 2, self: selfOrNone(cfg), senders: cfg.signers });
  const m = message as SignShareMessage;
  if (cfg.self !== null) throw new CeremonyError('MALFORMED_MESSAGE', 'signature shares go to the coordinator, not to a signer', m.from);
  if (pub.shares[m.from] !== undefined || state.secret.early[m.from] !== undefined)
    throw new CeremonyError('OUT_OF_ORDER', 'second signature share from the same signer', m.from);
  if (!Array.isArray(m.shares) || m.shares.length !== cfg.messages.length)
    throw new CeremonyError('SIGN_CULPRIT', `expected ${cfg.messages.length} signature shares`, m.from);
  const copy: SignShareMessage = { ...m, shares: m.shares.map((s, i) => checkBytes(s, 32, `shares[${i}]`, m.from).slice()) };
  // A share can only be checked once every commitment is in; one that overtakes them waits.
  if (pub.phase === 'commit') {
    state.secret.early[m.from] = copy;
    return { state, outbox: [] };
  }
  acceptShare(state, copy);
  maybeAggregate(state);
  return { state, outbox: [] };
}

/** RFC 9591 §5.4 share verification (noble's verifyShare), per message, so a bad signer is named before aggregation. */
function acceptShare(state: SignState, m: SignShareMessage): void {
  const pub = state.public;
  const cfg = pub.config;
  if (cfg.shareCheck === 'on-failure') {
    pub.shares[m.from] = m.shares;
    return;
  }
  const lists = commitmentLists(pub);
  m.shares.forEach((s, i) => {
    let ok = false;
    try {
      ok = schnorr_FROST.verifyShare(cfg.publicPackage, lists[i] as NonceCommitment[], cfg.messages[i] as Uint8Array, m.from, s);
    } catch {
      ok = false;
    }
    if (!ok) throw new CeremonyError('SIGN_CULPRIT', `signature share for message ${i} does not verify`, m.from);
  });
  pub.shares[m.from] = m.shares;
}

function maybeAggregate(state: SignState): void {
  const pub = state.public;
  const cfg = pub.config;
  if (Object.keys(pub.shares).length < cfg.signers.length) return;
  const lists = commitmentLists(pub);
  const key = xOnly(parsePoint(cfg.publicPackage.commitments[0] as Uint8Array));
  pub.signatures = cfg.messages.map((msg, i) => {
    const shares: Record<string, Uint8Array> = {};
    for (const id of cfg.signers) shares[id] = (pub.shares[id] as Uint8Array[])[i] as Uint8Array;
    let sig: Uint8Array;
    try {
      sig = schnorr_FROST.aggregate(cfg.publicPackage, lists[i] as NonceCommitment[], msg, shares);
    } catch (err) {
      // noble verifies each share when the aggregate fails and lists the cheaters.
      const cheaters = (err as { cheaters?: unknown }).cheaters;
      if (Array.isArray(cheaters) && typeof cheaters[0] === 'string')
        throw new CeremonyError('SIGN_CULPRIT', `signature share for message ${i} does not verify (cheaters: ${cheaters.join(', ')})`, cheaters[0]);
      throw err;
    }
    // Independent BIP-340 check, outside the FROST code path.
    if (!schnorr.verify(sig, msg, key)) throw new CeremonyError('INTERNAL', `aggregate signature ${i} fails BIP-340 verification`);
    return sig;
  });
  pub.phase = 'done';
  wipeSignSecret(state);
}

function failSign(state: SignState, e: CeremonyError): void {
  state.public.phase = 'failed';
  state.public.failure = e.toJSON();
  wipeSignSecret(state);
}

/** Aborts a session from outside (timeout, cancel): its nonces can never be used afterwards. */
export function signAbort(state: SignState, reason: string): void {
  if (state.public.phase === 'done' || state.public.phase === 'failed') return;
  failSign(state, new CeremonyError('CEREMONY_CLOSED', reason));
}

/** Wipes nonces; the share belongs to the caller (it was unsealed for this session) and is wiped by the caller. */
function wipeSignSecret(state: SignState): void {
  if (state.secret.nonces) wipeNonces(state.secret.nonces);
  state.secret = { share: null, nonces: null, early: {} };
}

/** Digest binding a session's exact messages, for logs and the host's record of what it signed. */
export function messagesDigest(messages: Uint8Array[]): Uint8Array {
  return sha256(concatBytes(...messages.map((m) => lengthPrefixed(m))));
}
