// Test harness for ceremonies: seeded RNGs, party identifiers, and an in-memory router that delivers outboxes.
import { schnorr_FROST } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { seededRng } from '../../crypto/frost/entropy.js';
import { dkgFinish, dkgStart, dkgStep } from '../../crypto/frost/dkg.js';
import type { DkgMessage, DkgState } from '../../crypto/frost/dkg.js';
import { signStart, signStep } from '../../crypto/frost/sign.js';
import type { SignMessage, SignState } from '../../crypto/frost/sign.js';
import { BROADCAST } from '../../crypto/frost/types.js';
import type { GroupKey, PartyId, PublicPackage, Rng, SecretShare } from '../../crypto/frost/types.js';

export const ids = (n: number): PartyId[] => Array.from({ length: n }, (_, i) => schnorr_FROST.Identifier.fromNumber(i + 1));

/** A deterministic RNG named by a label, so each test is replayable. */
export const rngFor = (label: string): Rng => seededRng(sha256(utf8ToBytes('test-rng/' + label)));
export const constantRng: Rng = (n = 32) => new Uint8Array(n).fill(0x42);
export const deviceEntropyFor = (label: string): Uint8Array => sha256(utf8ToBytes('device/' + label));

type Routed = { from: string; to: string };

/** Delivers messages until every queue is empty; `tamper` may rewrite (or drop, by returning null) a message in flight. */
export function route<S, M extends Routed>(
  states: Map<string, S>,
  initial: M[],
  step: (s: S, m: M) => { state: S; outbox: M[] },
  tamper?: (m: M, to: string) => M | null,
): void {
  const queue: [string, M][] = [];
  const push = (m: M): void => {
    const targets = m.to === BROADCAST ? [...states.keys()].filter((k) => k !== m.from) : [m.to];
    for (const to of targets) {
      const t = tamper ? tamper(m, to) : m;
      if (t !== null) queue.push([to, t]);
    }
  };
  initial.forEach(push);
  while (queue.length > 0) {
    const [to, m] = queue.shift() as [string, M];
    const s = states.get(to);
    if (s === undefined) continue;
    const r = step(s, m);
    states.set(to, r.state);
    r.outbox.forEach(push);
  }
}

export type DkgRun = { groupKey: GroupKey; shares: Map<PartyId, SecretShare>; keys: GroupKey[] };

export function runDkg(
  t: number,
  n: number,
  opts: { ceremonyId?: string; rng?: (party: string) => Rng; tamper?: (m: DkgMessage, to: string) => DkgMessage | null } = {},
): DkgRun {
  const parties = ids(n);
  const ceremonyId = opts.ceremonyId ?? `dkg-${t}-${n}`;
  const states = new Map<string, DkgState>();
  const first: DkgMessage[] = [];
  for (const self of parties) {
    const r = dkgStart(
      { ceremonyId, self, parties, threshold: t },
      { rng: opts.rng ? opts.rng(self) : rngFor(`${ceremonyId}/${self}`), deviceEntropy: deviceEntropyFor(`${ceremonyId}/${self}`) },
    );
    states.set(self, r.state);
    first.push(...r.outbox);
  }
  route(states, first, dkgStep, opts.tamper);
  const shares = new Map<PartyId, SecretShare>();
  const keys: GroupKey[] = [];
  for (const [id, s] of states) {
    const { groupKey, share } = dkgFinish(s);
    shares.set(id, share);
    keys.push(groupKey);
  }
  return { groupKey: keys[0] as GroupKey, shares, keys };
}

export const COORD = 'coordinator';

/** Runs a session among `signers` plus a coordinator; returns every state (the coordinator's under COORD). */
export function runSigning(
  pub: PublicPackage,
  shares: Map<PartyId, SecretShare>,
  signers: PartyId[],
  messages: Uint8Array[],
  opts: { sessionId?: string; shareCheck?: 'each' | 'on-failure'; tamper?: (m: SignMessage, to: string) => SignMessage | null } = {},
): Map<string, SignState> {
  const sessionId = opts.sessionId ?? 'sign-1';
  const states = new Map<string, SignState>();
  const first: SignMessage[] = [];
  for (const self of signers) {
    const r = signStart({ sessionId, self, signers, messages, publicPackage: pub }, shares.get(self)!, rngFor(sessionId + self));
    states.set(self, r.state);
    first.push(...r.outbox);
  }
  states.set(COORD, signStart({ sessionId, self: null, signers, messages, publicPackage: pub, shareCheck: opts.shareCheck }, null, rngFor('c')).state);
  route(states, first, signStep, opts.tamper);
  return states;
}

