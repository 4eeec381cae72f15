// DKG state machine: agreement with noble, Taproot output, device-entropy mixing, and every culprit named.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dkgAbort, dkgFinish, dkgStart, dkgStep } from '../../crypto/frost/dkg.js';
import type { DkgMessage, DkgRound1Message, DkgRound2Message, DkgState } from '../../crypto/frost/dkg.js';
import { CeremonyError } from '../../crypto/frost/errors.js';
import { Fn, Point, taprootOutputPoint, xOnly } from '../../crypto/frost/curve.js';
import { verifyProofOfKnowledge } from '../../crypto/frost/pok.js';
import { idToScalar } from '../../crypto/frost/curve.js';
import { constantRng, deviceEntropyFor, ids, rngFor, route, runDkg } from './helpers.js';
import type { PartyId } from '../../crypto/frost/types.js';

function signWith(run: ReturnType<typeof runDkg>, signers: PartyId[], msg: Uint8Array): Uint8Array {
  const pub = run.groupKey.publicPackage;
  const commits = signers.map((id) => schnorr_FROST.commit(run.shares.get(id)!, rngFor('nonce/' + id)));
  const list = commits.map((c) => c.commitments);
  const sigShares: Record<string, Uint8Array> = {};
  signers.forEach((id, i) => {
    sigShares[id] = schnorr_FROST.signShare(run.shares.get(id)!, pub, commits[i]!.nonces, list, msg);
  });
  return schnorr_FROST.aggregate(pub, list, msg, sigShares);
}

function expectCulprit(fn: () => unknown, code: string, culprit: string | undefined, reason?: RegExp): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CeremonyError);
    const e = err as CeremonyError;
    expect(e.code).toBe(code);
    expect(e.culprit).toBe(culprit);
    if (reason) expect(e.reason).toMatch(reason);
    return;
  }
  throw new Error('expected a CeremonyError');
}

describe('DKG', () => {
  it.each([
    [2, 3],
    [3, 5],
    [7, 10],
  ])('gives every party of a %i-of-%i key the same Taproot group key, and any t shares sign', (t, n) => {
    const run = runDkg(t, n);
    for (const k of run.keys) expect(k).toEqual(run.groupKey);
    const gk = run.groupKey;
    expect(gk.publicPackage.signers).toEqual({ min: t, max: n });
    // noble's own checks: every share is consistent with the shared commitments.
    for (const share of run.shares.values()) schnorr_FROST.validateSecret(share, gk.publicPackage);
    // The output key is the BIP-341 tweak of the internal key.
    expect(xOnly(taprootOutputPoint(gk.internalKey))).toEqual(gk.outputKey);
    expect(gk.chainCode).toHaveLength(32);
    const msg = new Uint8Array(32).fill(9);
    const sig = signWith(run, ids(n).slice(n - t), msg);
    expect(schnorr.verify(sig, msg, gk.outputKey)).toBe(true);
    // The interpolated secret is the output key's discrete log (up to BIP-340 even-Y).
    const secret = schnorr_FROST.combineSecret([...run.shares.values()].slice(0, t), { min: t, max: n });
    expect(xOnly(Point.BASE.multiply(Fn.fromBytes(secret)))).toEqual(gk.outputKey);
  });

  it('agrees with noble for random t-of-n (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }).chain((n) => fc.tuple(fc.integer({ min: 2, max: n }), fc.constant(n), fc.nat(1000))), ([t, n, seed]) => {
        const run = runDkg(t, n, { ceremonyId: `prop-${seed}` });
        for (const k of run.keys) expect(k.publicPackage).toEqual(run.groupKey.publicPackage);
        for (const k of run.keys) expect(k.chainCode).toEqual(run.groupKey.chainCode);
        const signers = ids(n).slice(0, t);
        const msg = new Uint8Array(32).fill(seed & 0xff);
        expect(schnorr.verify(signWith(run, signers, msg), msg, run.groupKey.outputKey)).toBe(true);
      }),
      { numRuns: 15 },
    );
  });

  // 20-of-30 takes ~10 s here (noble alone ~7 s); 15-of-20 keeps the larger-size check within a few seconds.
  it('runs a 15-of-20 ceremony', () => {
    const run = runDkg(15, 20);
    const msg = new Uint8Array(32).fill(1);
    expect(schnorr.verify(signWith(run, ids(20).slice(3, 18), msg), msg, run.groupKey.outputKey)).toBe(true);
  });

  it('checks proofs of knowledge exactly as noble does', () => {
    const r = schnorr_FROST.DKG.round1(ids(1)[0]!, { min: 2, max: 3 }, undefined, rngFor('pok'));
    expect(() => verifyProofOfKnowledge(idToScalar(ids(1)[0]!), Point.fromBytes(r.public.commitment[0]!), r.public.proofOfKnowledge)).not.toThrow();
    // Under another identifier the proof does not hold (noble binds the identifier into its challenge).
    expect(() => verifyProofOfKnowledge(idToScalar(ids(2)[1]!), Point.fromBytes(r.public.commitment[0]!), r.public.proofOfKnowledge)).toThrow(/proof/);
  });

  describe('device entropy', () => {
    it('gives distinct shares to parties and ceremonies even with a constant host RNG', () => {
      const a = runDkg(2, 3, { ceremonyId: 'c1', rng: () => constantRng });
      const b = runDkg(2, 3, { ceremonyId: 'c2', rng: () => constantRng });
      const all = [...a.shares.values(), ...b.shares.values()].map((s) => Buffer.from(s.signingShare).toString('hex'));
      expect(new Set(all).size).toBe(6);
      expect(a.groupKey.outputKey).not.toEqual(b.groupKey.outputKey);
    });

    it('cannot be predicted from the host RNG, ceremony and party alone', () => {
      const parties = ids(3);
      const cfg = { ceremonyId: 'c', self: parties[0]!, parties, threshold: 2 };
      const real = dkgStart(cfg, { rng: constantRng, deviceEntropy: deviceEntropyFor('real') });
      const guess = dkgStart(cfg, { rng: constantRng, deviceEntropy: deviceEntropyFor('guess') });
      const again = dkgStart(cfg, { rng: constantRng, deviceEntropy: deviceEntropyFor('real') });
      const c0 = (r: typeof real) => (r.outbox[0] as DkgRound1Message).commitment[0];
      expect(c0(real)).not.toEqual(c0(guess));
      // Same inputs replay the same polynomial: the mix is a pure function of what is passed in.
      expect(c0(real)).toEqual(c0(again));
      expect(() => dkgStart(cfg, { rng: constantRng, deviceEntropy: new Uint8Array(32) })).toThrow(/zeros/);
      expect(() => dkgStart(cfg, { rng: constantRng, deviceEntropy: new Uint8Array(31) })).toThrow(/32 bytes/);
    });
  });

  describe('culprits', () => {
    const bad = ids(3)[1]!;
    const flip = (b: Uint8Array): Uint8Array => {
      const c = b.slice();
      c[c.length - 1]! ^= 1;
      return c;
    };

    it('names a party whose proof of knowledge is wrong', () => {
      expectCulprit(
        () => runDkg(2, 3, { tamper: (m) => (m.from === bad && m.kind === 'dkg/round1' ? { ...m, proofOfKnowledge: flip(m.proofOfKnowledge) } : m) }),
        'DKG_CULPRIT', bad, /proof/);
    });

    it('names a party whose commitment has the wrong length', () => {
      expectCulprit(
        () => runDkg(3, 4, { tamper: (m) => (m.from === bad && m.kind === 'dkg/round1' ? { ...m, commitment: m.commitment.slice(0, 2) } : m) }),
        'DKG_CULPRIT', bad, /commitment has 2 entries, expected 3/);
    });

    it('names a party whose commitment is not a point', () => {
      expectCulprit(
        () => runDkg(2, 3, { tamper: (m) => (m.from === bad && m.kind === 'dkg/round1' ? { ...m, commitment: [m.commitment[0]!, new Uint8Array(33).fill(5)] } : m) }),
        'DKG_CULPRIT', bad, /commitment\[1\]/);
    });

    it('names a party whose round-2 share is off its commitment', () => {
      expectCulprit(
        () => runDkg(3, 5, { tamper: (m) => (m.from === bad && m.kind === 'dkg/round2' ? { ...m, signingShare: Fn.toBytes(Fn.add(Fn.fromBytes(m.signingShare), 1n)) } : m) }),
        'DKG_CULPRIT', bad, /commitment/);
    });

    it('names a party whose chain-code reveal does not match its commitment', () => {
      expectCulprit(
        () => runDkg(2, 3, { tamper: (m) => (m.from === bad && m.kind === 'dkg/round2' ? { ...m, chainCodeReveal: flip(m.chainCodeReveal) } : m) }),
        'DKG_CULPRIT', bad, /chain-code/);
    });

    it('refuses malformed, misaddressed and out-of-order messages and names the sender', () => {
      const parties = ids(3);
      const start = parties.map((self) => dkgStart({ ceremonyId: 'x', self, parties, threshold: 2 }, { rng: rngFor(self), deviceEntropy: deviceEntropyFor(self) }));
      const fresh = (): DkgState => dkgStart({ ceremonyId: 'x', self: parties[0]!, parties, threshold: 2 }, { rng: rngFor('p0'), deviceEntropy: deviceEntropyFor('p0') }).state;
      const m1 = start[1]!.outbox[0] as DkgRound1Message;
      expectCulprit(() => dkgStep(fresh(), { ...m1, ceremonyId: 'y' }), 'MALFORMED_MESSAGE', m1.from, /ceremony y/);
      expectCulprit(() => dkgStep(fresh(), { ...m1, proofOfKnowledge: 'zz' }), 'MALFORMED_MESSAGE', m1.from, /not bytes/);
      expectCulprit(() => dkgStep(fresh(), { ...m1, from: ids(9)[8] }), 'MALFORMED_MESSAGE', ids(9)[8], /not a party/);
      expectCulprit(() => dkgStep(fresh(), { ...m1, round: 2 }), 'MALFORMED_MESSAGE', m1.from, /round/);
      expectCulprit(() => dkgStep(fresh(), null), 'MALFORMED_MESSAGE', undefined);
      const s = fresh();
      dkgStep(s, m1);
      expectCulprit(() => dkgStep(s, m1), 'OUT_OF_ORDER', m1.from, /second round-1/);
      // The failed ceremony is closed and its secrets gone.
      expect(s.public.phase).toBe('failed');
      expect(s.public.failure?.culprit).toBe(m1.from);
      expect(s.secret).toBeNull();
      expectCulprit(() => dkgStep(s, m1), 'CEREMONY_CLOSED', undefined);
    });

    it('accepts a round-2 package that arrives before its own round 1 is over', () => {
      const parties = ids(3);
      const states = new Map<string, DkgState>();
      const first: DkgMessage[] = [];
      for (const self of parties) {
        const r = dkgStart({ ceremonyId: 'early', self, parties, threshold: 2 }, { rng: rngFor(self), deviceEntropy: deviceEntropyFor(self) });
        states.set(self, r.state);
        first.push(...r.outbox);
      }
      // Hold back party 3's round-1 package to party 1 until everything else has been delivered.
      let held: DkgMessage | null = null;
      route(states, first, dkgStep, (m, to) => {
        if (m.kind === 'dkg/round1' && m.from === parties[2] && to === parties[0]) {
          held = m;
          return null;
        }
        return m;
      });
      expect(states.get(parties[0]!)!.public.phase).toBe('round1');
      route(states, [], dkgStep);
      const r = dkgStep(states.get(parties[0]!)!, held as unknown as DkgRound1Message);
      expect(r.state.public.phase).toBe('done');
      route(states, r.outbox, dkgStep);
      expect(dkgFinish(r.state).groupKey).toEqual(dkgFinish(states.get(parties[1]!)!).groupKey);
    });

    it('refuses a round-2 package sent to someone else', () => {
      let caught: unknown;
      try {
        runDkg(2, 3, { tamper: (m, to) => (m.kind === 'dkg/round2' && m.from === bad ? ({ ...m, to: to === ids(3)[0] ? ids(3)[2]! : ids(3)[0]! } as DkgRound2Message) : m) });
      } catch (e) {
        caught = e;
      }
      expect((caught as CeremonyError).code).toBe('MALFORMED_MESSAGE');
      expect((caught as CeremonyError).culprit).toBe(bad);
    });
  });

  it('wipes its secrets when aborted', () => {
    const parties = ids(3);
    const { state } = dkgStart({ ceremonyId: 'a', self: parties[0]!, parties, threshold: 2 }, { rng: rngFor('a'), deviceEntropy: deviceEntropyFor('a') });
    const contribution = state.secret!.chainCodeContribution;
    dkgAbort(state, 'cancelled by the operator');
    expect(contribution.every((b) => b === 0)).toBe(true);
    expect(state.public.phase).toBe('failed');
    expect(state.secret).toBeNull();
  });

  it('refuses a bad configuration', () => {
    const parties = ids(3);
    expect(() => dkgStart({ ceremonyId: 'a', self: parties[0]!, parties, threshold: 1 }, { rng: rngFor('a'), deviceEntropy: deviceEntropyFor('a') })).toThrow(/threshold/);
    expect(() => dkgStart({ ceremonyId: 'a', self: ids(4)[3]!, parties, threshold: 2 }, { rng: rngFor('a'), deviceEntropy: deviceEntropyFor('a') })).toThrow(/self/);
    expect(() => dkgStart({ ceremonyId: 'a', self: parties[0]!, parties: [...parties, parties[0]!], threshold: 2 }, { rng: rngFor('a'), deviceEntropy: deviceEntropyFor('a') })).toThrow(/duplicate/);
  });
});
