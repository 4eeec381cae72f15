// The control messages between a coordinator and signer nodes: a status ping, a session request, and their answers, each
// a relay envelope (signed by the sender's registered node keys, sealed to the recipient) on the vault's "control" subjects.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { partyIdFor } from '../../crypto/frost/party-id';
import type { GovernanceState, KeyRecord } from '../../crypto/governance';
import { decodePayload, encodePayload, openEnvelope, PayloadCodecError, RELAY_PROTOCOL_VERSION, sealEnvelope, encodeEnvelope, type TransportKeys, type TransportPublicKeys } from '../../crypto/relay';
import type { RelayRoute, RelayTransport } from '../relay/transport';
import { transportDirectory } from './directory';

/** The session id every control envelope carries, and the session token of its subjects (custos.relay.<vault>.control.<to>). */
export const CONTROL_SESSION = 'control';

/**
 * A coordinator speaks under its user's party id with this prefix, so it is never confused with that user's own signer
 * node (which speaks as the plain party id) and a custodian may coordinate a signing their node takes part in.
 */
export const coordinatorAddress = (userId: string): string => `coordinator-${partyIdFor(userId)}`;

export type ControlMessage =
  | { kind: 'node/ping'; nonce: string }
  | { kind: 'node/status'; nonce: string; nodeId: string; partyId: string; head: Head; ready: boolean; problem: string | null }
  | { kind: 'session/request'; ceremonyId: string; requestId: string; signers: string[]; head: Head; coordinatorUserId: string; expiresAt: number }
  | { kind: 'session/answer'; ceremonyId: string; accepted: boolean; reason: string | null }
  | { kind: 'session/dkg'; ceremonyId: string; walletId: string; head: Head; coordinatorUserId: string; expiresAt: number }
  | { kind: 'session/reshare'; ceremonyId: string; walletId: string; ceremony: 'refresh' | 'reshare'; dealers: string[]; receivers: string[]; threshold: number; head: Head; coordinatorUserId: string; expiresAt: number }
  | { kind: 'session/keygen'; ceremonyId: string; walletId: string; partyId: string; key: PublicKeyResult; shareDigest: string }
  | { kind: 'session/attest'; ceremonyId: string; coordinatorUserId: string; record: Omit<KeyRecord, 'attestations'>; expiresAt: number }
  | { kind: 'session/attestation'; ceremonyId: string; signature: string };

/** A DKG's public result as a node reports it: the group key and every party's verifying share (never a share). */
export interface PublicKeyResult {
  readonly threshold: number;
  readonly internalKey: string;
  readonly outputKey: string;
  readonly chainCode: string;
  readonly commitments: readonly string[];
  readonly verifyingShares: readonly { readonly partyId: string; readonly key: string }[];
}

export interface Head {
  seq: number;
  fingerprint: string;
}

export class ControlError extends Error {
  override readonly name = 'ControlError';
}

/** Where a control envelope to `to` goes. */
export const controlRoute = (vaultId: string, to: string): RelayRoute => ({ vaultId, sessionId: CONTROL_SESSION, party: to });

/**
 * Seals and publishes one control message. Counters only need to differ between a sender's messages (duplicates are
 * harmless: a node handles a ceremony id once), so a sender that restarts keeps counting from the clock.
 */
export async function sendControl(o: { transport: RelayTransport; vaultId: string; keys: TransportKeys; from: string; to: string; toKeys: TransportPublicKeys; message: ControlMessage; expiresAt: number }): Promise<void> {
  const { kind, ...body } = o.message;
  const header = { v: RELAY_PROTOCOL_VERSION, vaultId: o.vaultId, sessionId: CONTROL_SESSION, kind, round: 0, from: o.from, to: o.to, counter: nextCounter(), expiresAt: Math.floor(o.expiresAt) };
  const plaintext = encodePayload(body);
  try {
    const envelope = await sealEnvelope(header, plaintext, o.keys, o.toKeys.hpkeKey);
    await o.transport.publish(controlRoute(o.vaultId, o.to), encodeEnvelope(envelope));
  } finally {
    plaintext.fill(0);
  }
}

let lastCounter = 0;
function nextCounter(): number {
  lastCounter = Math.max(lastCounter + 1, Date.now());
  return lastCounter;
}

/**
 * The directory a control envelope is opened with, from the recipient's own replayed log: every active user's
 * registered node keys, under their party id (a node) and under their coordinator address (a coordinating console).
 */
export function controlDirectory(state: GovernanceState): { members: Set<string>; keysOf: (party: string) => TransportPublicKeys | null } {
  const nodes = transportDirectory(state, null);
  const coordinators = new Map<string, string>();
  for (const u of state.users) if (u.status === 'active' && u.node !== undefined) coordinators.set(coordinatorAddress(u.id), partyIdFor(u.id));
  const members = new Set<string>();
  for (const u of state.users) if (u.status === 'active' && u.node !== undefined) members.add(partyIdFor(u.id)).add(coordinatorAddress(u.id));
  return { members, keysOf: (party) => nodes(coordinators.get(party) ?? party) };
}

/**
 * Opens a control envelope addressed to `me`: the relay's checks (vault, recipient, a sender with registered keys in
 * this replica's log, signature, expiry), then the message's own shape. A refusal says why in words.
 */
export async function openControl(bytes: Uint8Array, o: { vaultId: string; me: string; keys: TransportKeys; state: GovernanceState; now: number }): Promise<{ from: string; message: ControlMessage }> {
  const dir = controlDirectory(o.state);
  const opened = await openEnvelope(bytes, { vaultId: o.vaultId, sessionId: CONTROL_SESSION, me: o.me, keys: o.keys, members: dir.members, directory: dir.keysOf, now: o.now, seen: () => false });
  if (opened.duplicate) throw new ControlError('a control message already seen');
  let body: unknown;
  try {
    body = decodePayload(opened.plaintext);
  } catch (err) {
    // A registered sender's payload that does not decode is a refused control message like any other, in words.
    if (err instanceof PayloadCodecError) throw new ControlError(`a control message whose payload cannot be read: ${err.message}`);
    throw err;
  } finally {
    opened.plaintext.fill(0);
  }
  return { from: opened.header.from, message: checkMessage(opened.header.kind, body, opened.header.expiresAt) };
}

const HEX64 = /^[0-9a-f]{64}$/;
const PARTY = /^(?:[0-9a-f]{16}|[0-9a-f]{64})$/;
const NODE_ID = /^[0-9a-f]{16}$/;
const CEREMONY = /^[A-Za-z0-9_-]{1,64}$/;

function checkMessage(kind: string, body: unknown, expiresAt: number): ControlMessage {
  const o = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  const bad = (what: string): never => {
    throw new ControlError(`a ${kind} message whose ${what}`);
  };
  const head = (v: unknown): Head => {
    const h = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
    if (!Number.isSafeInteger(h.seq) || (h.seq as number) < 0 || typeof h.fingerprint !== 'string' || !HEX64.test(h.fingerprint)) bad('head is not a seq and a fingerprint');
    return { seq: h.seq as number, fingerprint: h.fingerprint as string };
  };
  const str = (k: string, re: RegExp): string => (typeof o[k] === 'string' && re.test(o[k] as string) ? (o[k] as string) : bad(`${k} is missing or malformed`));
  switch (kind) {
    case 'node/ping':
      return { kind, nonce: str('nonce', /^[0-9a-f]{32}$/) };
    case 'node/status':
      return {
        kind,
        nonce: str('nonce', /^[0-9a-f]{32}$/),
        nodeId: str('nodeId', NODE_ID),
        partyId: str('partyId', PARTY),
        head: head(o.head),
        ready: o.ready === true,
        problem: typeof o.problem === 'string' ? o.problem.slice(0, 500) : null,
      };
    case 'session/request': {
      const signers = Array.isArray(o.signers) && o.signers.length <= 255 && o.signers.every((s) => typeof s === 'string' && PARTY.test(s)) ? (o.signers as string[]) : bad('signers are not party ids');
      if (!Number.isSafeInteger(o.expiresAt) || o.expiresAt !== expiresAt) bad('expiry is not the one its envelope carries');
      return {
        kind,
        ceremonyId: str('ceremonyId', CEREMONY),
        requestId: str('requestId', /^[A-Za-z0-9_-]{1,64}$/),
        signers: [...signers],
        head: head(o.head),
        coordinatorUserId: str('coordinatorUserId', /^[A-Za-z0-9_-]{1,128}$/),
        expiresAt,
      };
    }
    case 'session/dkg':
      if (!Number.isSafeInteger(o.expiresAt) || o.expiresAt !== expiresAt) bad('expiry is not the one its envelope carries');
      return { kind, ceremonyId: str('ceremonyId', CEREMONY), walletId: str('walletId', ID), head: head(o.head), coordinatorUserId: str('coordinatorUserId', ID), expiresAt };
    case 'session/reshare': {
      if (!Number.isSafeInteger(o.expiresAt) || o.expiresAt !== expiresAt) bad('expiry is not the one its envelope carries');
      const parties = (k: string): string[] => (Array.isArray(o[k]) && (o[k] as unknown[]).length <= 255 && (o[k] as unknown[]).every((s) => typeof s === 'string' && PARTY.test(s)) ? [...(o[k] as string[])] : bad(`${k} are not party ids`));
      const ceremony = o.ceremony === 'refresh' || o.ceremony === 'reshare' ? o.ceremony : bad('ceremony is neither refresh nor reshare');
      const threshold = Number.isSafeInteger(o.threshold) && (o.threshold as number) >= 1 && (o.threshold as number) <= 255 ? (o.threshold as number) : bad('threshold is not a number of custodians');
      return {
        kind,
        ceremonyId: str('ceremonyId', CEREMONY),
        walletId: str('walletId', ID),
        ceremony,
        dealers: parties('dealers'),
        receivers: parties('receivers'),
        threshold,
        head: head(o.head),
        coordinatorUserId: str('coordinatorUserId', ID),
        expiresAt,
      };
    }
    case 'session/keygen':
      return { kind, ceremonyId: str('ceremonyId', CEREMONY), walletId: str('walletId', ID), partyId: str('partyId', PARTY), key: publicKey(o.key, bad), shareDigest: str('shareDigest', HEX64) };
    case 'session/attest': {
      if (!Number.isSafeInteger(o.expiresAt) || o.expiresAt !== expiresAt) bad('expiry is not the one its envelope carries');
      const record = o.record;
      // Its shape is checked by the node against its own DKG and log; here only that it is a wallet-key record.
      if (typeof record !== 'object' || record === null || (record as { type?: unknown }).type !== 'wallet-key' || typeof (record as { key?: unknown }).key !== 'object') bad('record is not a wallet-key record');
      return { kind, ceremonyId: str('ceremonyId', CEREMONY), coordinatorUserId: str('coordinatorUserId', ID), record: record as Omit<KeyRecord, 'attestations'>, expiresAt };
    }
    case 'session/attestation':
      return { kind, ceremonyId: str('ceremonyId', CEREMONY), signature: str('signature', /^0x[0-9a-fA-F]{130}$/) };
    case 'session/answer':
      return { kind, ceremonyId: str('ceremonyId', CEREMONY), accepted: o.accepted === true, reason: typeof o.reason === 'string' ? o.reason.slice(0, 1000) : null };
    default:
      throw new ControlError(`an unknown control message kind "${kind}"`);
  }
}

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const HEX = /^(?:[0-9a-f]{2}){1,128}$/;

function publicKey(v: unknown, bad: (what: string) => never): PublicKeyResult {
  const k = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const hex = (x: unknown, what: string): string => (typeof x === 'string' && HEX.test(x) ? x : bad(`key's ${what} is not hex`));
  if (!Number.isSafeInteger(k.threshold) || (k.threshold as number) < 1 || (k.threshold as number) > 255) bad('key has no threshold');
  if (!Array.isArray(k.commitments) || k.commitments.length > 255) bad('key has no commitments');
  if (!Array.isArray(k.verifyingShares) || k.verifyingShares.length > 255) bad('key has no verifying shares');
  return {
    threshold: k.threshold as number,
    internalKey: hex(k.internalKey, 'internal key'),
    outputKey: hex(k.outputKey, 'output key'),
    chainCode: hex(k.chainCode, 'chain code'),
    commitments: (k.commitments as unknown[]).map((c) => hex(c, 'commitment')),
    verifyingShares: (k.verifyingShares as unknown[]).map((x) => {
      const e = (typeof x === 'object' && x !== null ? x : {}) as Record<string, unknown>;
      return { partyId: typeof e.partyId === 'string' && PARTY.test(e.partyId) ? e.partyId : bad('verifying share names no party'), key: hex(e.key, 'verifying share') };
    }),
  };
}

export const newNonce = (): string => bytesToHex(randomBytes(16));
