// Properties of the relay session under a randomly hostile relay (drops, duplicates, delays, reordering): a valid result or an abort, never a wrong signature or a nonce used twice.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { schnorr } from '@noble/curves/secp256k1.js';
import { COORDINATOR, type PartyId } from '../../crypto/frost/types';
import { RelaySessionError } from '../../main/relay/session';
import { keyring, sighash, startDkg, startSigning, testKey } from './harness';
import { MemoryHub } from './memory-hub';

const key = testKey(2, 3);
const ring = keyring([...key.parties, COORDINATOR]);

/** Per envelope: dropped with probability `drop`, else delivered 1 to 3 times, each after up to `maxDelay` ms. */
const relayArb = fc.record({ seed: fc.integer(), drop: fc.constantFrom(0, 0.1, 0.3, 0.6), dupes: fc.integer({ min: 1, max: 3 }), maxDelay: fc.integer({ min: 0, max: 40 }) });

function hostile(r: { seed: number; drop: number; dupes: number; maxDelay: number }): MemoryHub {
  let x = r.seed >>> 0 || 1;
  const rand = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  return new MemoryHub(() => (rand() < r.drop ? [] : Array.from({ length: 1 + Math.floor(rand() * r.dupes) }, () => Math.floor(rand() * r.maxDelay))));
}

describe('relay session properties', () => {
  it('signing: any signature verifies, each signer makes at most one share, and every nonce and share is wiped', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(relayArb, async (r) => {
      const hub = hostile(r);
      const messages = [sighash(`prop-${n}`)];
      const signers = [key.parties[0], key.parties[2]] as PartyId[];
      const run = await startSigning(key, signers, messages, {
        sessionId: `prop-sign-${n++}`, ring, transportFor: () => hub.transport(), expiresInMs: 1_500, resendMs: 40,
      });
      const settled = await Promise.allSettled(run.outcomes.values());
      hub.stop();
      for (const s of settled) {
        if (s.status === 'rejected') expect(s.reason).toBeInstanceOf(RelaySessionError);
        else s.value.result.signatures?.forEach((sig, i) => expect(schnorr.verify(sig, messages[i]!, key.groupKey.outputKey)).toBe(true));
      }
      for (const id of signers) {
        const d = run.drivers.get(id)!;
        expect(d.sharesMade).toBeLessThanOrEqual(1);
        expect(d.nonces?.nonces.every((x) => x.hiding.every((b) => b === 0))).toBe(true);
        expect(run.shares.get(id)!.signingShare.every((b) => b === 0)).toBe(true);
      }
      // Without drops the relay cannot stop a signature: duplicates and delays are repaired.
      if (r.drop === 0) expect(settled[settled.length - 1]!.status).toBe('fulfilled');
      for (const s of run.sessions.values()) await s.close();
    }), { numRuns: 6 });
  });

  it('DKG: parties that finish agree on the group key', async () => {
    let n = 0;
    await fc.assert(fc.asyncProperty(relayArb, async (r) => {
      const hub = hostile(r);
      const outcomes = await startDkg(key.parties, 2, { sessionId: `prop-dkg-${n++}`, ring, transportFor: () => hub.transport(), expiresInMs: 1_500, resendMs: 40 });
      const settled = await Promise.allSettled(outcomes.values());
      hub.stop();
      const done = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value.result.groupKey.outputKey] : []));
      for (const k of done) expect(k).toEqual(done[0]);
      if (r.drop === 0) expect(done).toHaveLength(3);
    }), { numRuns: 4 });
  });
});
