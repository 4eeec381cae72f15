// One digest per governance state: the SHA-256 of its canonical JSON, so a stored checkpoint can be checked against it.
import { digest } from '../canonical.js';
import type { GovernanceState } from './types.js';

/**
 * 0x-hex SHA-256 of the canonical encoding of `state`. Replay keeps collections sorted by id, so two equal
 * states (replayed, resumed from a checkpoint, or read back from JSON) have the same digest.
 */
export function stateDigest(state: GovernanceState): string {
  return digest(state);
}
