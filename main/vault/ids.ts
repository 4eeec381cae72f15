// Ids for vaults, users, groups and proposals: short, random, and within the statements' id alphabet.
import { randomBytes } from 'node:crypto';

export type IdKind = 'vault' | 'user' | 'group' | 'proposal' | 'wallet' | 'ceremony' | 'whitelist';
export type IdGenerator = (kind: IdKind) => string;

const PREFIX: Record<IdKind, string> = { vault: 'v', user: 'u', group: 'g', proposal: 'p', wallet: 'w', ceremony: 'c', whitelist: 'l' };

/** 64 random bits: ids are public and need only be unique within one vault (replay refuses a reused one). */
export const randomIds: IdGenerator = (kind) => `${PREFIX[kind]}-${randomBytes(8).toString('hex')}`;

/** Deterministic ids (tests, the CLI's reproducible sessions): p-1, p-2, … */
export function sequentialIds(): IdGenerator {
  const next: Record<IdKind, number> = { vault: 0, user: 0, group: 0, proposal: 0, wallet: 0, ceremony: 0, whitelist: 0 };
  return (kind) => `${PREFIX[kind]}-${++next[kind]}`;
}
