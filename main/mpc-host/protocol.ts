// The versioned message protocol between main and the MPC host: zod schemas, their types, and parsers both sides use.
import { z } from 'zod';
import type { ErrorCode } from '../../preload/contract';
import { logSyncFields, logSyncedFields, transferSignFields, transferSignedFields } from './transfer-protocol';
import {
  ceremonyErrorFields,
  checkDkgRun,
  checkReshareRun,
  checkSignRun,
  dkgDoneFields,
  dkgRunFields,
  progressFields,
  reshareDoneFields,
  reshareRunFields,
  signDoneFields,
  signRunFields,
  type FailureKind,
} from './ceremony-protocol';

/**
 * Bumped on any change a peer of the previous version would misread; both sides refuse other versions.
 * 2: ceremonies (dkg.run, sign.run, reshare.run) run inside the host, with progress events.
 */
export const PROTOCOL_VERSION = 2;

/**
 * The host's own version, reported by `pong`. Kept here rather than read from package.json at run time because the
 * host runs from sources (tsx), from a bundle and from an asar archive; a test keeps it equal to package.json's.
 */
export const HOST_VERSION = '0.1.0';

/** The id the host uses for its unsolicited `ready` message (no request asked for it). */
export const READY_ID = 'host-ready';

// Correlation ids are short printable strings: main picks them; the host only copies them back.
const messageId = z.string().min(1).max(100);
const envelope = { v: z.literal(PROTOCOL_VERSION), id: messageId };

// ---------------------------------------------------------------------------------------------------
// Requests (main → host). A ceremony adds its own request here and to `hostRequest`.

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

/** Runs a whole DKG among the given parties; each share comes back sealed to its custodian's device. */
export const dkgRunRequest = z.object({ ...envelope, ...dkgRunFields }).strict().superRefine(checkDkgRun);
/** Unseals the signers' shares, signs every message under the (child) key, and returns verified BIP-340 signatures. */
export const signRunRequest = z.object({ ...envelope, ...signRunFields }).strict().superRefine(checkSignRun);
/** Refreshes or reshares the key: same group key, new shares sealed to the receivers' devices. */
export const reshareRunRequest = z.object({ ...envelope, ...reshareRunFields }).strict().superRefine(checkReshareRun);

/** Main's signed log as it grows: the host pins what it has not seen, with the time it first saw it. */
export const logSyncRequest = z.object({ ...envelope, ...logSyncFields }).strict();
/** Signs a transfer request once the host has checked the whole evidence itself (see transfer-gate.ts). */
export const transferSignRequest = z.object({ ...envelope, ...transferSignFields }).strict();

export const hostRequest = z.discriminatedUnion('type', [pingRequest, shutdownRequest, dkgRunRequest, signRunRequest, reshareRunRequest, logSyncRequest, transferSignRequest]);

export type PingRequest = z.infer<typeof pingRequest>;
export type ShutdownRequest = z.infer<typeof shutdownRequest>;
export type DkgRunRequest = z.infer<typeof dkgRunRequest>;
export type SignRunRequest = z.infer<typeof signRunRequest>;
export type ReshareRunRequest = z.infer<typeof reshareRunRequest>;
export type CeremonyRequest = DkgRunRequest | SignRunRequest | ReshareRunRequest;
export type LogSyncRequest = z.infer<typeof logSyncRequest>;
export type TransferSignRequest = z.infer<typeof transferSignRequest>;
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

export const dkgDoneReply = z.object({ ...envelope, ...dkgDoneFields }).strict();
export const signDoneReply = z.object({ ...envelope, ...signDoneFields }).strict();
export const reshareDoneReply = z.object({ ...envelope, ...reshareDoneFields }).strict();
export const progressEvent = z
  .object({ ...envelope, ...progressFields })
  .strict()
  .refine((p) => p.done <= p.total, { path: ['done'], message: 'is more than total' });

/**
 * The codes the host may answer with: a subset of the contract's closed union. Malformed or inconsistent input is
 * MPC_PROTOCOL; a ceremony that failed (a share that does not open, a party's message that fails its checks, a
 * self-check) is MPC_CEREMONY_FAILED with the party to blame; too much work waiting is MPC_HOST_UNAVAILABLE.
 */
export const HOST_ERROR_CODES = ['MPC_PROTOCOL', 'MPC_CEREMONY_FAILED', 'MPC_HOST_UNAVAILABLE', 'POLICY_DENIED', 'INTERNAL'] as const satisfies readonly ErrorCode[];
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
    ...ceremonyErrorFields,
  })
  .strict();

export const logSyncedReply = z.object({ ...envelope, ...logSyncedFields }).strict();
export const transferSignedReply = z.object({ ...envelope, ...transferSignedFields }).strict();

export const hostReply = z.discriminatedUnion('type', [readyMessage, pongReply, errorReply, dkgDoneReply, signDoneReply, reshareDoneReply, progressEvent, logSyncedReply, transferSignedReply]);

export type ReadyMessage = z.infer<typeof readyMessage>;
export type PongReply = z.infer<typeof pongReply>;
export type ErrorReply = z.infer<typeof errorReply>;
export type DkgDoneReply = z.infer<typeof dkgDoneReply>;
export type SignDoneReply = z.infer<typeof signDoneReply>;
export type ReshareDoneReply = z.infer<typeof reshareDoneReply>;
export type ProgressEvent = z.infer<typeof progressEvent>;
export type HostReply = z.infer<typeof hostReply>;

/** Which reply answers which request (`null`: answered by something else, e.g. the exit). Progress events never answer. */
export const REPLY_TO = {
  ping: 'pong',
  shutdown: null,
  'dkg.run': 'dkg.done',
  'sign.run': 'sign.done',
  'reshare.run': 'reshare.done',
  'log.sync': 'log.synced',
  'transfer.sign': 'transfer.signed',
} as const satisfies Record<HostRequestType, Exclude<HostReply['type'], 'progress'> | null>;

export const CEREMONY_REQUEST_TYPES = ['dkg.run', 'sign.run', 'reshare.run'] as const satisfies readonly HostRequestType[];
export const isCeremonyRequest = (r: HostRequest): r is CeremonyRequest => (CEREMONY_REQUEST_TYPES as readonly string[]).includes(r.type);

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
