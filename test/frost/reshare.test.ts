// Refresh and reshare: same group key and address, new shares that sign, old shares useless, culprits named.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { taprootAddress } from '../../crypto/bitcoin/address.js';
import { Fn } from '../../crypto/frost/curve.js';
import { CeremonyError } from '../../crypto/frost/errors.js';
import { reshareFinish, reshareStart, reshareStep } from '../../crypto/frost/reshare.js';
import type { ReshareMessage, ReshareMode, ReshareState } from '../../crypto/frost/reshare.js';
import type { GroupKey, PartyId, SecretShare } from '../../crypto/frost/types.js';
import { COORD, deviceEntropyFor, ids, rngFor, route, runDkg, runSigning } from './helpers.js';

function runReshare(
  mode: ReshareMode,
  current: GroupKey,
  shares: Map<PartyId, SecretShare>,
  dealers: PartyId[],
  receivers: PartyId[],
  threshold: number,
  tamper?: (m: ReshareMessage, to: string) => ReshareMessage | null,
): { groupKey: GroupKey; shares: Map<PartyId, SecretShare> } {
  const ceremonyId = `${mode}-${dealers.length}-${receivers.length}-${threshold}`;
  const states = new Map<string, ReshareState>();
  const first: ReshareMessage[] = [];
  for (const self of new Set([...dealers, ...receivers])) {
    const dealing = dealers.includes(self);
    const r = reshareStart(
      { ceremonyId, mode, self, current, dealers, receivers, threshold },
      dealing ? shares.get(self)! : null,
      dealing ? { rng: rngFor(ceremonyId + self), deviceEntropy: deviceEntropyFor(self) } : null,
    );
    states.set(self, r.state);
    first.push(...r.outbox);
  }
  route(states, first, reshareStep, tamper);
  const out = new Map<PartyId, SecretShare>();
  let groupKey: GroupKey | undefined;
  for (const [id, s] of states) {
    const f = reshareFinish(s);
    groupKey ??= f.groupKey;
    expect(f.groupKey).toEqual(groupKey);
    if (f.share) out.set(id, f.share);
  }
  return { groupKey: groupKey!, shares: out };
}

const msg = new Uint8Array(32).fill(0x5a);
const signs = (gk: GroupKey, shares: Map<PartyId, SecretShare>, signers: PartyId[]): boolean =>
  schnorr.verify(runSigning(gk.publicPackage, shares, signers, [msg], { sessionId: 's' + signers.join('').length }).get(COORD)!.public.signatures![0]!, msg, gk.outputKey);

function caught(fn: () => unknown): CeremonyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CeremonyError);
    return e as CeremonyError;
  }
  throw new Error('expected a CeremonyError');
}

describe('refresh', () => {
  it.each([
    [2, 3],
    [3, 5],
  ])('gives %i-of-%i parties new shares of the same key; an old share no longer combines with new ones', (t, n) => {
    const run = runDkg(t, n, { ceremonyId: `r-${t}-${n}` });
    const parties = ids(n);
    const r = runReshare('refresh', run.groupKey, run.shares, parties, parties, t);
    expect(r.groupKey.outputKey).toEqual(run.groupKey.outputKey);
    expect(r.groupKey.internalKey).toEqual(run.groupKey.internalKey);
    expect(taprootAddress(r.groupKey.internalKey, 'regtest', r.groupKey.outputKey)).toBe(taprootAddress(run.groupKey.internalKey, 'regtest'));
    for (const p of parties) expect(r.shares.get(p)!.signingShare).not.toEqual(run.shares.get(p)!.signingShare);
    expect(signs(r.groupKey, r.shares, parties.slice(0, t))).toBe(true);
    // Mixing one old share with new ones: it fails noble's own share check and the interpolated secret is wrong.
    const mixed = [run.shares.get(parties[0]!)!, ...parties.slice(1, t).map((p) => r.shares.get(p)!)];
    expect(() => schnorr_FROST.validateSecret(mixed[0]!, r.groupKey.publicPackage)).toThrow();
    const good = schnorr_FROST.combineSecret(parties.slice(0, t).map((p) => r.shares.get(p)!), r.groupKey.publicPackage.signers);
    expect(schnorr_FROST.combineSecret(mixed, r.groupKey.publicPackage.signers)).not.toEqual(good);
    const oldMixSigners = new Map(r.shares);
    oldMixSigners.set(parties[0]!, run.shares.get(parties[0]!)!);
    const e = caught(() => signs(r.groupKey, oldMixSigners, parties.slice(0, t)));
    expect([e.code, e.culprit]).toEqual(['SIGN_CULPRIT', parties[0]]);
  });

  it('names a dealer whose zero-sharing is off its commitment', () => {
    const run = runDkg(2, 3, { ceremonyId: 'rc' });
    const parties = ids(3);
    const bad = parties[2]!;
    const e = caught(() =>
      runReshare('refresh', run.groupKey, run.shares, parties, parties, 2, (m) =>
        m.kind === 'reshare/share' && m.from === bad ? { ...m, share: Fn.toBytes(Fn.add(Fn.fromBytes(m.share), 1n)) } : m,
      ),
    );
    expect([e.code, e.culprit]).toEqual(['RESHARE_CULPRIT', bad]);
  });

  it('refuses a refresh that leaves a party out or changes the threshold', () => {
    const run = runDkg(2, 3, { ceremonyId: 'rb' });
    const parties = ids(3);
    const cfg = { ceremonyId: 'x', mode: 'refresh' as const, self: parties[0]!, current: run.groupKey, dealers: parties, receivers: parties, threshold: 3 };
    expect(caught(() => reshareStart(cfg, run.shares.get(parties[0]!)!, { rng: rngFor('x'), deviceEntropy: deviceEntropyFor('x') })).code).toBe('BAD_CONFIG');
    expect(caught(() => reshareStart({ ...cfg, threshold: 2, dealers: parties.slice(0, 2) }, run.shares.get(parties[0]!)!, { rng: rngFor('x'), deviceEntropy: deviceEntropyFor('x') })).code).toBe('BAD_CONFIG');
  });
});

describe('reshare', () => {
  it('moves a 2-of-3 key to 3-of-4 custodians (one leaves, two join) with the same address', () => {
    const run = runDkg(2, 3, { ceremonyId: 'rs' });
    const old = ids(3);
    const next = [old[1]!, ...ids(5).slice(3)]; // keeps party 2, adds 4 and 5
    next.push(ids(6)[5]!);
    const r = runReshare('reshare', run.groupKey, run.shares, [old[0]!, old[2]!], next, 3);
    expect(r.groupKey.outputKey).toEqual(run.groupKey.outputKey);
    expect(r.groupKey.parties).toEqual([...next].sort());
    expect(r.groupKey.publicPackage.signers).toEqual({ min: 3, max: 4 });
    expect(taprootAddress(r.groupKey.internalKey, 'mainnet', r.groupKey.outputKey)).toBe(taprootAddress(run.groupKey.internalKey, 'mainnet'));
    expect(signs(r.groupKey, r.shares, next.slice(0, 3))).toBe(true);
    expect(signs(r.groupKey, r.shares, next.slice(1, 4))).toBe(true);
    // The departed custodian's old share is not a share of the new key.
    expect(() => schnorr_FROST.validateSecret(run.shares.get(old[0]!)!, r.groupKey.publicPackage)).toThrow();
  });

  it('keeps the key across random reshares (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 5 }).chain((n) => fc.tuple(fc.integer({ min: 2, max: n }), fc.constant(n), fc.integer({ min: 2, max: 6 }))).chain(([t, n, n2]) =>
          fc.tuple(fc.constant(t), fc.constant(n), fc.constant(n2), fc.integer({ min: 2, max: n2 }), fc.integer({ min: 0, max: n - t })),
        ),
        ([t, n, n2, t2, skip]) => {
          const run = runDkg(t, n, { ceremonyId: `prs-${t}-${n}` });
          const dealers = ids(n).slice(skip, skip + t);
          const receivers = ids(10).slice(10 - n2);
          const r = runReshare('reshare', run.groupKey, run.shares, dealers, receivers, t2);
          expect(r.groupKey.outputKey).toEqual(run.groupKey.outputKey);
          expect(signs(r.groupKey, r.shares, receivers.slice(0, t2))).toBe(true);
        },
      ),
      { numRuns: 10 },
    );
  });

  it('names a dealer that re-shares something other than its weighted share', () => {
    const run = runDkg(2, 3, { ceremonyId: 'rx' });
    const old = ids(3);
    const bad = old[1]!;
    const e = caught(() =>
      runReshare('reshare', run.groupKey, run.shares, old.slice(0, 2), ids(4), 3, (m) =>
        m.kind === 'reshare/commit' && m.from === bad ? { ...m, commitment: [m.commitment[1]!, ...m.commitment.slice(1)] } : m,
      ),
    );
    expect([e.code, e.culprit]).toEqual(['RESHARE_CULPRIT', bad]);
    expect(e.reason).toMatch(/weighted verifying share/);
  });

  it('refuses too few dealers', () => {
    const run = runDkg(3, 4, { ceremonyId: 'rf' });
    const e = caught(() =>
      reshareStart({ ceremonyId: 'x', mode: 'reshare', self: ids(4)[0]!, current: run.groupKey, dealers: ids(2), receivers: ids(4), threshold: 2 }, run.shares.get(ids(4)[0]!)!, {
        rng: rngFor('x'),
        deviceEntropy: deviceEntropyFor('x'),
      }),
    );
    expect(e.code).toBe('BAD_CONFIG');
  });
});
