// The signer takes a tail of main's log exactly when main's log extends the one it pinned, wherever the tail starts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recordHash } from '../../crypto/transfers/evidence';
import { bodiesLog } from '../../main/mpc/host-log';
import { takeTail, type PinnedLog } from '../../main/mpc-host/log-tail';
import { extendFingerprint, FINGERPRINT_START } from '../../main/store/log-head';

function pinnedOf(bodies: readonly string[]): PinnedLog {
  return {
    pinned: bodies.map((b, seq) => ({ seq, hash: recordHash(b) })),
    fingerprint: bodies.reduce((fp, b, seq) => extendFingerprint(fp, seq, b), FINGERPRINT_START),
  };
}

const body = fc.string({ minLength: 2, maxLength: 12 });
/** A log the signer pinned, and main's log: the same plus more, cut short, or with one record rewritten. */
const scenario = fc
  .record({ held: fc.array(body, { minLength: 1, maxLength: 12 }), more: fc.array(body, { maxLength: 6 }), change: fc.constantFrom('none', 'cut', 'rewrite'), at: fc.nat(), from: fc.nat({ max: 20 }) })
  .map((s) => {
    const honest = [...s.held, ...s.more];
    let main = honest;
    if (s.change === 'cut') main = honest.slice(0, s.at % s.held.length);
    if (s.change === 'rewrite') {
      const i = s.at % honest.length;
      main = honest.map((b, k) => (k === i ? `${b}!` : b));
    }
    return { ...s, main, extends: s.change === 'none' || (s.change === 'rewrite' && s.at % honest.length >= s.held.length) };
  });

describe('a tail of main log', () => {
  it('is taken, with exactly the records the signer lacks, iff main log extends the pinned one; a gap is asked again', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const out = takeTail(pinnedOf(s.held), bodiesLog(s.main).tail(s.from));
        const from = Math.min(s.from, s.main.length);
        if (from > s.held.length) {
          expect(out).toEqual({ resendFrom: s.held.length });
        } else if (s.extends) {
          expect(out).toEqual({ fresh: s.main.slice(s.held.length).map((b, i) => ({ seq: s.held.length + i, body: b })), fingerprint: pinnedOf(s.main).fingerprint });
        } else {
          expect(out).toMatchObject({ refused: expect.stringMatching(/removed|rewritten/) });
        }
      }),
      { numRuns: 400 },
    );
  });
});
