// Every message between main and the MPC host, in one place: each request and reply with its schema, the protocol
// version, and the parsers both sides run over everything they receive. The host answers no request that signs or
// re-keys without device-signed evidence in the log it pinned itself (main/mpc-host/signer-gate.ts).
import { z } from 'zod';
import type { ErrorCode } from '../../preload/contract';
import { MAX_PARTIES, groupKeyWire, hex64, idSchema, partyIdSchema, sealedHex, sealedShareWire, hex32 } from './wire';

/**
 * Bumped on any change a peer of the previous version would misread; both sides refuse other versions.
 * 2: ceremonies (dkg.run, sign.run, reshare.run) ran inside the host on main's word, with progress events.
 * 3: no message signs or re-keys on main's word: signatures, DKGs, refreshes and reshares are asked as a transfer
 *    request or a wallet's owed ceremony in the pinned log, each share used only with its custodian's device-signed
 *    use statement; the host is pinned to a vault by a device-confirmed anchor.
 */
export const PROTOCOL_VERSION = 3;

/**
 * The host's own version, reported by `pong`. Kept here rather than read from package.json at run time because the
 * host runs from sources (tsx), from a bundle and from an asar archive; a test keeps it equal to package.json's.
 */
export const HOST_VERSION = '0.1.0';

/** The id the host uses for its unsolicited `ready` message (no request asked for it). */
export const READY_ID = 'host-ready';

/** Most messages one signing session may carry (one per transaction input is the usual use). */
export const MAX_MESSAGES = 1000;

/** Every step a ceremony reports progress for, in the order each ceremony takes them. */
export const CEREMONY_STEPS = {
  dkg: ['round1', 'round2', 'finish', 'seal'],
  sign: ['unseal', 'commit', 'share', 'aggregate', 'verify'],
  reshare: ['unseal', 'deal', 'collect', 'finish', 'seal'],
} as const;
export const STEP_NAMES = ['round1', 'round2', 'finish', 'seal', 'unseal', 'commit', 'share', 'aggregate', 'verify', 'deal', 'collect'] as const;
export type CeremonyStep = (typeof STEP_NAMES)[number];

/**
 * Why a ceremony failed, beside the error code: `request` (malformed or inconsistent input), `unseal` (a sealed share
 * does not open with its device's secret, or is not that party's share), `culprit` (a party's ceremony message failed
 * its checks), `busy` (too many requests waiting), `internal` (a self-check of the host).
 */
export const FAILURE_KINDS = ['request', 'unseal', 'culprit', 'busy', 'internal'] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

// Correlation ids are short printable strings: main picks them; the host only copies them back.
const messageId = z.string().min(1).max(100);
const envelope = { v: z.literal(PROTOCOL_VERSION), id: messageId };

/** The signed log, canonical record bodies in seq order (the host checks them against what it pinned). */
const records = z.array(z.string().min(2).max(2_000_000)).min(1).max(1_000_000);

/**
 * The part of main's log the host lacks: the records from `fromSeq` on (none when it lacks none), and `head`, the
 * fingerprint of main's whole log (main/store/log-head.ts: fp over every record from genesis). The host takes the tail
 * only if it holds every record before `fromSeq`, main's log is not shorter than the one it pinned, the records it
 * already holds are byte for byte the same, and its own fingerprint extended by the new records is `head`: so a log cut
 * short or rewritten anywhere, not only in the tail, is refused as when main sent it whole.
 */
const logTail = {
  fromSeq: z.number().int().min(0).max(1_000_000_000),
  records: z.array(z.string().min(2).max(2_000_000)).max(1_000_000),
  head: hex32,
};
const requestId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a request id (1..64 of A-Z a-z 0-9 _ -)');
/** A device's EIP-191 signature as the log stores them: 0x + r ‖ s ‖ v. */
const deviceSignature = z.string().regex(/^0x[0-9a-f]{130}$/, 'must be a device signature (0x + 65 bytes of lowercase hex)');
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte address');

/** A custodian bringing their sealed share: the device's secret that opens it, and their use statement's signature. */
const unsealingParty = z.object({ partyId: partyIdSchema, sealed: sealedHex, unsealSecret: hex32, useSignature: deviceSignature }).strict();

type Issue = (path: (string | number)[], message: string) => void;
const issues = (ctx: z.RefinementCtx): Issue => (path, message) => ctx.addIssue({ code: 'custom', path, message });
function noDuplicateParties(items: readonly { partyId: string }[], field: string, ctx: z.RefinementCtx): void {
  const issue = issues(ctx);
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const first = seen.get(item.partyId);
    if (first !== undefined) issue([field, i, 'partyId'], `the same party as ${field}.${first}`);
    else seen.set(item.partyId, i);
  });
}

// ---------------------------------------------------------------------------------------------------
// Requests (main → host)

export const pingRequest = z
  .object({
    ...envelope,
    type: z.literal('ping'),
    /** Returned as is in the pong, so a caller can tell its ping's answer from a stale one. */
    echo: z.string().max(256).optional(),
  })
  .strict();

/** Asks the host to exit cleanly (code 0). It is answered by the exit itself, not by a message. */
export const shutdownRequest = z.object({ ...envelope, type: z.literal('shutdown') }).strict();

/** What the signer is pinned to, how far its log goes, and what keeps it from signing, if anything. */
export const statusRequest = z.object({ ...envelope, type: z.literal('signer.status') }).strict();

/** Pins the signer to a vault: the anchor statement a member's device signed after showing it. Once per signer folder. */
export const anchorPinRequest = z
  .object({
    ...envelope,
    type: z.literal('anchor.pin'),
    vaultId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a vault id'),
    vaultName: z.string().min(1).max(32),
    genesisAddress: address,
    confirmedBy: address,
    signature: deviceSignature,
    /** The log as main holds it: its genesis must be the anchor's, and the confirming device an active member's. */
    records,
  })
  .strict();

/** Main's signed log as it grows: the host pins what it has not seen, with the time it first saw it. */
export const logSyncRequest = z.object({ ...envelope, type: z.literal('log.sync'), ...logTail }).strict();

/** Signs a transfer request of the log, once the host has checked the whole evidence and each signer's use statement. */
export const transferSignRequest = z
  .object({ ...envelope, type: z.literal('transfer.sign'), ceremonyId: idSchema, requestId, ...logTail, signers: z.array(unsealingParty).min(2).max(MAX_PARTIES) })
  .strict()
  .superRefine((r, ctx) => noDuplicateParties(r.signers, 'signers', ctx));

/** Runs the DKG a wallet owes: every custodian the approved proposal names, each with their use statement. */
export const walletKeygenRequest = z
  .object({
    ...envelope,
    type: z.literal('wallet.keygen'),
    ceremonyId: idSchema,
    walletId: idSchema,
    ...logTail,
    parties: z.array(z.object({ partyId: partyIdSchema, useSignature: deviceSignature }).strict()).min(2).max(MAX_PARTIES),
  })
  .strict()
  .superRefine((r, ctx) => noDuplicateParties(r.parties, 'parties', ctx));

/** Runs the refresh or reshare a wallet owes, dealt by current custodians who each signed their use statement. */
export const walletReshareRequest = z
  .object({ ...envelope, type: z.literal('wallet.reshare'), ceremonyId: idSchema, walletId: idSchema, ...logTail, dealers: z.array(unsealingParty).min(2).max(MAX_PARTIES) })
  .strict()
  .superRefine((r, ctx) => noDuplicateParties(r.dealers, 'dealers', ctx));

export const hostRequest = z.discriminatedUnion('type', [
  pingRequest,
  shutdownRequest,
  statusRequest,
  anchorPinRequest,
  logSyncRequest,
  transferSignRequest,
  walletKeygenRequest,
  walletReshareRequest,
]);

export type PingRequest = z.infer<typeof pingRequest>;
export type AnchorPinRequest = z.infer<typeof anchorPinRequest>;
export type LogSyncRequest = z.infer<typeof logSyncRequest>;
/** What a log.sync, transfer.sign, wallet.keygen and wallet.reshare carry of main's log. */
export type LogTail = Pick<LogSyncRequest, 'fromSeq' | 'records' | 'head'>;
export type TransferSignRequest = z.infer<typeof transferSignRequest>;
export type WalletKeygenRequest = z.infer<typeof walletKeygenRequest>;
export type WalletReshareRequest = z.infer<typeof walletReshareRequest>;
export type HostRequest = z.infer<typeof hostRequest>;
export type HostRequestType = HostRequest['type'];

// ---------------------------------------------------------------------------------------------------
// Replies and events (host → main)

/** Sent once, unasked, when the host listens: main waits for it before its first request. */
export const readyMessage = z
  .object({
    ...envelope,
    type: z.literal('ready'),
    protocolVersion: z.number().int(),
    hostVersion: z.string().max(50),
    pid: z.number().int().nonnegative(),
  })
  .strict();

export const pongReply = z
  .object({
    ...envelope,
    type: z.literal('pong'),
    protocolVersion: z.number().int(),
    hostVersion: z.string().max(50),
    pid: z.number().int().nonnegative(),
    uptimeMs: z.number().nonnegative(),
    echo: z.string().max(256).nullable(),
  })
  .strict();

export const signerStateReply = z
  .object({
    ...envelope,
    type: z.literal('signer.state'),
    /** The signer folder's own id (16 hex digits): what an anchor statement names. */
    hostId: z.string().regex(/^[0-9a-f]{16}$/),
    anchor: z.object({ vaultId: z.string().max(64), vaultName: z.string().max(32), genesisAddress: address, confirmedBy: address }).strict().nullable(),
    /** The last seq pinned, -1 when none. */
    pinnedSeq: z.number().int().min(-1),
    /** Why the signer refuses to act (its folder does not hold together), or null. */
    problem: z.string().max(2000).nullable(),
    /** What a person may want to know of how the signer started (no checkpoint: it re-verified its whole journal), or null. */
    notice: z.string().max(2000).nullable(),
  })
  .strict();

export const logSyncedReply = z.object({ ...envelope, type: z.literal('log.synced'), seq: z.number().int().min(0) }).strict();

export const transferSignedReply = z
  .object({
    ...envelope,
    type: z.literal('transfer.signed'),
    ceremonyId: idSchema,
    requestId,
    ruleId: z.string().min(1).max(64),
    signatures: z.array(z.object({ index: z.number().int().min(0).max(MAX_MESSAGES), signature: hex64 }).strict()).min(1).max(MAX_MESSAGES),
  })
  .strict();

/** A DKG's, refresh's or reshare's outcome: the new key and one share per custodian, sealed to their device. */
export const walletKeyedReply = z
  .object({
    ...envelope,
    type: z.literal('wallet.keyed'),
    ceremonyId: idSchema,
    walletId: idSchema,
    ceremony: z.enum(['dkg', 'refresh', 'reshare']),
    keyVersion: z.number().int().min(1),
    groupKey: groupKeyWire,
    shares: z.array(sealedShareWire).min(2).max(MAX_PARTIES),
  })
  .strict();

/** Unsolicited, correlated by the request's id: sent when a step begins, and at most a few times a second within one. */
export const progressEvent = z
  .object({
    ...envelope,
    type: z.literal('progress'),
    ceremonyId: idSchema,
    step: z.enum(STEP_NAMES),
    /** Units of the step done so far (parties, signers or messages, as the step counts them). */
    done: z.number().int().min(0),
    total: z.number().int().min(1),
  })
  .strict()
  .refine((p) => p.done <= p.total, { path: ['done'], message: 'is more than total' });

/**
 * The codes the host may answer with: a subset of the contract's closed union. Malformed input is MPC_PROTOCOL; a
 * ceremony that failed is MPC_CEREMONY_FAILED with the party to blame; evidence that does not hold is POLICY_DENIED;
 * a signer folder that does not hold together (or a log cut short behind its back) is TAMPERING_DETECTED.
 */
export const HOST_ERROR_CODES = ['MPC_PROTOCOL', 'MPC_CEREMONY_FAILED', 'MPC_HOST_UNAVAILABLE', 'POLICY_DENIED', 'TAMPERING_DETECTED', 'INTERNAL'] as const satisfies readonly ErrorCode[];
export type HostErrorCode = (typeof HOST_ERROR_CODES)[number];

/** The error code a ceremony failure of each kind is answered with. */
export function errorCodeFor(failure: FailureKind): HostErrorCode {
  if (failure === 'request') return 'MPC_PROTOCOL';
  if (failure === 'busy') return 'MPC_HOST_UNAVAILABLE';
  return 'MPC_CEREMONY_FAILED';
}

export const errorReply = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    /** Null when the request was too malformed to read its id from. */
    id: messageId.nullable(),
    type: z.literal('error'),
    code: z.enum(HOST_ERROR_CODES),
    message: z.string().max(2000),
    ceremonyId: idSchema.optional(),
    /** The party to blame, or null when nobody can be named (or nobody is to blame). */
    culprit: partyIdSchema.nullable().optional(),
    failure: z.enum(FAILURE_KINDS).optional(),
    /** The host lacks records before this seq (it restarted with less, or main guessed too far): send the log again from here. */
    resendFrom: z.number().int().min(0).optional(),
  })
  .strict();

export const hostReply = z.discriminatedUnion('type', [readyMessage, pongReply, errorReply, signerStateReply, logSyncedReply, transferSignedReply, walletKeyedReply, progressEvent]);

export type ReadyMessage = z.infer<typeof readyMessage>;
export type PongReply = z.infer<typeof pongReply>;
export type ErrorReply = z.infer<typeof errorReply>;
export type SignerStateReply = z.infer<typeof signerStateReply>;
export type WalletKeyedReply = z.infer<typeof walletKeyedReply>;
export type ProgressEvent = z.infer<typeof progressEvent>;
export type HostReply = z.infer<typeof hostReply>;

/** Which reply answers which request (`null`: answered by the exit). Progress events never answer. */
export const REPLY_TO = {
  ping: 'pong',
  shutdown: null,
  'signer.status': 'signer.state',
  'anchor.pin': 'signer.state',
  'log.sync': 'log.synced',
  'transfer.sign': 'transfer.signed',
  'wallet.keygen': 'wallet.keyed',
  'wallet.reshare': 'wallet.keyed',
} as const satisfies Record<HostRequestType, Exclude<HostReply['type'], 'progress'> | null>;

/** A request's body, as callers write it: the envelope (v, id) is added when it is sent. */
export type RequestBody<T extends HostRequestType = HostRequestType> = T extends HostRequestType
  ? Omit<Extract<HostRequest, { type: T }>, 'v' | 'id'>
  : never;

// ---------------------------------------------------------------------------------------------------
// Parsing: both sides validate everything they receive, and say in plain words what was wrong.

export interface ProtocolFault {
  code: 'MPC_PROTOCOL';
  message: string;
  /** The message's id if one could be read, so the peer can still correlate the error. */
  id: string | null;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: ProtocolFault };

const REQUEST_TYPES = hostRequest.options.map((o) => o.shape.type.value);
const REPLY_TYPES = hostReply.options.map((o) => o.shape.type.value);

/** Parses what the host received. Never throws. */
export function parseHostRequest(raw: unknown): ParseResult<HostRequest> {
  return parseMessage(raw, hostRequest, REQUEST_TYPES, 'host');
}

/** Parses what main received from the host. Never throws. */
export function parseHostReply(raw: unknown): ParseResult<HostReply> {
  return parseMessage(raw, hostReply, REPLY_TYPES, 'client');
}

function parseMessage<T>(
  raw: unknown,
  schema: z.ZodType<T>,
  knownTypes: readonly string[],
  side: 'host' | 'client',
): ParseResult<T> {
  const fail = (message: string, id: string | null = null): ParseResult<T> => ({
    ok: false,
    error: { code: 'MPC_PROTOCOL', message, id },
  });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return fail(`expected a message object; got ${describe(raw)}`);
  }
  const record = raw as Record<string, unknown>;
  // The id is read first so every later error can still be correlated by the peer.
  const id = messageId.safeParse(record.id).success ? (record.id as string) : null;
  if (!('v' in record) || record.v === undefined) {
    return fail(`the message has no protocol version (v); this ${side} speaks protocol ${PROTOCOL_VERSION}`, id);
  }
  if (record.v !== PROTOCOL_VERSION) {
    return fail(`this ${side} speaks protocol ${PROTOCOL_VERSION}; got ${describeVersion(record.v)}`, id);
  }
  if (typeof record.type !== 'string') {
    return fail(`the message has no type; this ${side} knows ${knownTypes.join(', ')}`, id);
  }
  if (!knownTypes.includes(record.type)) {
    return fail(`unknown message type "${clip(record.type)}"; this ${side} knows ${knownTypes.join(', ')}`, id);
  }
  if (id === null && !(side === 'client' && record.type === 'error' && record.id === null)) {
    return fail(`the "${record.type}" message has no id (a string of 1 to 100 characters)`, null);
  }
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = schema.safeParse(raw);
  } catch {
    // A refinement that trips over a shape it did not expect must cost one refusal, never the host.
    return fail(`the "${record.type}" message could not be checked`, id);
  }
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
      .join('; ');
    return fail(`bad "${record.type}" message: ${issues}`, id);
  }
  return { ok: true, value: parsed.data };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function describeVersion(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return `"${clip(value)}"`;
  return describe(value);
}

// Types and versions are echoed into error text; a hostile peer must not make that text large.
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
