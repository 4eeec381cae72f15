// Field checks shared by the policy and whitelist validators; every failure names the path and the problem.
import { ID_PATTERN, nameProblem } from '../statements.js';
import { POLICY_LIMITS } from './types.js';

/** A document that can't be adopted, with the exact place (e.g. policy.rules[2].steps[0].count) and why. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

export function fail(path: string, problem: string): never {
  throw new PolicyError(path, problem);
}

/** An object with exactly the `required` keys, plus any of `optional`; unknown keys are refused, not ignored. */
export function object(value: unknown, path: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  const record = value as Record<string, unknown>;
  for (const k of required) if (record[k] === undefined) fail(`${path}.${k}`, 'is missing');
  for (const k of Object.keys(record)) {
    if (!required.includes(k) && !optional.includes(k)) fail(`${path}.${k}`, 'is not a field of this document');
  }
  return record;
}

export function list(value: unknown, path: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be a list');
  if (value.length > max) fail(path, `has ${value.length} items; at most ${max}`);
  return value as readonly unknown[];
}

export function id(value: unknown, path: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) fail(path, 'must be 1..64 of A-Z a-z 0-9 _ -');
  return value;
}

export function name(value: unknown, path: string): string {
  const problem = typeof value === 'string' ? nameProblem(value) : 'must be a string';
  if (problem !== null) fail(path, problem);
  return value as string;
}

export function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    fail(path, max === Number.MAX_SAFE_INTEGER ? `must be a whole number, at least ${min}` : `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

export function boolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') fail(path, 'must be true or false');
  return value;
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

/**
 * An amount in the smallest unit: a bigint (in memory) or its decimal string (in the document), with no
 * sign, no leading zero, no exponent and no fraction, so each amount has exactly one written form.
 */
export function amount(value: unknown, path: string, min: bigint): bigint {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value) && value.length <= POLICY_LIMITS.amountDigits) n = BigInt(value);
  else fail(path, 'must be a whole number of the smallest unit written in decimal digits, e.g. "150000000"');
  if (n < min) fail(path, `must be at least ${min}`);
  if (n.toString().length > POLICY_LIMITS.amountDigits) fail(path, `has more than ${POLICY_LIMITS.amountDigits} digits`);
  return n;
}
