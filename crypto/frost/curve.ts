// Small helpers over noble's exported secp256k1 Point and scalar field: polynomials, VSS checks, Taproot tweaks.
import { schnorr, schnorr_FROST } from '@noble/curves/secp256k1.js';
import { bytesToNumberBE, equalBytes } from '@noble/curves/utils.js';
import type { PartyId, PublicPackage, SecretShare } from './types.js';

export const Point = schnorr.Point;
export type Point = InstanceType<typeof schnorr.Point>;
export const Fn = schnorr_FROST.utils.Fn;

export const idToScalar = (id: PartyId): bigint => Fn.fromBytes(hexToId(id));
const hexToId = (id: string): Uint8Array => {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error('identifier must be 64 lowercase hex digits');
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
  return out;
};

/** Parses a public point, refusing the identity (noble's FROST does the same for every public element). */
export function parsePoint(bytes: Uint8Array): Point {
  const p = Point.fromBytes(bytes);
  p.assertValidity();
  if (p.is0()) throw new Error('point is the identity');
  return p;
}

/** Evaluates a polynomial with coefficients `c` (constant first) at `x` (Horner). Secret inputs stay in Fn. */
export function polyEval(coeffs: readonly bigint[], x: bigint): bigint {
  let acc = Fn.ZERO;
  for (let k = coeffs.length - 1; k >= 0; k--) acc = Fn.add(Fn.mul(acc, x), coeffs[k] as bigint);
  return acc;
}

/** Σ C_k · x^k over public commitments (variable time is fine: everything here is public). */
export function commitmentEval(commitments: readonly Point[], x: bigint): Point {
  let acc = Point.ZERO;
  for (let k = commitments.length - 1; k >= 0; k--) acc = acc.multiplyUnsafe(x).add(commitments[k] as Point);
  return acc;
}

/** Lagrange coefficient of `id` at zero over the set `ids`. */
export function lagrangeAtZero(ids: readonly bigint[], id: bigint): bigint {
  let num = Fn.ONE;
  let den = Fn.ONE;
  for (const x of ids) {
    if (x === id) continue;
    num = Fn.mul(num, x);
    den = Fn.mul(den, Fn.sub(x, id));
  }
  return Fn.div(num, den);
}

export const hasEvenY = (p: Point): boolean => (p.toAffine().y & 1n) === 0n;
export const xOnly = (p: Point): Uint8Array => p.toBytes(true).slice(1);
export const liftX = (x: Uint8Array): Point => schnorr.utils.lift_x(bytesToNumberBE(x));

/** BIP-341 key-path tweak t = int(TapTweak(x(P))) for the empty merkle root; refuses t ≥ n as BIP-341 does. */
export function tapTweakScalar(internalKeyX: Uint8Array): bigint {
  const t = bytesToNumberBE(schnorr.utils.taggedHash('TapTweak', internalKeyX));
  if (!Fn.isValid(t)) throw new Error('TapTweak hash out of range');
  return t;
}

/** Output key Q = evenY(P) + TapTweak(x(P))·G for an x-only internal key. */
export function taprootOutputPoint(internalKeyX: Uint8Array): Point {
  return liftX(internalKeyX).add(Point.BASE.multiply(tapTweakScalar(internalKeyX)));
}

/** The scalar map s ↦ sign·(s + pre) + post, the shape every tweak here takes (HD offset, even-Y, TapTweak). */
export type AffineTweak = { pre: bigint; negate: boolean; post: bigint };

const mulG = (k: bigint): Point => (k === 0n ? Point.ZERO : Point.BASE.multiply(k));

/** Applies an AffineTweak to a public package: constant commitment and verifying shares move, higher terms only flip. */
export function tweakPublic(pub: PublicPackage, tw: AffineTweak): PublicPackage {
  const pre = mulG(tw.pre);
  const post = mulG(tw.post);
  const move = (b: Uint8Array): Uint8Array => {
    let p = parsePoint(b).add(pre);
    if (tw.negate) p = p.negate();
    return p.add(post).toBytes(true);
  };
  const flip = (b: Uint8Array): Uint8Array => (tw.negate ? parsePoint(b).negate().toBytes(true) : b.slice());
  return {
    signers: { min: pub.signers.min, max: pub.signers.max },
    commitments: pub.commitments.map((c, i) => (i === 0 ? move(c) : flip(c))),
    verifyingShares: Object.fromEntries(Object.entries(pub.verifyingShares).map(([k, v]) => [k, move(v)])),
  };
}

/** Applies an AffineTweak to a secret share (a new object; the caller wipes the old one when done). */
export function tweakSecret(share: SecretShare, tw: AffineTweak): SecretShare {
  let s = Fn.add(Fn.fromBytes(share.signingShare), tw.pre);
  if (tw.negate) s = Fn.neg(s);
  return { identifier: share.identifier, signingShare: Fn.toBytes(Fn.add(s, tw.post)) };
}

export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && equalBytes(a, b);
