import { describe, expect, it } from 'vitest';
import { stateDigest } from '../../../crypto/governance/index.js';
import type { GovernanceState } from '../../../crypto/governance/index.js';
import { standardVault } from '../fixtures.js';

describe('stateDigest', () => {
  it('is the same for a state and its JSON round trip, and changes with any field', () => {
    const state = standardVault().state;
    const d = stateDigest(state);
    expect(d).toMatch(/^0x[0-9a-f]{64}$/);
    expect(stateDigest(JSON.parse(JSON.stringify(state)) as GovernanceState)).toBe(d);
    expect(stateDigest({ ...state, seq: state.seq + 1 })).not.toBe(d);
    const [first, ...rest] = state.users;
    expect(stateDigest({ ...state, users: [{ ...first!, name: first!.name + 'x' }, ...rest] })).not.toBe(d);
  });
});
