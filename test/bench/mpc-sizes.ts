// Shared pieces of the MPC benchmark: the (t, n) sizes, their parsing, and a timer that adapts to slow operations.

export type Size = { t: number; n: number };

/** The sizes; (67,100) runs for Custos alone (see mpc.ts). */
export const DEFAULT_SIZES: Size[] = [
  { t: 2, n: 3 },
  { t: 3, n: 5 },
  { t: 7, n: 10 },
  { t: 34, n: 50 },
];
export const LARGE: Size = { t: 67, n: 100 };

export const label = (s: Size): string => `${s.t}-of-${s.n}`;

/**
 * Parses "2,3 3,5", "2/3;3/5" or "2,3,3,5" (MPC_BENCH_SIZES or --mpc-sizes=…); "67,100" asks for the large key.
 * Undefined, empty or "all" gives the defaults plus (67,100), so a bare `npm run bench` runs everything.
 */
export function parseSizes(spec: string | undefined): { sizes: Size[]; large: boolean } {
  if (spec === undefined || spec.trim() === '' || spec.trim() === 'all') return { sizes: DEFAULT_SIZES, large: true };
  const sizes: Size[] = [];
  let large = false;
  const numbers = spec.split(/[\s;,/]+/).filter(Boolean);
  if (numbers.length % 2 !== 0 || numbers.some((x) => !/^\d+$/.test(x)))
    throw new Error(`MPC sizes "${spec}" are not "t,n" pairs (e.g. MPC_BENCH_SIZES="2,3 3,5")`);
  for (let i = 0; i < numbers.length; i += 2) {
    const s = { t: Number(numbers[i]), n: Number(numbers[i + 1]) };
    if (s.t < 2 || s.t > s.n) throw new Error(`MPC size ${label(s)}: need 2 ≤ t ≤ n`);
    if (s.t === LARGE.t && s.n === LARGE.n) large = true;
    else sizes.push(s);
  }
  return { sizes, large };
}

/** Process CPU time (every thread: user + system) in milliseconds since `since`. */
export const cpuMsSince = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

/**
 * Milliseconds per call of `fn`, and the last call's result: one warm-up call, then repeated calls until `budgetMs` is
 * spent, reporting the median so a neighbour's burst on the shared cores moves the number less than a mean would.
 * A warm-up that already takes half the budget is the measurement (a 34-of-50 DKG is not run three times).
 * `cpuMs` is the process's CPU time per call (all threads), which neighbours on the cores do not inflate.
 */
export async function msPerOp<T>(fn: () => T | Promise<T>, budgetMs = 1500): Promise<{ ms: number; cpuMs: number; last: T }> {
  let cpu = process.cpuUsage();
  let start = performance.now();
  let last = await fn();
  const first = performance.now() - start;
  if (first >= budgetMs / 2) return { ms: first, cpuMs: cpuMsSince(cpu), last };
  const samples: number[] = [];
  cpu = process.cpuUsage();
  const until = performance.now() + budgetMs;
  do {
    start = performance.now();
    last = await fn();
    samples.push(performance.now() - start);
  } while (performance.now() < until && samples.length < 10_000);
  const cpuMs = cpuMsSince(cpu) / samples.length;
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)] as number, cpuMs, last };
}

/** Calls of `fn` per second, one after another, for about `ms` after a short warm-up. */
export async function rate(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  const warmUntil = performance.now() + ms / 5;
  while (performance.now() < warmUntil) await fn();
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    ops += 1;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}
