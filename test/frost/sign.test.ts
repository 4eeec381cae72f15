// Signing sessions: BIP-340 signatures from any t signers, a bad share blamed on its signer, nonces never reused.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { CeremonyError } from '../../crypto/frost/errors.js';
import { Fn } from '../../crypto/frost/curve.js';
import { commitNonces, signAbort, signStart, signStep, signWithNonces } from '../../crypto/frost/sign.js';
import type { SignMessage } from '../../crypto/frost/sign.js';
import type { PartyId } from '../../crypto/frost/types.js';
import { COORD, constantRng, ids, rngFor, runDkg, runSigning } from './helpers.js';
import type { DkgRun } from './helpers.js';

function caught(fn: () => unknown): CeremonyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CeremonyError);
    return e as CeremonyError;
  }
  throw new Error('expected a CeremonyError');
}

describe('signing', () => {
  let k35: DkgRun;
  beforeAll(() => {
    k35 = runDkg(3, 5, { ceremonyId: 'sign-key' });
  });

  it.each([
    [2, 3],
    [3, 5],
    [7, 10],
  ])('signs with any %i of %i: the coordinator holds a valid signature, the signers hold no nonce', (t, n) => {
    const run = t === 3 ? k35 : runDkg(t, n);
    const signers = ids(n).slice(1, 1 + t);
    const messages = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const states = runSigning(run.groupKey.publicPackage, run.shares, signers, messages);
    const sigs = states.get(COORD)!.public.signatures!;
    expect(sigs).toHaveLength(2);
    sigs.forEach((s, i) => expect(schnorr.verify(s, messages[i]!, run.groupKey.outputKey)).toBe(true));
    for (const id of signers) {
      expect(states.get(id)!.public.phase).toBe('done');
      expect(states.get(id)!.secret.nonces).toBeNull();
    }
  });

  it('signs with more than t signers and any subset (property)', () => {
    fc.assert(
      fc.property(fc.subarray(ids(5), { minLength: 3 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (signers, msg) => {
        const states = runSigning(k35.groupKey.publicPackage, k35.shares, signers, [msg], { sessionId: 'p' + signers.length });
        expect(schnorr.verify(states.get(COORD)!.public.signatures![0]!, msg, k35.groupKey.outputKey)).toBe(true);
      }),
      { numRuns: 10 },
    );
  });

  it('names the signer whose share does not verify, before aggregating', () => {
    const signers = ids(5).slice(0, 3);
    const bad = signers[2]!;
    const e = caught(() =>
      runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], {
        tamper: (m) => (m.kind === 'sign/share' && m.from === bad ? { ...m, shares: [Fn.toBytes(Fn.add(Fn.fromBytes(m.shares[0]!), 1n))] } : m),
      }),
    );
    expect(e.code).toBe('SIGN_CULPRIT');
    expect(e.culprit).toBe(bad);
    expect(e.reason).toMatch(/does not verify/);
  });

  it('names the bad signer too when shares are only checked after a failed aggregate', () => {
    const signers = ids(5).slice(1, 4);
    const bad = signers[0]!;
    const tamper = (m: SignMessage): SignMessage =>
      m.kind === 'sign/share' && m.from === bad ? { ...m, shares: [Fn.toBytes(Fn.add(Fn.fromBytes(m.shares[0]!), 1n))] } : m;
    const e = caught(() => runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], { shareCheck: 'on-failure', tamper }));
    expect([e.code, e.culprit]).toEqual(['SIGN_CULPRIT', bad]);
    const ok = runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], { shareCheck: 'on-failure' });
    expect(schnorr.verify(ok.get(COORD)!.public.signatures![0]!, new Uint8Array(32), k35.groupKey.outputKey)).toBe(true);
  });

  it('refuses a signature share sent to a signer instead of the coordinator', () => {
    const signers = ids(5).slice(0, 3);
    const e = caught(() =>
      runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], {
        tamper: (m) => (m.kind === 'sign/share' && m.from === signers[0] ? { ...m, to: signers[1]! } as unknown as SignMessage : m),
      }),
    );
    expect(e.code).toBe('MALFORMED_MESSAGE');
  });

  it('names a signer that commits to a non-point or to the wrong number of messages', () => {
    const signers = ids(5).slice(0, 3);
    const bad = signers[1]!;
    const e1 = caught(() =>
      runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], {
        tamper: (m) => (m.kind === 'sign/commit' && m.from === bad ? { ...m, commitments: [{ hiding: new Uint8Array(33).fill(9), binding: m.commitments[0]!.binding }] } : m),
      }),
    );
    expect([e1.code, e1.culprit]).toEqual(['SIGN_CULPRIT', bad]);
    const e2 = caught(() =>
      runSigning(k35.groupKey.publicPackage, k35.shares, signers, [new Uint8Array(32)], {
        tamper: (m) => (m.kind === 'sign/commit' && m.from === bad ? { ...m, commitments: [] } : m),
      }),
    );
    expect([e2.code, e2.culprit]).toEqual(['SIGN_CULPRIT', bad]);
  });

  it('refuses to sign twice with the same nonces', () => {
    const id = ids(5)[0]!;
    const share = k35.shares.get(id)!;
    const cfg = { sessionId: 's', messages: [new Uint8Array(32)] };
    const mine = commitNonces(share, cfg, rngFor('n'));
    const others = ids(5).slice(1, 3).map((o) => commitNonces(k35.shares.get(o)!, cfg, rngFor('n' + o)));
    const list = [[mine.commitments[0]!, ...others.map((o) => o.commitments[0]!)]];
    const hiding = mine.nonces.nonces[0]!.hiding;
    signWithNonces(mine.nonces, share, k35.groupKey.publicPackage, list, cfg.messages);
    expect(hiding.every((b) => b === 0)).toBe(true);
    const e = caught(() => signWithNonces(mine.nonces, share, k35.groupKey.publicPackage, list, cfg.messages));
    expect(e.code).toBe('NONCE_REUSED');
    // Even noble alone refuses the wiped nonces.
    expect(() => schnorr_FROST.signShare(share, k35.groupKey.publicPackage, mine.nonces.nonces[0]!, list[0]!, cfg.messages[0]!)).toThrow(/already used/);
  });

  it('draws different nonces for different sessions even from a constant host RNG', () => {
    const share = k35.shares.get(ids(5)[0]!)!;
    const m = [new Uint8Array(32)];
    const a = commitNonces(share, { sessionId: 'a', messages: m }, constantRng);
    const b = commitNonces(share, { sessionId: 'b', messages: m }, constantRng);
    const c = commitNonces(share, { sessionId: 'a', messages: [new Uint8Array(32).fill(1)] }, constantRng);
    expect(a.commitments[0]!.hiding).not.toEqual(b.commitments[0]!.hiding);
    expect(a.commitments[0]!.hiding).not.toEqual(c.commitments[0]!.hiding);
  });

  it('wipes nonces when a session is aborted, and refuses messages afterwards', () => {
    const signers = ids(5).slice(0, 3);
    const r = signStart({ sessionId: 'x', self: signers[0]!, signers, messages: [new Uint8Array(32)], publicPackage: k35.groupKey.publicPackage }, k35.shares.get(signers[0]!)!, rngFor('x'));
    const nonces = r.state.secret.nonces!;
    signAbort(r.state, 'request withdrawn');
    expect(nonces.used).toBe(true);
    expect(nonces.nonces[0]!.hiding.every((b) => b === 0)).toBe(true);
    expect(caught(() => signStep(r.state, r.outbox[0])).code).toBe('CEREMONY_CLOSED');
  });

  it('refuses a duplicate commitment, a foreign session and a signer outside the set', () => {
    const signers = ids(5).slice(0, 3);
    const start = (self: PartyId) =>
      signStart({ sessionId: 'd', self, signers, messages: [new Uint8Array(32)], publicPackage: k35.groupKey.publicPackage }, k35.shares.get(self)!, rngFor('d' + self));
    const a = start(signers[0]!);
    const b = start(signers[1]!);
    signStep(a.state, b.outbox[0]);
    expect([caught(() => signStep(a.state, b.outbox[0])).code, a.state.public.failure?.culprit]).toEqual(['OUT_OF_ORDER', signers[1]]);
    const c = start(signers[0]!);
    expect(caught(() => signStep(c.state, { ...b.outbox[0]!, ceremonyId: 'other' })).code).toBe('MALFORMED_MESSAGE');
    const d = start(signers[0]!);
    expect(caught(() => signStep(d.state, { ...b.outbox[0]!, from: ids(5)[4] })).reason).toMatch(/not a party/);
    expect(() =>
      signStart({ sessionId: 'd', self: signers[0]!, signers: signers.slice(0, 2).concat(), messages: [new Uint8Array(32)], publicPackage: k35.groupKey.publicPackage }, k35.shares.get(signers[0]!)!, rngFor('d')),
    ).toThrow(/needs 3 to 5/);
  });
});
