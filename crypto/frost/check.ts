// Explicit checks of incoming ceremony messages, each failing with a CeremonyError that says what and who.
import { CeremonyError } from './errors.js';
import { BROADCAST } from './types.js';
import type { MessageHeader, PartyId } from './types.js';

const ID_RE = /^[0-9a-f]{64}$/;

export function isPartyId(x: unknown): x is PartyId {
  return typeof x === 'string' && ID_RE.test(x) && !/^0+$/.test(x);
}

/** Refuses a message that is not an object, names another ceremony or kind, or does not come from/go to a member. */
export function checkHeader(
  msg: unknown,
  expect: { ceremonyId: string; kind: string; round: number; self: PartyId; senders: readonly PartyId[] },
): asserts msg is MessageHeader & { kind: string } {
  if (typeof msg !== 'object' || msg === null) throw new CeremonyError('MALFORMED_MESSAGE', 'message is not an object');
  const m = msg as Record<string, unknown>;
  const from = isPartyId(m.from) ? m.from : undefined;
  const fail = (reason: string): never => {
    throw new CeremonyError('MALFORMED_MESSAGE', reason, from);
  };
  if (from === undefined) fail('message has no valid sender identifier');
  if (!expect.senders.includes(from as PartyId)) fail('sender is not a party of this ceremony');
  if (m.ceremonyId !== expect.ceremonyId) fail(`message belongs to ceremony ${String(m.ceremonyId)}, not ${expect.ceremonyId}`);
  if (m.kind !== expect.kind) fail(`expected a ${expect.kind} message, got ${String(m.kind)}`);
  if (m.round !== expect.round) fail(`expected round ${expect.round}, got ${String(m.round)}`);
  if (from === expect.self) fail('message claims to come from the receiving party itself');
  if (m.to !== BROADCAST && m.to !== expect.self) fail('message is addressed to another party');
}

/** Refuses a field that is not a Uint8Array of the given length (or any length when `len` is undefined). */
export function checkBytes(value: unknown, len: number | undefined, what: string, culprit: PartyId): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CeremonyError('MALFORMED_MESSAGE', `${what} is not bytes`, culprit);
  if (len !== undefined && value.length !== len)
    throw new CeremonyError('MALFORMED_MESSAGE', `${what} is ${value.length} bytes, expected ${len}`, culprit);
  return value;
}

export function checkBytesArray(value: unknown, count: number, len: number, what: string, culprit: PartyId): Uint8Array[] {
  if (!Array.isArray(value)) throw new CeremonyError('MALFORMED_MESSAGE', `${what} is not a list`, culprit);
  if (value.length !== count)
    throw new CeremonyError('DKG_CULPRIT', `${what} has ${value.length} entries, expected ${count}`, culprit);
  return value.map((v, i) => checkBytes(v, len, `${what}[${i}]`, culprit));
}

/** Validates a ceremony's party list: canonical identifiers, no duplicates, sorted copy returned. */
export function checkParties(parties: readonly string[], what = 'parties'): PartyId[] {
  if (!Array.isArray(parties)) throw new CeremonyError('BAD_CONFIG', `${what} is not a list`);
  for (const p of parties) if (!isPartyId(p)) throw new CeremonyError('BAD_CONFIG', `${what}: bad identifier ${String(p)}`);
  if (new Set(parties).size !== parties.length) throw new CeremonyError('BAD_CONFIG', `${what}: duplicate identifier`);
  return [...parties].sort(compareIds);
}

/** Canonical identifier order: as big-endian scalars (lowercase hex of equal length sorts the same way). */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function checkCeremonyId(id: unknown): string {
  if (typeof id !== 'string' || id.length < 1 || id.length > 200)
    throw new CeremonyError('BAD_CONFIG', 'ceremonyId must be a string of 1..200 characters');
  return id;
}
