// Seat assignment: agrees with exhaustive search, only grows with more persons or edges, and stays fast at scale.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignSeats } from '../../crypto/policy/index.js';

/** The most seats that can be filled in steps 0..last at once: exhaustive search. */
function bestPrefix(needs: number[], eligible: number[][]): number {
  const full = (upto: number): boolean => {
    const left = needs.slice(0, upto + 1);
    const go = (p: number): boolean => {
      if (left.every((n) => n <= 0)) return true;
      if (p === eligible.length) return false;
      for (const s of eligible[p] as number[]) {
        if (s > upto || (left[s] as number) <= 0) continue;
        left[s] = (left[s] as number) - 1;
        const ok = go(p + 1);
        left[s] = (left[s] as number) + 1;
        if (ok) return true;
      }
      return go(p + 1);
    };
    return go(0);
  };
  let finished = 0;
  while (finished < needs.length && full(finished)) finished++;
  return finished;
}

const instance = fc.integer({ min: 1, max: 4 }).chain((steps) =>
  fc.record({
    needs: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: steps, maxLength: steps }),
    eligible: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: steps - 1 }), { maxLength: steps }), { maxLength: 9 }),
  }),
);

describe('assignSeats', () => {
  it('finishes the longest prefix of steps an exhaustive search can fill, seating each person once', () => {
    fc.assert(
      fc.property(instance, ({ needs, eligible }) => {
        const a = assignSeats(needs, eligible);
        expect(a.finished).toBe(bestPrefix(needs, eligible));
        a.stepOf.forEach((s, p) => {
          if (s >= 0) expect(eligible[p]).toContain(s);
        });
        needs.forEach((n, s) => {
          const seated = [...a.stepOf].filter((x) => x === s).length;
          expect(seated).toBe(a.filled[s]);
          expect(seated).toBeLessThanOrEqual(n);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('never fills fewer seats, nor finishes fewer steps, when a person or an edge is added', () => {
    fc.assert(
      fc.property(instance, fc.nat(), fc.nat(), (inst, who, where) => {
        const { needs, eligible } = inst;
        const before = assignSeats(needs, eligible);
        const step = where % needs.length;
        const widened = eligible.length === 0 || who % 3 === 0
          ? [...eligible, [step]]
          : eligible.map((e, p) => (p === who % eligible.length && !e.includes(step) ? [...e, step] : e));
        const after = assignSeats(needs, widened);
        expect(after.finished).toBeGreaterThanOrEqual(before.finished);
        expect(after.filled.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(before.filled.reduce((x, y) => x + y, 0));
      }),
      { numRuns: 500 },
    );
  });

  it('seats 1,000 persons over 16 overlapping steps, each once', () => {
    const needs = Array.from({ length: 16 }, () => 62);
    const eligible = Array.from({ length: 1000 }, (_, p) => [p % 16, (p * 7 + 3) % 16, 15 - (p % 16)].filter((s, i, xs) => xs.indexOf(s) === i));
    const a = assignSeats(needs, eligible);
    expect(a.finished).toBe(16);
    expect(a.filled).toEqual(needs);
    expect([...a.stepOf].filter((s) => s >= 0)).toHaveLength(62 * 16);
  });
});
