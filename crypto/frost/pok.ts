// Checks a DKG round-1 proof of knowledge exactly as noble's DKG does, so that a bad proof can be blamed on its sender.
import { secp256k1_hasher } from '@noble/curves/secp256k1.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { Fn, Point, parsePoint } from './curve.js';
import type { Point as P } from './curve.js';

// noble builds schnorr_FROST with name 'FROST-secp256k1-SHA256-TR-v1' and HDKG = hashToScalar(msg, DST = name + 'dkg').
const DKG_DST = utf8ToBytes('FROST-secp256k1-SHA256-TR-v1dkg');

/**
 * noble's DKG proof: (R, μ) with μ = k + a₀·c, c = HDKG(id ‖ ser(φ₀) ‖ ser(R)); its Taproot suite drops R's prefix
 * byte (R is generated with even Y), so the wire form is x(R) ‖ μ (64 bytes). Throws on any mismatch.
 * A self-test against noble's own round1/round2 (test/frost/dkg) keeps this in step with the library.
 */
export function verifyProofOfKnowledge(id: bigint, phi0: P, proof: Uint8Array): void {
  if (proof.length !== 64) throw new Error('proof of knowledge must be 64 bytes');
  const R = parsePoint(concatBytes(Uint8Array.of(0x02), proof.subarray(0, 32)));
  const z = Fn.fromBytes(proof.subarray(32));
  const c = secp256k1_hasher.hashToScalar(concatBytes(Fn.toBytes(id), phi0.toBytes(true), R.toBytes(true)), { DST: DKG_DST });
  if (!R.equals(Point.BASE.multiplyUnsafe(z).subtract(phi0.multiplyUnsafe(c)))) throw new Error('invalid proof of knowledge');
}
