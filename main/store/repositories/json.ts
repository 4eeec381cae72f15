// Reading canonical JSON columns back into typed values, with a clear error if a row is not JSON.
import { canonicalize } from '../../../crypto/canonical';
import { CustosError } from '../../errors';

export function toJson(value: unknown): string {
  return canonicalize(value);
}

/** Parses a stored JSON column. A row someone broke by hand is reported, not thrown as a SyntaxError. */
export function fromJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new CustosError('TAMPERING_DETECTED', `The stored ${what} is not valid JSON: the database was edited outside Custos.`);
  }
}
