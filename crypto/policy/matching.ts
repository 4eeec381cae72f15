// Seats of ordered approval steps filled by distinct persons: a bipartite b-matching by augmenting paths.
//
// Why not greedy: with overlapping groups, putting each approver in the first step they fit can block a
// later step that only they could fill (A fits steps 0 and 1, B only step 0: greedy puts A in step 0 and
// leaves step 1 empty, though B→0, A→1 fills both). Greedy is then not monotone: an extra approval can
// shift who sits where. A maximum matching is: more persons or more edges never shrink it.
//
// Steps are filled in order, seat by seat, each by an augmenting path; a path never empties a seat already
// filled, only moves its holder. This is the matroid greedy on seats in step order, so the steps reported
// finished are the longest prefix of steps that can be filled at once, whatever order persons came in.
//
// Cost: persons with identical roles are interchangeable, so the search runs over steps, not persons. Per
// pair of steps (a, b) we keep the persons seated in a who could sit in b; a path is a BFS over S steps,
// O(S²), and there are at most min(persons, seats) + S searches: O(n·S²) for n persons and S steps.

export interface Assignment {
  /** For each person (input order), the step they fill, or -1. */
  readonly stepOf: Int32Array;
  /** Seats filled per step. */
  readonly filled: readonly number[];
  /** Steps 0..finished-1 are all full (the longest such prefix). */
  readonly finished: number;
}

/**
 * Fills `needs[i]` seats of each step i with persons, each person in at most one seat and only in a step
 * listed in `eligible[person]`. Deterministic: among equal choices, persons earlier in the input win.
 */
export function assignSeats(needs: readonly number[], eligible: readonly (readonly number[])[]): Assignment {
  const steps = needs.length;
  const stepOf = new Int32Array(eligible.length).fill(-1);
  const filled = new Array<number>(steps).fill(0);
  // free[s]: unseated persons eligible for s. movable[a][b]: persons seated in a who are eligible for b.
  const free = Array.from({ length: steps }, () => new Set<number>());
  const movable = Array.from({ length: steps }, () => Array.from({ length: steps }, () => new Set<number>()));
  eligible.forEach((list, person) => {
    for (const s of list) free[s]?.add(person);
  });

  const seat = (person: number, step: number): void => {
    const from = stepOf[person] as number;
    const list = eligible[person] as readonly number[];
    for (const s of list) {
      if (from < 0) (free[s] as Set<number>).delete(person);
      else (movable[from]?.[s] as Set<number>).delete(person);
      if (s !== step) (movable[step]?.[s] as Set<number>).add(person);
    }
    if (from >= 0) filled[from] = (filled[from] as number) - 1;
    stepOf[person] = step;
    filled[step] = (filled[step] as number) + 1;
  };

  /** One more seat in `target`: BFS over steps to one with a free eligible person, then shift along the path. */
  const augment = (target: number): boolean => {
    const parent = new Int32Array(steps).fill(-2);
    parent[target] = -1;
    const queue = [target];
    for (let head = 0; head < queue.length; head++) {
      const at = queue[head] as number;
      const freeHere = first(free[at] as Set<number>);
      if (freeHere !== undefined) {
        // Walk back to the target: each step on the way hands one holder to the step before it.
        const path: number[] = [];
        for (let s = at; s !== -1; s = parent[s] as number) path.push(s);
        path.reverse();
        for (let i = 1; i < path.length; i++) {
          const into = path[i - 1] as number;
          const from = path[i] as number;
          seat(first(movable[from]?.[into] as Set<number>) as number, into);
        }
        seat(freeHere, at);
        return true;
      }
      for (let from = 0; from < steps; from++) {
        if (parent[from] === -2 && (movable[from]?.[at] as Set<number>).size > 0) {
          parent[from] = at;
          queue.push(from);
        }
      }
    }
    return false;
  };

  for (let s = 0; s < steps; s++) {
    while ((filled[s] as number) < (needs[s] as number)) {
      if (!augment(s)) break;
    }
  }
  let finished = 0;
  while (finished < steps && (filled[finished] as number) >= (needs[finished] as number)) finished++;
  return { stepOf, filled, finished };
}

function first(set: Set<number>): number | undefined {
  for (const x of set) return x;
  return undefined;
}
