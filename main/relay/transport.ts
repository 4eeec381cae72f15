// The one interface every relay transport offers (NATS, files, an in-memory test double): publish sealed envelopes to a route, receive one's own.
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Where an envelope goes: one recipient in one session of one vault. The transport sees only this and opaque bytes. */
export type RelayRoute = { vaultId: string; sessionId: string; party: string };

export interface RelaySubscription {
  /** Resolves with an error when the transport refused or lost the subscription (e.g. a permissions violation). */
  readonly closed: Promise<void | Error>;
  close(): Promise<void>;
}

/**
 * Carries envelopes and nothing else. It is trusted for nothing: it may drop, repeat, delay, reorder or misroute, and
 * every envelope is signed, sealed and checked by its recipient. Every party dials out; none listens.
 */
export interface RelayTransport {
  /** Delivers every envelope published to `route` (this party's own) to `deliver`, until closed. */
  subscribe(route: RelayRoute, deliver: (envelope: Uint8Array) => void): Promise<RelaySubscription>;
  publish(route: RelayRoute, envelope: Uint8Array): Promise<void>;
}

export const SUBJECT_PREFIX = 'custos.relay';
const TOKEN_RE = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * One NATS subject token per id: the id itself when it is a plain token (vault ids, session ids, party ids and
 * "coordinator" are), otherwise "h" and 32 hex digits of its SHA-256, so dots, slashes or wildcards in an id can never
 * reach another party's subject.
 */
export function subjectToken(id: string): string {
  return TOKEN_RE.test(id) ? id : 'h' + bytesToHex(sha256(utf8ToBytes(id))).slice(0, 32);
}

/** custos.relay.<vault>.<session>.<recipient> */
export function relaySubject(route: RelayRoute): string {
  return [SUBJECT_PREFIX, subjectToken(route.vaultId), subjectToken(route.sessionId), subjectToken(route.party)].join('.');
}

/** What a party's NATS user may subscribe to: its own subjects in every session of its vault, and nothing else. */
export function partySubscribeSubject(vaultId: string, party: string): string {
  return [SUBJECT_PREFIX, subjectToken(vaultId), '*', subjectToken(party)].join('.');
}

/** What a party's NATS user may publish to: any recipient in any session of its vault (envelopes are sealed and signed). */
export function partyPublishSubject(vaultId: string): string {
  return [SUBJECT_PREFIX, subjectToken(vaultId), '*', '*'].join('.');
}
