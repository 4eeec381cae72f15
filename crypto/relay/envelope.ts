// Relay envelopes: a header, a payload HPKE-sealed to the recipient under that header, the whole signed by the sender.
import { CipherSuite, HkdfSha256 } from '@hpke/core';
import { Chacha20Poly1305 } from '@hpke/chacha20poly1305';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalBytes } from '../canonical.js';
import { decodePayload, encodePayload, type PayloadCodecError } from './codec.js';
import type { TransportDirectory, TransportKeys } from './keys.js';

export const RELAY_PROTOCOL_VERSION = 1;

/** Ids that travel in headers (vault, session, party): short, printable, the vault's own id alphabet. */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const KIND_RE = /^[a-z0-9]+\/[a-z0-9-]+$/;
const HASH_RE = /^[0-9a-f]{64}$/;

/**
 * Everything the relay may read, and all it may not change: bound into the HPKE AEAD (as `aad`) and under the sender's
 * signature. `to` is always one party: a broadcast is sealed once per recipient and marked by `broadcast`, the hash of
 * its plaintext, the same in every copy, so recipients can compare what they got (the echo check).
 */
export type EnvelopeHeader = {
  v: number;
  vaultId: string;
  sessionId: string;
  /** The ceremony message's kind ('sign/commit', 'dkg/round2'…) or the relay's own ('relay/ack', 'relay/echo'). */
  kind: string;
  round: number;
  from: string;
  to: string;
  /** Per sender and session, starts at 1, never reused: what duplicates and acks are keyed by. */
  counter: number;
  /** Milliseconds since the epoch (the session's expiry): a recipient refuses the envelope after it. */
  expiresAt: number;
  /** Lowercase hex SHA-256 of the plaintext (see contentHash), only on a broadcast copy. */
  broadcast?: string;
  /** Counters of the recipient's envelopes that the sender acknowledges (ascending): acks ride on any envelope. */
  acks?: number[];
  /**
   * Lowercase hex SHA-256 of what every member must agree on before it takes part (the vault log's head, the request):
   * a member that signs another context is seen at its first envelope.
   */
  context?: string;
};

/** Most acks one header carries; more wait for the next envelope. */
export const MAX_ACKS_PER_ENVELOPE = 256;

/** What travels: the header's canonical bytes, HPKE's encapsulated key and ciphertext, and an Ed25519 signature. */
export type Envelope = { header: Uint8Array; enc: Uint8Array; ct: Uint8Array; sig: Uint8Array };

export type RelayOpenErrorCode =
  /** Not an envelope at all (framing, header fields, lengths). */
  | 'MALFORMED'
  | 'VERSION'
  | 'WRONG_VAULT'
  | 'WRONG_SESSION'
  /** Addressed to another party: a relay that swaps recipients is caught here. */
  | 'WRONG_RECIPIENT'
  /** The sender is not in this session, or has no registered transport key. */
  | 'UNKNOWN_SENDER'
  | 'BAD_SIGNATURE'
  | 'EXPIRED'
  /** The sender signed a ciphertext that does not open for this recipient under this header: the sender's fault. */
  | 'DECRYPT_FAILED'
  /** The sender signed a broadcast whose plaintext does not match its own content hash: the sender's fault. */
  | 'CONTENT_MISMATCH';

/** Codes that a relay alone can cause (it can corrupt, misroute or replay, but not sign as a party). */
export const RELAY_CAUSED: ReadonlySet<RelayOpenErrorCode> = new Set([
  'MALFORMED', 'VERSION', 'WRONG_VAULT', 'WRONG_SESSION', 'WRONG_RECIPIENT', 'UNKNOWN_SENDER', 'BAD_SIGNATURE', 'EXPIRED',
]);

export class RelayOpenError extends Error {
  readonly code: RelayOpenErrorCode;
  /** The header's sender when the header could be read (a claim, proven only past the signature check). */
  readonly claimedFrom: string | undefined;
  constructor(code: RelayOpenErrorCode, message: string, claimedFrom?: string) {
    super(message);
    this.name = 'RelayOpenError';
    this.code = code;
    this.claimedFrom = claimedFrom;
  }
}

const SUITE = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Chacha20Poly1305() });
const HPKE_INFO = utf8ToBytes('Custos/Relay/HPKE/v1');
const SIG_TAG = utf8ToBytes('Custos/Relay/Envelope/v1');
const CONTENT_TAG = utf8ToBytes('Custos/Relay/Broadcast/v1');
const BODY_TAG = utf8ToBytes('Custos/Relay/Body/v1');
const ENC_BYTES = 32;
const SIG_BYTES = 64;

/**
 * The recipient's HPKE key pair, imported once per key object: handing HPKE the public half as well spares it an
 * X25519 multiplication on every open.
 */
const keyPairs = new WeakMap<Uint8Array, Promise<CryptoKeyPair>>();
function recipientKeyPair(keys: Pick<TransportKeys, 'hpkeSecret' | 'hpkeKey'>): Promise<CryptoKeyPair> {
  let pair = keyPairs.get(keys.hpkeSecret);
  if (pair === undefined) {
    pair = (async () => ({
      privateKey: await SUITE.kem.deserializePrivateKey(keys.hpkeSecret),
      publicKey: await SUITE.kem.deserializePublicKey(keys.hpkeKey),
    }))();
    keyPairs.set(keys.hpkeSecret, pair);
  }
  return pair;
}

/** The hash a broadcast's copies share, over its plaintext. */
export function contentHash(plaintext: Uint8Array): string {
  return bytesToHex(sha256(concatBytes(CONTENT_TAG, plaintext)));
}

export function checkHeader(h: unknown): EnvelopeHeader {
  const bad = (what: string): never => {
    throw new RelayOpenError('MALFORMED', `envelope header: ${what}`);
  };
  if (typeof h !== 'object' || h === null || Array.isArray(h)) bad('not an object');
  const o = h as Record<string, unknown>;
  const allowed = new Set(['v', 'vaultId', 'sessionId', 'kind', 'round', 'from', 'to', 'counter', 'expiresAt', 'broadcast', 'acks', 'context']);
  for (const k of Object.keys(o)) if (!allowed.has(k)) bad(`unknown field ${k}`);
  if (!Number.isSafeInteger(o.v)) bad('v is not an integer');
  for (const k of ['vaultId', 'sessionId', 'from', 'to'] as const)
    if (typeof o[k] !== 'string' || !ID_RE.test(o[k] as string)) bad(`${k} is not an id`);
  if (typeof o.kind !== 'string' || !KIND_RE.test(o.kind)) bad('kind is not a message kind');
  if (!Number.isSafeInteger(o.round) || (o.round as number) < 0) bad('round is not a non-negative integer');
  if (!Number.isSafeInteger(o.counter) || (o.counter as number) < 1) bad('counter is not a positive integer');
  if (!Number.isSafeInteger(o.expiresAt) || (o.expiresAt as number) < 0) bad('expiresAt is not a time');
  if (o.broadcast !== undefined && (typeof o.broadcast !== 'string' || !HASH_RE.test(o.broadcast))) bad('broadcast is not a hash');
  if (o.context !== undefined && (typeof o.context !== 'string' || !HASH_RE.test(o.context))) bad('context is not a hash');
  if (o.acks !== undefined) {
    const a = o.acks;
    if (!Array.isArray(a) || a.length < 1 || a.length > MAX_ACKS_PER_ENVELOPE) bad('acks is not a list of 1 to 256 counters');
    (a as unknown[]).forEach((c, i) => {
      if (!Number.isSafeInteger(c) || (c as number) < 1 || (i > 0 && (c as number) <= ((a as number[])[i - 1] as number))) bad('acks are not ascending counters');
    });
  }
  if (o.from === o.to) bad('from and to are the same party');
  return o as EnvelopeHeader;
}

const u32be = (n: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
};

/** SHA-256 over enc and ct, length-prefixed: what the signature covers of the sealed body. */
export function envelopeBodyHash(enc: Uint8Array, ct: Uint8Array): Uint8Array {
  return sha256(concatBytes(BODY_TAG, u32be(enc.length), enc, u32be(ct.length), ct));
}

/**
 * The signed bytes: a domain tag, the header (length-prefixed) and the body's hash. Signing the body by its hash lets
 * a party prove what another signed (the echo check) with the header, the hash and the signature, not the ciphertext.
 */
function signedBytes(header: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(SIG_TAG, u32be(header.length), header, body);
}

/** What proves that a party signed an envelope with this header, without its ciphertext: about 400 bytes. */
export type EnvelopeEvidence = { header: Uint8Array; body: Uint8Array; sig: Uint8Array };

export function evidenceOf(e: Envelope): EnvelopeEvidence {
  return { header: new Uint8Array(e.header), body: envelopeBodyHash(e.enc, e.ct), sig: new Uint8Array(e.sig) };
}

/** Checks a piece of evidence's signature (the header is read and checked by the caller). */
export function verifyEvidence(ev: EnvelopeEvidence, signingKey: Uint8Array): boolean {
  try {
    return ev.body.length === 32 && ed25519.verify(ev.sig, signedBytes(ev.header, ev.body), signingKey, { zip215: false });
  } catch {
    return false;
  }
}

/**
 * Seals `plaintext` to `recipientHpkeKey` with the header as AEAD associated data, and signs header, enc and ct with
 * the sender's key. The caller wipes `plaintext` afterwards. HPKE's ephemeral key comes from WebCrypto's CSPRNG (the
 * one randomness @hpke draws itself).
 */
export async function sealEnvelope(
  header: EnvelopeHeader,
  plaintext: Uint8Array,
  sender: Pick<TransportKeys, 'signingSecret'>,
  recipientHpkeKey: Uint8Array,
): Promise<Envelope> {
  const checked = checkHeader(header);
  if (checked.v !== RELAY_PROTOCOL_VERSION) throw new RelayOpenError('VERSION', `cannot seal version ${checked.v}`);
  const headerBytes = canonicalBytes(checked);
  const pk = await SUITE.kem.deserializePublicKey(recipientHpkeKey);
  const sealed = await SUITE.seal({ recipientPublicKey: pk, info: HPKE_INFO }, plaintext, headerBytes);
  const enc = new Uint8Array(sealed.enc);
  const ct = new Uint8Array(sealed.ct);
  return { header: headerBytes, enc, ct, sig: ed25519.sign(signedBytes(headerBytes, envelopeBodyHash(enc, ct)), sender.signingSecret) };
}

/** The envelope on the wire: the payload codec over its four byte fields. */
export function encodeEnvelope(e: Envelope): Uint8Array {
  return encodePayload({ v: RELAY_PROTOCOL_VERSION, header: e.header, enc: e.enc, ct: e.ct, sig: e.sig });
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  let o: unknown;
  try {
    o = decodePayload(bytes);
  } catch (err) {
    throw new RelayOpenError('MALFORMED', `not an envelope: ${(err as PayloadCodecError).message}`);
  }
  const r = o as Record<string, unknown> | null;
  if (typeof r !== 'object' || r === null || Array.isArray(r) || Object.keys(r).length !== 5) throw new RelayOpenError('MALFORMED', 'not an envelope');
  if (r.v !== RELAY_PROTOCOL_VERSION) throw new RelayOpenError('VERSION', `envelope version ${String(r.v)}; this build reads version ${RELAY_PROTOCOL_VERSION}`);
  const { header, enc, ct, sig } = r;
  if (!(header instanceof Uint8Array) || !(enc instanceof Uint8Array) || !(ct instanceof Uint8Array) || !(sig instanceof Uint8Array))
    throw new RelayOpenError('MALFORMED', 'envelope fields are not bytes');
  if (enc.length !== ENC_BYTES || sig.length !== SIG_BYTES || ct.length < 16) throw new RelayOpenError('MALFORMED', 'envelope field of the wrong length');
  return { header, enc, ct, sig };
}

/** Reads and checks the header bytes: canonical JSON that re-encodes to itself, with the fields above. */
export function readHeader(bytes: Uint8Array): EnvelopeHeader {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new RelayOpenError('MALFORMED', 'envelope header is not JSON');
  }
  const h = checkHeader(parsed);
  const again = canonicalBytes(h);
  if (again.length !== bytes.length || !again.every((b, i) => b === bytes[i])) throw new RelayOpenError('MALFORMED', 'envelope header is not canonical');
  return h;
}

/** Checks an envelope's signature and binding without decrypting (the echo check verifies others' copies this way). */
export function verifyEnvelopeSignature(e: Envelope, signingKey: Uint8Array): boolean {
  return verifyEvidence({ header: e.header, body: envelopeBodyHash(e.enc, e.ct), sig: e.sig }, signingKey);
}

export type OpenContext = {
  vaultId: string;
  sessionId: string;
  /** The recipient: this party. */
  me: string;
  /** This party's transport keys (the HPKE key pair opens the payload). */
  keys: Pick<TransportKeys, 'hpkeSecret' | 'hpkeKey'>;
  /** The session's members: a sender outside it is refused even with a registered key. */
  members: ReadonlySet<string>;
  directory: TransportDirectory;
  /** Milliseconds since the epoch. */
  now: number;
  /** True when this (sender, counter) was already opened in this session. */
  seen: (from: string, counter: number) => boolean;
};

export type Opened =
  | { duplicate: true; header: EnvelopeHeader }
  | { duplicate: false; header: EnvelopeHeader; plaintext: Uint8Array; evidence: EnvelopeEvidence };

/**
 * Opens an envelope, checking in this order and failing with a RelayOpenError that names the first check that failed:
 * version, vault, session, recipient, sender (member with a registered key), signature, expiry, duplicate (returned
 * as such, for the caller to acknowledge and drop), decryption, and a broadcast's content hash. The caller wipes
 * `plaintext` once it has decoded it.
 */
export async function openEnvelope(bytes: Uint8Array, ctx: OpenContext): Promise<Opened> {
  const e = decodeEnvelope(bytes);
  const h = readHeader(e.header);
  const from = h.from;
  if (h.v !== RELAY_PROTOCOL_VERSION) throw new RelayOpenError('VERSION', `header version ${h.v}; this build reads version ${RELAY_PROTOCOL_VERSION}`, from);
  if (h.vaultId !== ctx.vaultId) throw new RelayOpenError('WRONG_VAULT', `envelope for vault ${h.vaultId}, not ${ctx.vaultId}`, from);
  if (h.sessionId !== ctx.sessionId) throw new RelayOpenError('WRONG_SESSION', `envelope for session ${h.sessionId}, not ${ctx.sessionId}`, from);
  if (h.to !== ctx.me) throw new RelayOpenError('WRONG_RECIPIENT', `envelope addressed to ${h.to}, not to this party (${ctx.me})`, from);
  const keys = ctx.members.has(from) ? ctx.directory(from) : null;
  if (keys === null) throw new RelayOpenError('UNKNOWN_SENDER', `sender ${from} is not a member of this session with a registered transport key`, from);
  if (!verifyEnvelopeSignature(e, keys.signingKey)) throw new RelayOpenError('BAD_SIGNATURE', `envelope's signature does not verify under ${from}'s transport key`, from);
  if (ctx.now > h.expiresAt) throw new RelayOpenError('EXPIRED', `envelope expired at ${new Date(h.expiresAt).toISOString()}`, from);
  if (ctx.seen(from, h.counter)) return { duplicate: true, header: h };
  let plaintext: Uint8Array;
  try {
    plaintext = new Uint8Array(await SUITE.open({ recipientKey: await recipientKeyPair(ctx.keys), enc: e.enc, info: HPKE_INFO }, e.ct, e.header));
  } catch {
    throw new RelayOpenError('DECRYPT_FAILED', `${from} signed a ciphertext that does not open for this party`, from);
  }
  if (h.broadcast !== undefined && contentHash(plaintext) !== h.broadcast) {
    plaintext.fill(0);
    throw new RelayOpenError('CONTENT_MISMATCH', `${from}'s broadcast does not match its own content hash`, from);
  }
  return { duplicate: false, header: h, plaintext, evidence: evidenceOf(e) };
}
